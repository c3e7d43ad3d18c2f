"""Every vector of openapi/conformance/ against the port, one test each."""
import base64
import email.policy
import json
import os
import re
import unittest

from email.parser import BytesParser

import jsonschema

from kling_port.client import KlingClient  # noqa: F401 (imported for its side effects on first use)
from kling_port.errors import KlingApiError
from kling_port.polling import POLLING, wait_for_completion
from kling_port.spec import CONFORMANCE_DIR, KlingModel, input_fields_of
from kling_port.validation import ValidationError, utf16_length
from kling_port.webhook import TOLERANCE_SECONDS, WebhookError, compute_signature, verify_callback

from .stub import client_with, success

KINDS = ["requests", "validation", "responses", "webhooks", "polling", "uploads"]


def load(kind):
    with open(os.path.join(CONFORMANCE_DIR, kind + ".json"), encoding="utf-8") as file:
        return json.load(file)


def text_of(spec):
    return "".join(part["repeat"] * part["times"] for part in spec["parts"])


class VectorFiles(unittest.TestCase):
    pass


def _file_test(kind):
    def test(self):
        with open(os.path.join(CONFORMANCE_DIR, "vectors.schema.json"), encoding="utf-8") as file:
            schema = json.load(file)
        document = load(kind)
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class(schema).validate(document)
        ids = [v["id"] for v in document["vectors"]]
        self.assertEqual(len(ids), len(set(ids)), "ids are unique")
    return test


for _kind in KINDS:
    setattr(VectorFiles, f"test_{_kind}_file_follows_the_schema_and_has_unique_ids", _file_test(_kind))


class Requests(unittest.TestCase):
    pass


def _request_test(v):
    def test(self):
        def answer(sent):
            if sent["path"].endswith("/createTask"):
                return success({"taskId": "task_1"})
            if sent["path"].endswith("/recordInfo"):
                return success({"taskId": sent["query"]["taskId"], "state": "waiting"})
            if sent["path"].endswith("/credit"):
                return success(7)
            return success("https://example.com/d.mp4")

        client, adapter = client_with(answer, api_key="port-key")
        i = v["input"]
        if v["operation"] == "CreateTask":
            self.assertEqual(client.create_task(_typed_body(i)), "task_1")
        elif v["operation"] == "GetTaskRecord":
            self.assertEqual(client.get_task_record(i["taskId"])["taskId"], i["taskId"])
        elif v["operation"] == "GetRemainingCredits":
            self.assertEqual(client.get_remaining_credits(), 7)
        elif v["operation"] == "GetDownloadUrl":
            self.assertEqual(client.get_download_url(i["url"]), "https://example.com/d.mp4")
        else:
            self.fail(f"unknown operation {v['operation']}")
        self.assertEqual(len(adapter.requests), 1)
        sent = adapter.requests[0]
        self.assertEqual(sent["method"], v["request"]["method"])
        self.assertEqual(sent["path"], v["request"]["path"])
        self.assertEqual(sent["headers"]["Authorization"], "Bearer port-key")
        self.assertTrue(sent["headers"].get("User-Agent"))
        self.assertEqual(sent["query"], v["request"].get("query", {}))
        if "body" in v["request"]:
            self.assertEqual(json.loads(sent["body"]), v["request"]["body"])
        else:
            self.assertEqual(sent["body"], "")
    return test


def _typed_body(i):
    """A createTask body from a vector's typed values, for any model of the document: camelCase names become the model's
    input fields (its schema names them), enum members become values by the names the document gives (x-enum-varnames)."""
    model = KlingModel[i.get("model", "KlingV25TurboTextToVideoPro")].value
    fields = input_fields_of(model)
    body = {"model": model, "input": {}}
    for key, value in i.items():
        if key == "model":
            continue
        if key == "callBackUrl":
            body["callBackUrl"] = value
            continue
        wire = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
        if wire not in fields:
            raise AssertionError(f"{model} has no input field {wire} (from {key})")
        schema = fields[wire]
        if "x-enum-varnames" in schema:
            value = dict(zip(schema["x-enum-varnames"], schema["enum"]))[value]
        body["input"][wire] = value
    return body


class Validation(unittest.TestCase):
    pass


