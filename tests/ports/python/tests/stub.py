"""A requests transport that records each request and answers from a function: the port's client, no server."""
import io
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class RecordingAdapter(BaseAdapter):
    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.requests = []

    def send(self, request, **kwargs):
        split = urlsplit(request.url)
        sent = {
            "method": request.method,
            "host": split.netloc,
            "path": split.path,
            "query": {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
            "headers": CaseInsensitiveDict(request.headers),
            "body": request.body.decode("utf-8", errors="replace") if isinstance(request.body, bytes) else (request.body or ""),
            "raw": request.body if isinstance(request.body, bytes) else (request.body or "").encode("utf-8"),
        }
        self.requests.append(sent)
        status, content_type, body, headers = self.answer(sent)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"Content-Type": content_type, **(headers or {})})
        response.raw = io.BytesIO(body.encode("utf-8"))
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def client_with(answer, api_key="k"):
    from kling_port.client import KlingClient

    adapter = RecordingAdapter(answer)
    session = requests.Session()
    session.mount("http://", adapter)
    return KlingClient("http://127.0.0.1:1", api_key, session=session, upload_base_url=UPLOAD_BASE_URL), adapter


# The upload operations' own server (the document gives them one): another host than the service's.
UPLOAD_BASE_URL = "http://127.0.0.1:2"


def success(data):
    import json

    return 200, "application/json", json.dumps({"code": 200, "msg": "success", "data": data}), None
