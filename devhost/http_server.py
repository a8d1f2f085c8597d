"""A threaded HTTP/1.1 server (keep-alive) that hands each request to a dispatcher.

The whole request body is read before anything is answered, errors included: a client that keeps
its connection alive would otherwise see the unread body parsed as its next request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger("devhost.http")

# The real host's default request body limit (Kestrel as configured by the Functions host).
MAX_BODY_BYTES = 100 * 1024 * 1024
# An idle keep-alive connection is closed after this long, so its thread does not live forever.
IDLE_CONNECTION_SECONDS = 120
# Headers the server owns: a function's values for them would break the framing of the response.
_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, text: str) -> Response:
        return cls(status, [("Content-Type", "application/json; charset=utf-8")], text.encode())


Dispatcher = Callable[[Request], Response]


class _BodyTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "devhost"
    timeout = IDLE_CONNECTION_SECONDS
    # Headers and body are separate writes; with Nagle's algorithm the body waits ~40 ms for an ACK.
    disable_nagle_algorithm = True
    dispatcher: Dispatcher  # set on the subclass made per server

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _BodyTooLarge:
            # The body is not read, so the connection cannot be reused.
            self.close_connection = True
            self._write(Response.json(413, '{"error": "request body too large"}'))
            return
        except _BadRequest as error:
            self.close_connection = True
            self._write(Response.json(400, f'{{"error": "{error}"}}'))
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            method=self.command,
            url=f"http://{host}{self.path}",
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
        )
        try:
            response = self.dispatcher(request)
        except Exception:
            logger.exception("unhandled error serving %s %s", self.command, self.path)
            response = Response.json(500, '{"error": "internal server error"}')
        self._write(response)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError as error:
            raise _BadRequest("invalid Content-Length") from error
        if length < 0:
            raise _BadRequest("invalid Content-Length")
        if length > MAX_BODY_BYTES:
            raise _BodyTooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as error:
                raise _BadRequest("invalid chunk size") from error
            if size == 0:
                # Trailer headers, up to the empty line.
                while self.rfile.readline(8192).strip():
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)  # CRLF after the chunk

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) is dispatched like the rest: it reaches a function
        # that accepts every method, or gets a 404, as on the real host, not http.server's 501 page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request too malformed to dispatch (bad request line, headers too large): the status
        alone, as Kestrel answers it, instead of http.server's HTML error page."""
        self.close_connection = True
        # http.server has not yet read a version here and would answer as HTTP/0.9, without a
        # status line; Kestrel knows no HTTP/0.9.
        self.request_version = self.protocol_version
        self.send_response(code, message)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, dispatcher: Dispatcher) -> None:
        handler = type("DevhostHandler", (_Handler,), {"dispatcher": staticmethod(dispatcher)})
        super().__init__((host, port), handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])