def _validation_test(v, base):
    def test(self):
        client, adapter = client_with(lambda sent: success({"taskId": sent["query"].get("taskId", "t"), "state": "waiting"}))
        if v.get("operation") == "GetTaskRecord":
            call = lambda: client.get_task_record(v["value"])  # noqa: E731
        else:
            body = json.loads(json.dumps(v.get("base", base)))  # a vector of another model brings its own base
            names = v["field"].split(".")
            parent = body
            for name in names[:-1]:
                parent = parent[name]
            if v.get("absent"):
                parent.pop(names[-1], None)
            elif "number" in v:
                parent[names[-1]] = float(v["number"])
            elif "text" in v:
                text = text_of(v["text"])
                self.assertEqual(utf16_length(text), v["utf16Length"], "the text is that many UTF-16 code units")
                parent[names[-1]] = text
            else:
                parent[names[-1]] = v["value"]
            call = lambda: client.create_task(body)  # noqa: E731
        if v["valid"]:
            call()
            self.assertEqual(len(adapter.requests), 1)
        else:
            with self.assertRaises(ValidationError) as raised:
                call()
            self.assertTrue(any(v["field"] in p for p in raised.exception.problems), raised.exception.problems)
            self.assertEqual(len(adapter.requests), 0, "nothing is sent")
    return test


class Responses(unittest.TestCase):
    pass


def _response_test(v):
    def test(self):
        http = v["http"]
        client, adapter = client_with(lambda sent: (http["status"], http["contentType"], http["body"], http.get("headers")))
        if v["operation"] == "CreateTask":
            call = lambda: {"taskId": client.create_task({"model": "kling/v2-5-turbo-text-to-video-pro", "input": {"prompt": "p"}})}  # noqa: E731
        else:
            call = client.get_remaining_credits
        expect = v["expect"]
        if expect["outcome"] == "success":
            self.assertEqual(call(), expect["data"])
        else:
            with self.assertRaises(KlingApiError) as raised:
                call()
            error = raised.exception
            self.assertEqual(error.kind, expect["kind"])
            self.assertEqual(error.code, expect["code"])
            self.assertEqual(error.http_status, expect["httpStatus"])
            self.assertEqual(error.retryable, expect["retryable"])
            self.assertEqual(error.create_task_may_exist, expect["createTaskMayExist"])
            self.assertEqual(error.retry_after_seconds, expect.get("retryAfterSeconds"))
            if "serverMessage" in expect:
                self.assertEqual(error.server_message, expect["serverMessage"])
        self.assertEqual(len(adapter.requests), 1)
    return test


class Webhooks(unittest.TestCase):
    pass


def body_of(v):
    """A webhook vector's body, padded with spaces to `padTo` UTF-8 bytes when the vector says so."""
    body = v["body"]
    return body + " " * (v["padTo"] - len(body.encode("utf-8"))) if "padTo" in v else body


def _webhook_test(v):
    def test(self):
        headers = v["headers"]
        # The port's own window (the document's toleranceSeconds); Documents.test_* checks the file says the same.
        check = lambda: verify_callback(body_of(v), headers.get("X-Webhook-Timestamp"), headers.get("X-Webhook-Signature"),  # noqa: E731
                                        v["key"], now_seconds=v["now"])
        expect = v["expect"]
        if expect["accepted"]:
            callback = check()
            self.assertEqual(callback["taskId"], expect["taskId"])
            self.assertEqual(callback["code"], expect["code"])
            self.assertEqual(callback["state"], expect.get("state"))
            self.assertEqual(compute_signature(callback["taskId"], headers["X-Webhook-Timestamp"], v["key"]), headers["X-Webhook-Signature"])
        else:
            with self.assertRaises(WebhookError) as raised:
                check()
            self.assertEqual(raised.exception.reason, expect["reason"])
    return test


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


class Polling(unittest.TestCase):
    pass


def _polling_test(v):
    def test(self):
        clock = FakeClock()
        queried_at, states = [], []

        def answer(sent):
            queried_at.append(clock.t)
            if len(queried_at) > len(v["answers"]) and not v.get("repeatLast"):
                raise AssertionError("more queries than answers")
            return 200, "application/json", json.dumps(v["answers"][min(len(queried_at), len(v["answers"])) - 1]), None

        client, _ = client_with(answer)
        wait = lambda: wait_for_completion(client.get_task_record, "task_kling_1765184398475", clock=clock,  # noqa: E731
                                           on_progress=lambda r: states.append(str(r.get("state"))))
        expect = v["expect"]
        if expect["outcome"] == "success":
            self.assertEqual(wait()[1], expect["resultUrls"])
        else:
            with self.assertRaises(KlingApiError) as raised:
                wait()
            if expect["outcome"] == "taskFailed":
                self.assertEqual(raised.exception.kind, "TaskFailed")
                self.assertEqual(raised.exception.fail_code, expect["failCode"])
                self.assertEqual(raised.exception.server_message, expect["failMsg"])
            else:
                self.assertEqual(raised.exception.kind, expect["kind"])
        if "queries" in expect:
            self.assertEqual(len(queried_at), expect["queries"])
        if "states" in expect:
            self.assertEqual(states, expect["states"])
        if "minElapsedSeconds" in expect:
            self.assertGreaterEqual(queried_at[-1], expect["minElapsedSeconds"])
    return test


