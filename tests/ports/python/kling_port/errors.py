"""Answers to errors, by the document's x-error-classification (on KnownResponseCode): nothing here is hard-coded."""
import json

from .spec import SCHEMAS

CLASSIFICATION = SCHEMAS["KnownResponseCode"]["x-error-classification"]
_CODES = {int(code): row for code, row in CLASSIFICATION["codes"].items()}


class KlingApiError(Exception):
    """One error type for everything the service (or its edge) answers that is not a success."""

    def __init__(self, kind, code, http_status, server_message=None, retry_after_seconds=None, detail=None,
                 retryable=False, create_task_may_exist=False, fail_code=None, task_id=None):
        self.kind = kind
        self.code = code
        self.http_status = http_status
        self.server_message = server_message
        self.retry_after_seconds = retry_after_seconds
        self.retryable = retryable
        self.create_task_may_exist = create_task_may_exist
        self.fail_code = fail_code
        self.task_id = task_id
        super().__init__(detail or f"Kling API error {code} {kind} (HTTP {http_status}): {server_message or 'no message'}")


def read_envelope(text):
    """The {code, msg, data} envelope as a dict, or None when the text is not one JSON object with an integer code."""
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    code = parsed.get("code")
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        parsed["code"] = code = int(code)
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    return parsed


def _row(code, http_status):
    if code in _CODES:
        return _CODES[code]
    # http-status-of-unknown-code
    if http_status in _CODES and http_status in (429, 502, 503, 504):
        return _CODES[http_status]
    if http_status == 500:
        return dict(CLASSIFICATION["unknownCode"], retryable=True)
    return CLASSIFICATION["unknownCode"]


def error_of(http_status, content_type, text, retry_after=None):
    """The error an answer means, or None for a success (HTTP 2xx and code 200)."""
    wait = int(retry_after.strip()) if retry_after and retry_after.strip().isdigit() else None
    ok_status = 200 <= http_status <= 299
    envelope = read_envelope(text)
    if envelope is None:
        # non-envelope / unreadable-success
        if ok_status:
            return KlingApiError("Unknown", http_status, http_status, None, wait,
                                 f"The service answered HTTP {http_status} with a body that is not its JSON envelope.",
                                 retryable=False, create_task_may_exist=True)
        row = _row(http_status, http_status)
        advice = " The edge blocked the request: send a User-Agent header." if http_status == 403 and "1010" in text else ""
        return KlingApiError(row["kind"], http_status, http_status, None, wait,
                             f"The service answered HTTP {http_status} ({content_type or 'no type'}) instead of its JSON envelope.{advice}",
                             retryable=row["retryable"], create_task_may_exist=row["createTaskMayExist"] or http_status >= 500)
    if ok_status and envelope["code"] == 200:
        return None
    # http-error-with-success-body, envelope
    code = http_status if envelope["code"] == 200 else envelope["code"]
    message = envelope.get("msg") if isinstance(envelope.get("msg"), str) else envelope.get("message") if isinstance(envelope.get("message"), str) else None
    row = _row(code, http_status)
    return KlingApiError(row["kind"], code, http_status, message, wait,
                         retryable=row["retryable"], create_task_may_exist=row["createTaskMayExist"] or http_status >= 500)
