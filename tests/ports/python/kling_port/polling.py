"""Waiting for a task, by the kit's polling contract: the first query at once, then sleep
min(max, initial + waited / 10, timeout - waited); "not visible yet" ridden out for the grace period from the
start; an unknown state means still running; fail ends the wait with TaskFailed."""
import json
import re
import time

from .errors import KlingApiError
from .spec import SCHEMAS


class RealClock:
    def now(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


class PollingTimeout(Exception):
    pass


_NOT_YET = re.compile("recordInfo is null", re.IGNORECASE)


def is_not_visible_yet(error):
    return isinstance(error, KlingApiError) and (
        error.kind == "NotFound" or (error.kind == "ValidationFailed" and bool(_NOT_YET.search(error.server_message or ""))))


def result_urls_of(record):
    text = record.get("resultJson")
    if not text:
        return []
    result = json.loads(text)
    urls = result.get("resultUrls") if isinstance(result, dict) else None
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise KlingApiError("Unknown", 200, 200, detail='resultJson is not {"resultUrls":[...]}.')
    return urls


def wait_for_completion(get_record, task_id, clock=None, initial=3.0, maximum=30.0, timeout=900.0, grace=90.0, on_progress=None):
    clock = clock or RealClock()
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
        clock.sleep(min(maximum, initial + waited / 10, timeout - waited))


KNOWN_STATES = SCHEMAS["TaskState"]["enum"]