class Uploads(unittest.TestCase):
    pass


def file_of(i):
    """An upload vector's file: its base64 bytes, then zero bytes up to `padTo`."""
    head = base64.b64decode(i["file"]["base64"])
    return head + bytes(max(0, i["file"].get("padTo", 0) - len(head)))


def form_of(sent):
    """A multipart request's text fields and file part (name, media type, bytes), as a server reads them."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + sent["headers"]["Content-Type"].encode("ascii") + b"\r\n\r\n" + sent["raw"])
    fields, file = {}, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            file = {"fileName": part.get_filename(), "contentType": part.get_content_type(), "bytes": part.get_payload(decode=True)}
        else:
            fields[name] = part.get_payload(decode=True).decode("utf-8")
    return fields, file


def _upload_test(v):
    def test(self):
        http = v.get("http")
        client, adapter = client_with(lambda sent: (http["status"], http["contentType"], http["body"], http.get("headers")), api_key="port-key")
        i, expect = v["input"], v["expect"]
        call = {
            "UploadFileStream": lambda: client.upload_file(file_of(i), i["fileName"], i["uploadPath"]),
            "UploadFileBase64": lambda: client.upload_file_base64(file_of(i), i["fileName"], i["uploadPath"]),
            "UploadFileFromUrl": lambda: client.upload_file_from_url(i["fileUrl"], i["uploadPath"], i.get("fileName")),
        }[v["operation"]]
        if expect["outcome"] == "refused":
            with self.assertRaises(ValidationError) as raised:
                call()
            self.assertIn(expect["mentions"], str(raised.exception))
            self.assertEqual(adapter.requests, [], "a refused upload sends nothing")
            return
        if expect["outcome"] == "success":
            stored = call()
            self.assertEqual(stored["fileUrl"], expect["fileUrl"])
            self.assertEqual(stored.get("expiresAt"), expect.get("expiresAt"))
        else:
            with self.assertRaises(KlingApiError) as raised:
                call()
            error = raised.exception
            self.assertEqual((error.kind, error.code, error.http_status, error.retryable),
                             (expect["kind"], expect["code"], expect["httpStatus"], expect["retryable"]))
        self.assertEqual(len(adapter.requests), 1)
        sent = adapter.requests[0]
        self.assertEqual(sent["headers"]["Authorization"], "Bearer port-key")
        self.assertEqual(sent["host"], "127.0.0.1:2", "uploads go to their own server")
        request = expect.get("request")
        if request is None:
            return
        self.assertEqual((sent["method"], sent["path"]), (request["method"], request["path"]))
        if "body" in request:
            self.assertEqual(json.loads(sent["body"]), request["body"])
        if "form" in request:
            fields, file = form_of(sent)
            self.assertEqual(fields, request["form"]["fields"])
            self.assertEqual(file, {"fileName": request["form"]["file"]["fileName"], "contentType": request["form"]["file"]["contentType"],
                                    "bytes": base64.b64decode(request["form"]["file"]["base64"])})
    return test


def _name(v):
    return "test_" + v["id"].replace("-", "_")


for _v in load("requests")["vectors"]:
    setattr(Requests, _name(_v), _request_test(_v))
_validation = load("validation")
for _v in _validation["vectors"]:
    setattr(Validation, _name(_v), _validation_test(_v, _validation["base"]))
for _v in load("responses")["vectors"]:
    setattr(Responses, _name(_v), _response_test(_v))
for _v in load("webhooks")["vectors"]:
    setattr(Webhooks, _name(_v), _webhook_test(_v))
for _v in load("polling")["vectors"]:
    setattr(Polling, _name(_v), _polling_test(_v))
for _v in load("uploads")["vectors"]:
    setattr(Uploads, _name(_v), _upload_test(_v))


class Documents(unittest.TestCase):
    """The vector files' settings are the document's: the port runs the vectors with what it read from the document."""

    def test_the_webhook_window_of_the_vectors_is_the_documents(self):
        self.assertEqual(load("webhooks")["toleranceSeconds"], TOLERANCE_SECONDS)

    def test_the_grace_period_of_the_vectors_is_the_documents(self):
        self.assertEqual(load("polling")["graceSeconds"], POLLING["notVisibleYet"]["graceSeconds"])
