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
    # The document's fact `body`: the envelope's code is a JSON integer in int32's range; a string of digits is not.
    code = parsed.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or not -2**31 <= code < 2**31:
        return None
    return parsed


def _holds(rule, facts):
    """One rule's `when`: every condition given holds; a condition on a fact that is absent never holds."""
    when = rule["when"]
    for name in ("answer", "body"):
        if name in when and facts.get(name) not in when[name]:
            return False
    for name in ("httpStatus", "bodyCode"):
        if name in when and (facts.get(name) is None or not any(low <= facts[name] <= high for low, high in when[name])):
            return False
    for name in ("codeListed", "bodySuccess"):
        if name in when and facts.get(name) != when[name]:
            return False
    return True


def classify(answer, http_status=None, envelope_code=None, envelope_success=None):
    """The document's evaluation (x-error-classification.evaluation): the facts, then the first rule that holds.
    Returns (rule id, outcome, verdict) where verdict has kind, retryable and createTaskMayExist; code is the effective code."""
    facts = {"answer": answer}
    code = 0
    if answer == "http":
        facts["httpStatus"] = http_status
        facts["body"] = "envelope" if envelope_code is not None else "other"
        if envelope_code is not None:
            facts["bodyCode"] = envelope_code
            if isinstance(envelope_success, bool):
                facts["bodySuccess"] = envelope_success
        code = envelope_code if envelope_code is not None and envelope_code != 200 else http_status
        facts["codeListed"] = code in _CODES
    for rule in CLASSIFICATION["rules"]:
        if not _holds(rule, facts):
            continue
        then = rule["then"]
        if then["outcome"] == "success":
            return rule["id"], "success", None, code
        verdict = dict(_CODES.get(code, CLASSIFICATION["unknownCode"])) if then.get("row") == "code" else {}
        verdict.update({k: then[k] for k in ("kind", "retryable", "createTaskMayExist") if k in then})
        return rule["id"], "error", verdict, code
    raise ValueError("no rule of x-error-classification holds")


def error_of(http_status, content_type, text, retry_after=None):
    """The error an answer means, or None for a success. `retryable` is the query's; `create_task_may_exist` is
    createTaskMayExist, what it would mean had it answered a createTask (the billable operation)."""
    wait = int(retry_after.strip()) if retry_after and retry_after.strip().isdigit() else None
    envelope = read_envelope(text)
    _, outcome, verdict, code = classify("http", http_status, envelope["code"] if envelope is not None else None,
                                         envelope.get("success") if envelope is not None else None)
    if outcome == "success":
        return None
    if envelope is None:
        advice = " The edge blocked the request: send a User-Agent header." if http_status == 403 and "1010" in text else ""
        return KlingApiError(verdict["kind"], code, http_status, None, wait,
                             f"The service answered HTTP {http_status} ({content_type or 'no type'}) instead of its JSON envelope.{advice}",
                             retryable=verdict["retryable"], create_task_may_exist=verdict["createTaskMayExist"])
    message = envelope.get("msg") if isinstance(envelope.get("msg"), str) else envelope.get("message") if isinstance(envelope.get("message"), str) else None
    return KlingApiError(verdict["kind"], code, http_status, message, wait,
                         retryable=verdict["retryable"], create_task_may_exist=verdict["createTaskMayExist"])
