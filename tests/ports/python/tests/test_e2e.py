"""End to end against the standalone simulator, started here as a separate process on a free loopback port: create
the seed example with a callback, poll to success, download the MP4, and verify the signed callback."""
import json
import os
import re
import subprocess
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from kling_port.client import KlingClient
from kling_port.spec import SPEC, SPEC_PATH
from kling_port.webhook import verify_callback

HMAC_KEY = "python-port-hmac-key"


class _Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1024 * 1024))
        type(self).received.append((dict(self.headers), body.decode("utf-8")))
        answer = b'{"code":200,"msg":"success"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def start_simulator():
    args = ["--urls", "http://127.0.0.1:0", "--waiting-ms", "200", "--queuing-ms", "200", "--generating-ms", "500",
            "--webhook-hmac-key", HMAC_KEY, "--callback-retry-ms", "200"]
    dll = os.environ.get("KLING_SIMULATOR_DLL")
    command = ["dotnet", dll, *args] if dll else ["dotnet", "run", "--project", os.path.join(os.path.dirname(SPEC_PATH), "..", "src", "KlingGenerated.Simulator"), "--", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    output = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output += line
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)/?", line)
        if match:
            return process, match.group(1)
    process.kill()
    raise AssertionError(f"The simulator printed no URL:\n{output}")


class EndToEnd(unittest.TestCase):
    def test_the_seed_example_runs_end_to_end_with_a_signed_callback(self):
        receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        process, base_url = start_simulator()
        try:
            seed = SPEC["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"]["application/json"]["examples"]["seed"]["value"]
            request = dict(seed, callBackUrl=f"http://127.0.0.1:{receiver.server_address[1]}/kling/callback")
            client = KlingClient(base_url, "simulator-key")

            task_id = client.create_task(request)
            states = []
            record, urls = client.wait_for_completion(task_id, initial=0.2, maximum=1.0, timeout=120.0, on_progress=lambda r: states.append(r["state"]))

            self.assertEqual(record["state"], "success")
            self.assertEqual(json.loads(record["param"])["input"]["prompt"], seed["input"]["prompt"], "param is the create request as JSON text")
            self.assertEqual(len(urls), 1)
            link = client.get_download_url(urls[0])
            with requests.get(link, timeout=60, stream=True) as video:
                self.assertEqual(video.status_code, 200)
                data = video.raw.read(16 * 1024 * 1024 + 1, decode_content=False)
            self.assertLessEqual(len(data), 16 * 1024 * 1024)
            self.assertEqual(data[4:8], b"ftyp", "an MP4 starts with its ftyp box")

            deadline = time.monotonic() + 30
            while not _Receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(_Receiver.received, "the callback arrived")
            headers, body = _Receiver.received[0]
            callback = verify_callback(body, headers.get("X-Webhook-Timestamp"), headers.get("X-Webhook-Signature"), HMAC_KEY, now_seconds=int(time.time()))
            self.assertEqual(callback["taskId"], task_id)
            self.assertEqual((callback["code"], callback["state"]), (200, "success"))

            served = requests.get(base_url + "/_simulator/openapi.yaml", timeout=30)
            with open(SPEC_PATH, "rb") as file:
                self.assertEqual(served.content, file.read(), "the simulator serves the document byte for byte")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            receiver.shutdown()
