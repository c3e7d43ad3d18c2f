"""kie.ai's File Upload API: the three upload operations, on their own server, each checked against the document first.

Read from the document: the most bytes (`x-kling-max-bytes` on UploadFileStream's `file`), the media types (its
`encoding.file.contentType`), the schemas of the text fields (uploadPath, fileName, fileUrl). A file's media type is
judged from its first bytes, never its name.
"""
import base64
import re

from .errors import KlingApiError
from .spec import SPEC, resolve
from .validation import ValidationError


def _operation(operation_id):
    """(path, operation, servers) of an operation; its servers are its own or its path's (None: the document's)."""
    for path, item in SPEC["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, operation, operation.get("servers") or item.get("servers")
    raise KeyError(f"The document has no operation {operation_id}.")


def _body(operation_id):
    """(path, media type, the resolved body schema, the media type object) of an upload operation."""
    path, operation, _ = _operation(operation_id)
    media_type, media = next(iter(resolve(operation["requestBody"])["content"].items()))
    return path, media_type, resolve(media["schema"]), media


_STREAM_PATH, _, _FORM, _FORM_MEDIA = _body("UploadFileStream")
MAX_BYTES = resolve(_FORM["properties"]["file"])["x-kling-max-bytes"]
MEDIA_TYPES = [t.strip() for t in _FORM_MEDIA["encoding"]["file"]["contentType"].split(",") if t.strip()]
UPLOAD_SERVER = _operation("UploadFileStream")[2][0]["url"]
_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def media_type_of(data):
    """The media type of a file from its first bytes, when the document allows it; None otherwise."""
    return next((t for t in MEDIA_TYPES if t in _SIGNATURES and data.startswith(_SIGNATURES[t])), None)


def _check_fields(operation_id, fields):
    schema = _body(operation_id)[2]
    problems = []
    for name, value in fields.items():
        if value is None:
            if name in schema.get("required", []):
                problems.append(f"{name} is required.")
            continue
        field = resolve(schema["properties"][name])
        if len(value) < field.get("minLength", 0) or len(value) > field.get("maxLength", len(value)):
            problems.append(f"{name} must be {field.get('minLength', 0)} to {field.get('maxLength')} characters long.")
        if "pattern" in field and not re.search(field["pattern"], value) or value.endswith("\n"):
            problems.append(f"{name} must match its pattern {field['pattern']}.")
    if problems:
        raise ValidationError(problems)


def _check_file(data, file_name):
    if len(data) > MAX_BYTES:
        raise ValidationError([f"{file_name} is {len(data)} bytes, more than the {MAX_BYTES} bytes the document allows (x-kling-max-bytes)."])
    media_type = media_type_of(data)
    if media_type is None:
        raise ValidationError([f"{file_name} is not {' or '.join(MEDIA_TYPES)} (judged from its first bytes)."])
    return media_type


def _stored(data):
    """The stored file of a success answer; a fileUrl that is not an absolute http(s) URL cannot be passed on."""
    url = data.get("fileUrl") if isinstance(data, dict) else None
    if not isinstance(url, str) or not re.match(r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$", url):
        raise KlingApiError("Unknown", 200, 200, detail="The upload answered success but no usable fileUrl.")
    return data


def upload_file(client, data, file_name, upload_path):
    """UploadFileStream: the bytes as a multipart form."""
    _check_fields("UploadFileStream", {"uploadPath": upload_path, "fileName": file_name})
    media_type = _check_file(data, file_name)
    form = {"uploadPath": upload_path, "fileName": file_name}
    return _stored(client._send("POST", _STREAM_PATH, base_url=client.upload_base_url,
                                files={"file": (file_name, data, media_type)}, form=form))


def upload_file_base64(client, data, file_name, upload_path):
    """UploadFileBase64: the bytes as a data URL in JSON."""
    _check_fields("UploadFileBase64", {"uploadPath": upload_path, "fileName": file_name})
    media_type = _check_file(data, file_name)
    body = {"base64Data": f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}", "uploadPath": upload_path, "fileName": file_name}
    return _stored(client._send("POST", _body("UploadFileBase64")[0], body=body, base_url=client.upload_base_url))


def upload_file_from_url(client, file_url, upload_path, file_name=None):
    """UploadFileFromUrl: the service fetches the URL (this port never does)."""
    _check_fields("UploadFileFromUrl", {"fileUrl": file_url, "uploadPath": upload_path, "fileName": file_name})
    body = {"fileUrl": file_url, "uploadPath": upload_path}
    if file_name is not None:
        body["fileName"] = file_name
    return _stored(client._send("POST", _body("UploadFileFromUrl")[0], body=body, base_url=client.upload_base_url))
