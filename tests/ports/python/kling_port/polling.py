"""Waiting for a task, by the document's x-kling-polling (on GetTaskRecord): the first query at once, then sleep
min(max, initial + growth * waited, timeout - waited); "not visible yet" answers ridden out for the grace period from
the start; an unknown state means still running; fail ends the wait with TaskFailed."""
import json
import time

from .errors import KlingApiError
from .spec import SCHEMAS, SPEC

POLLING = SPEC["paths"]["/api/v1/jobs/recordInfo"]["get"]["x-kling-polling"]
_DELAY = POLLING["delaySeconds"]
_NOT_VISIBLE_YET = POLLING["notVisibleYet"]


class RealClock:
    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


class PollingTimeout(Exception):
    pass


def is_not_visible_yet(error):
    """An error the document lists under notVisibleYet: its code, and its message containing the text, ignoring case."""
    if not isinstance(error, KlingApiError):
        return False
    message = (error.server_message or "").upper()
    return any(error.code == answer["code"] and ("messageContains" not in answer or answer["messageContains"].upper() in message)
               for answer in _NOT_VISIBLE_YET["answers"])


def result_urls_of(record):
    text = record.get("resultJson")
    if not text:
        return []
    result = json.loads(text)
    urls = result.get("resultUrls") if isinstance(result, dict) else None
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise KlingApiError("Unknown", 200, 200, detail='resultJson is not {"resultUrls":[...]}.')
    return urls


def wait_for_completion(get_record, task_id, clock=None, initial=None, maximum=None, timeout=None, grace=None, growth=None, on_progress=None):
    clock = clock or RealClock()
    initial = _DELAY["initialSeconds"] if initial is None else initial
    maximum = _DELAY["maxSeconds"] if maximum is None else maximum
    growth = _DELAY["growth"] if growth is None else growth
    timeout = POLLING["timeoutSeconds"] if timeout is None else timeout
    grace = _NOT_VISIBLE_YET["graceSeconds"] if grace is None else grace
    started = clock.now()
    last_state = None
    while True:
        elapsed = clock.now() - started
        record = None
        try:
            record = get_record(task_id)
        except KlingApiError as error:
            if not (is_not_visible_yet(error) and elapsed < grace):
                raise
        if record is not None:
            if on_progress:
                on_progress(record)
            last_state = record.get("state")
            if last_state == "success":
                return record, result_urls_of(record)
            if last_state == "fail":
                raise KlingApiError("TaskFailed", 501, None, record.get("failMsg"),
                                    detail=f"Task {task_id} failed (failCode {record.get('failCode')}): {record.get('failMsg')}.",
                                    fail_code=record.get("failCode"), task_id=task_id)
            # Any other state, known (SCHEMAS['TaskState']) or not, means still running.
        waited = clock.now() - started
        if waited >= timeout:
            raise PollingTimeout(f"Task {task_id} did not end in time (last state: {last_state}).")
        clock.sleep(min(maximum, initial + growth * waited, timeout - waited))


KNOWN_STATES = SCHEMAS["TaskState"]["enum"]
