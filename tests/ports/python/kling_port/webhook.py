"""Callback verification, in the order openapi/conformance/README.md gives: headers, timestamp, window, signature
format, body, then the constant-time comparison."""
import base64
import hashlib
import hmac
import json
import re

from .spec import SPEC

_CANONICAL = re.compile(SPEC["components"]["parameters"]["WebhookSignature"]["schema"]["pattern"])
_TIMESTAMP = re.compile(SPEC["components"]["parameters"]["WebhookTimestamp"]["schema"]["pattern"])
# What a receiver checks, as the document states it (x-kling-callback-checks on the NotifyTaskFinished callback).
CHECKS = next(iter(SPEC["paths"]["/api/v1/jobs/createTask"]["post"]["callbacks"]["taskFinished"].values()))["post"]["x-kling-callback-checks"]
_BODY = CHECKS["body"]
MAX_BODY_BYTES = _BODY["maxBytes"]
TOLERANCE_SECONDS = CHECKS["toleranceSeconds"]
_INT32 = range(-2**31, 2**31)


def _same_key(key):
    """The key as compared for duplicates: as written, or (ignoringCase) each code unit by its simple uppercase mapping."""
    if _BODY["duplicateKeys"] != "ignoringCase":
        return key
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in key)


class WebhookError(Exception):
    def __init__(self, reason, message):
        self.reason = reason
        super().__init__(message)


def compute_signature(task_id, timestamp, key):
    digest = hmac.new(key.encode("utf-8"), f"{task_id}.{timestamp}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _no_duplicates(pairs):
    result = {}
    seen = set()
    for key, value in pairs:
        if _same_key(key) in seen:
            raise WebhookError("body", f"The callback body has the key '{key}' twice.")
        seen.add(_same_key(key))
        result[key] = value
    return result


def _at(root, pointer):
    node = root
    for part in pointer.split("/")[1:]:
        if not isinstance(node, dict):
            return None
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node


def parse_callback(body):
    """The task id, code and state of a callback body (not verified); raises WebhookError('body', ...)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise WebhookError("body", f"The callback body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        root = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError) as exception:
        raise WebhookError("body", f"The callback body is not JSON ({exception}).") from None
    if not isinstance(root, dict):
        raise WebhookError("body", "The callback body is not a JSON object.")
    data = root.get("data") if isinstance(root.get("data"), dict) else {}
    task_id = next((v for v in (_at(root, pointer) for pointer in _BODY["taskIdAt"]) if isinstance(v, str) and v), None)
    if task_id is None:
        raise WebhookError("body", f"The callback names no task id (at {', '.join(_BODY['taskIdAt'])}).")
    code = root.get("code")
    if _BODY["code"] != "integer" or not isinstance(code, int) or isinstance(code, bool) or code not in _INT32:
        raise WebhookError("body", "The callback has no integer code.")
    state = data.get("state") if isinstance(data.get("state"), str) else None
    return {"taskId": task_id, "code": code, "state": state, "body": root}


def verify_callback(body, timestamp, signature, key, now_seconds, tolerance_seconds=TOLERANCE_SECONDS):
    if not timestamp:
        raise WebhookError("missing-timestamp", "The X-Webhook-Timestamp header is missing.")
    if not signature:
        raise WebhookError("missing-signature", "The X-Webhook-Signature header is missing.")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookError("timestamp", "X-Webhook-Timestamp is not Unix seconds.")
    skew = now_seconds - int(timestamp)
    if skew > tolerance_seconds:
        raise WebhookError("stale", f"The callback was signed {skew} s ago, more than {tolerance_seconds} s.")
    if -skew > tolerance_seconds:
        raise WebhookError("future", f"The callback is signed {-skew} s in the future.")
    if not _CANONICAL.fullmatch(signature):
        raise WebhookError("signature-format", "X-Webhook-Signature is not canonical base64 of an HMAC-SHA256.")
    callback = parse_callback(body)
    expected = compute_signature(callback["taskId"], timestamp, key)
    if not hmac.compare_digest(base64.b64decode(signature), base64.b64decode(expected)):
        raise WebhookError("signature", "The signature does not match this task id and timestamp.")
    return callback
