"""A local stand-in for the Azure Communication Services Email REST API, for the real SDK.

Implements enough of the data plane for `EmailClient.begin_send(...).result()`:

- `POST /emails:send?api-version=...` answers 202 with `{"id", "status": "Running"}` and an
  `Operation-Location` header; the operation id is the request's `Operation-Id` when given.
  A repeated `Operation-Id` is answered like the first send and not queued again, which is
  how ACS treats a customer-supplied operation id.
- `GET /emails/operations/{id}?api-version=...` answers 200 with the operation's status.

Every request is recorded (method, path, headers, parsed JSON body) and its HMAC-SHA256
signature checked against the stub's access key, the way ACS checks it. Tests can script the
answers of the next sends (`fail_next_sends`) and the final status of operations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # path and query, as signed
    headers: dict[str, str]  # lower-case names
    body: bytes
    signature_valid: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


class AcsEmailStub:
    def __init__(self) -> None:
        self.access_key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        self.requests: list[RecordedRequest] = []
        self.accepted: list[dict[str, Any]] = []  # bodies of emails queued for delivery, once each
        self.operations: dict[str, str] = {}  # operation id -> status
        self.final_status = "Succeeded"
        self.running_polls = 0  # polls answered "Running" before the final status
        self._scripted_sends: deque[ScriptedAnswer] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> AcsEmailStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- scripting and inspection ----------------------------------------------------------

    def fail_next_sends(self, *answers: ScriptedAnswer) -> None:
        """The next sends get these answers, in order, before sends succeed again."""
        with self._lock:
            self._scripted_sends.extend(answers)

    def sends(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    def polls(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "GET"]

    # --- the service -----------------------------------------------------------------------

    def _signature_valid(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        if headers.get("x-ms-content-sha256") != content_hash:
            return False
        string_to_sign = (
            f"{method}\n{path}\n{headers.get('x-ms-date', '')};{headers.get('host', '')};{content_hash}"
        )
        digest = hmac.new(base64.b64decode(self.access_key), string_to_sign.encode("utf-8"), hashlib.sha256)
        expected = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + (
            base64.b64encode(digest.digest()).decode("ascii")
        )
        return hmac.compare_digest(headers.get("authorization", ""), expected)

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> ScriptedAnswer:
        request = RecordedRequest(
            method, path, headers, body, self._signature_valid(method, path, headers, body)
        )
        split = urlsplit(path)
        with self._lock:
            self.requests.append(request)
            if not request.signature_valid:
                return ScriptedAnswer(401, body={"error": {"code": "Denied", "message": "bad signature"}})
            if method == "POST" and split.path == "/emails:send":
                if self._scripted_sends:
                    return self._scripted_sends.popleft()
                return self._accept(request, split.query)
            if method == "GET" and split.path.startswith("/emails/operations/"):
                return self._status(split.path.rsplit("/", 1)[1])
        return ScriptedAnswer(404, body={"error": {"code": "NotFound", "message": path}})

    def _accept(self, request: RecordedRequest, query: str) -> ScriptedAnswer:
        operation_id = request.headers.get("operation-id") or str(uuid.uuid4())
        if operation_id not in self.operations:
            self.operations[operation_id] = "Running"
            self.accepted.append(request.json)
        location = f"{self.endpoint}/emails/operations/{operation_id}?{query}"
        return ScriptedAnswer(
            202,
            headers={"Operation-Location": location, "Operation-Id": operation_id},
            body={"id": operation_id, "status": "Running"},
        )

    def _status(self, operation_id: str) -> ScriptedAnswer:
        if operation_id not in self.operations:
            return ScriptedAnswer(404, body={"error": {"code": "NotFound", "message": operation_id}})
        polls = sum(1 for r in self.requests if r.method == "GET" and operation_id in r.path)
        if polls <= self.running_polls:
            return ScriptedAnswer(200, body={"id": operation_id, "status": "Running"})
        self.operations[operation_id] = self.final_status
        body: dict[str, Any] = {"id": operation_id, "status": self.final_status}
        if self.final_status == "Failed":
            body["error"] = {"code": "EmailDropped", "message": "Email was dropped after several attempts."}
        return ScriptedAnswer(200, body=body)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = stub._answer(self.command, self.path, headers, body)
                payload = json.dumps(answer.body).encode("utf-8") if answer.body is not None else b""
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler
