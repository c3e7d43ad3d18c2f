"""The client: requests plus the envelope check. Every answer is read under a deadline and a size cap."""
import json

import requests

from .errors import KlingApiError, error_of
from .polling import wait_for_completion
from .validation import ValidationError, validate_create_task, validate_task_id

USER_AGENT = "KlingGenerated-python-port/1.0"
MAX_RESPONSE_BYTES = 1024 * 1024


class KlingClient:
    def __init__(self, base_url, api_key, session=None, timeout=30.0, upload_base_url=None):
        from .uploads import UPLOAD_SERVER  # the upload operations' own server in the document

        self.base_url = base_url.rstrip("/")
        self.upload_base_url = (upload_base_url or UPLOAD_SERVER).rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT, "Accept": "application/json"}

    def _send(self, method, path, params=None, body=None, base_url=None, files=None, form=None):
        data = form
        headers = dict(self.headers)
        if body is not None:
            # allow_nan=False: JSON has no NaN; ensure_ascii=False: the same characters, as UTF-8.
            data = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            response = self.session.request(method, (base_url or self.base_url) + path, params=params, data=data, files=files,
                                            headers=headers, timeout=self.timeout, stream=True, allow_redirects=False)
        except requests.RequestException as exception:
            # no-answer: the request may have arrived.
            raise KlingApiError("Unknown", 0, None, detail=f"No answer to {method} {path} ({exception}).",
                                retryable=True, create_task_may_exist=True) from exception
        with response:
            chunks, total = [], 0
            try:
                for chunk in response.iter_content(64 * 1024):
                    total += len(chunk)
                    if total > MAX_RESPONSE_BYTES:
                        raise KlingApiError("Unknown", response.status_code, response.status_code,
                                            detail=f"The answer is larger than {MAX_RESPONSE_BYTES} bytes.", create_task_may_exist=True)
                    chunks.append(chunk)
            except requests.RequestException as exception:
                raise KlingApiError("Unknown", 0, response.status_code, detail=f"The answer broke off ({exception}).",
                                    retryable=True, create_task_may_exist=True) from exception
            text = b"".join(chunks).decode("utf-8", errors="replace")
            error = error_of(response.status_code, response.headers.get("Content-Type"), text, response.headers.get("Retry-After"))
            if error is not None:
                raise error
            return json.loads(text).get("data")

    def create_task(self, request):
        problems = validate_create_task(request)
        if problems:
            raise ValidationError(problems)
        data = self._send("POST", "/api/v1/jobs/createTask", body=request)
        if not isinstance(data, dict) or not isinstance(data.get("taskId"), str) or not data["taskId"]:
            raise KlingApiError("Unknown", 200, 200, detail="The createTask answer has no taskId; the task may exist.", create_task_may_exist=True)
        return data["taskId"]

    def get_task_record(self, task_id):
        problems = validate_task_id(task_id)
        if problems:
            raise ValidationError(problems)
        record = self._send("GET", "/api/v1/jobs/recordInfo", params={"taskId": task_id})
        if not isinstance(record, dict) or record.get("taskId") not in (None, task_id):
            raise KlingApiError("Unknown", 200, 200, detail="The answer is not the record of this task.")
        return record

    def get_remaining_credits(self):
        return self._send("GET", "/api/v1/chat/credit")

    def get_download_url(self, url):
        return self._send("POST", "/api/v1/common/download-url", body={"url": url})

    def upload_file(self, data, file_name, upload_path):
        from .uploads import upload_file
        return upload_file(self, data, file_name, upload_path)

    def upload_file_base64(self, data, file_name, upload_path):
        from .uploads import upload_file_base64
        return upload_file_base64(self, data, file_name, upload_path)

    def upload_file_from_url(self, file_url, upload_path, file_name=None):
        from .uploads import upload_file_from_url
        return upload_file_from_url(self, file_url, upload_path, file_name)

    def wait_for_completion(self, task_id, **options):
        return wait_for_completion(self.get_task_record, task_id, **options)
