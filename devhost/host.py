"""The local functions host: HTTP routes, queue listeners, timers and the admin endpoint together.

HTTP semantics follow the real Functions host where it matters to clients:
- Function routes live under the route prefix (host.json `extensions.http.routePrefix`, `api`).
- A request whose path matches no function accepting its method gets **404**, not 405: the real host
  routes with ASP.NET method constraints, so a route that exists for other methods is simply not
  found (see azure-functions-host issue 10098). Any method is routed this way, TRACE included; no
  answer is an HTML error page.
- Auth levels are not enforced (as with Core Tools).
- An exception in a function answers 500 with a short JSON body; the traceback goes to the log.
- Query parameters repeated in the URL reach the function joined with commas, as ASP.NET gives them.

Admin endpoints:
- `GET /admin/host/status` answers 200 `{"state": "Running"}`.
- `POST /admin/functions/{name}` with `{"input": "..."}` runs a non-HTTP function in the
  background and answers 202; an unknown name is 404 and an HTTP function 400. A queue function
  gets the input as the message body (dequeue_count 1). A timer function gets
  `TimerRequest(past_due=False)` whose extra attribute `input` holds the input string (None on
  scheduled runs). The real host drops admin input for timer triggers, so product code must treat
  `input` as optional.

Local sign-in (`dev_auth=True`, never in Azure): `/.auth/...` is answered by `devhost.dev_auth`, and
requests under the route prefix without a principal header get one from its cookie.

Static files (`static_dir`): GET and HEAD requests outside the route prefix and `/admin/` are served
from the directory; `/` and directories serve their `index.html`.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from devhost import dev_auth
from devhost.config import HostConfig
from devhost.functions import FunctionSpec, Invoker, TriggerKind
from devhost.http_server import HttpServer, Request, Response
from devhost.queues import POLLER_STOP_SECONDS, QueueListener, admin_queue_message
from devhost.routing import Router
from devhost.timers import TimerRunner, timer_request

logger = logging.getLogger("devhost")

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
}


def content_type_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _join_repeated(pairs: Iterable[tuple[str, str]], separator: str) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]}{separator}{value}" if name in joined else value
    return joined


def _error(status: int, message: str) -> Response:
    return Response.json(status, json.dumps({"error": message}))


class FunctionsHost:
    def __init__(
        self,
        functions: list[FunctionSpec],
        config: HostConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 7071,
        static_dir: Path | None = None,
        dev_auth: bool = False,
    ) -> None:
        self.functions = functions
        self.dev_auth = dev_auth
        self.config = config
        self.static_dir = static_dir.resolve() if static_dir is not None else None
        self.invoker = Invoker()
        self.router: Router[FunctionSpec] = Router()
        self._by_name = {spec.name.lower(): spec for spec in functions}
        for spec in functions:
            if spec.kind is TriggerKind.HTTP:
                assert spec.route is not None
                self.router.add(spec.route, spec.methods, spec)
        self.queue_listeners: list[QueueListener] = []
        self.timers: list[TimerRunner] = []
        self._admin_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="admin")
        self.server = HttpServer(host, port, self.dispatch)
        self._server_thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> None:
        """Start timers, queue listeners and the HTTP server. A trigger that cannot start is logged."""
        for spec in self.functions:
            try:
                if spec.kind is TriggerKind.QUEUE:
                    listener = QueueListener(spec, self.config.queues, self.invoker)
                    listener.start()
                    self.queue_listeners.append(listener)
                elif spec.kind is TriggerKind.TIMER:
                    runner = TimerRunner(spec, self.invoker)
                    runner.start()
                    self.timers.append(runner)
            except Exception as error:
                # As the real host does: the function is disabled, the others keep running.
                logger.error("function %r cannot start: %s", spec.name, error)
        self._server_thread.start()
        prefix = f"/{self.config.route_prefix}" if self.config.route_prefix else ""
        base = f"http://{self.server.server_address[0]}:{self.port}"
        for spec in self.functions:
            if spec.kind is TriggerKind.HTTP:
                methods = ",".join(spec.methods) if spec.methods else "ALL"
                logger.info("%s: [%s] %s%s/%s", spec.name, methods, base, prefix, spec.route)
            else:
                logger.info("%s: %s", spec.name, spec.kind.value)
        logger.info("Host started on %s", base)

    def stop(self) -> None:
        # All told first, then waited for: stopping takes as long as the slowest, not the sum.
        for trigger in [*self.timers, *self.queue_listeners]:
            trigger.request_stop()
        poller_deadline = time.monotonic() + POLLER_STOP_SECONDS
        for listener in self.queue_listeners:
            listener.join(timeout=max(0.0, poller_deadline - time.monotonic()))
        for runner in self.timers:
            runner.join()
        self.server.shutdown()
        self.server.server_close()
        self._admin_pool.shutdown(wait=True, cancel_futures=True)
        self.invoker.close()

    # HTTP dispatch

    def dispatch(self, request: Request) -> Response:
        split = urlsplit(request.target)
        path = split.path
        if self.dev_auth:
            if dev_auth.is_auth_path(path):
                return dev_auth.handle(request)
            request = dev_auth.with_principal(request, self.config.route_prefix)
        if path == "/admin" or path.startswith("/admin/"):
            return self._admin(request, path)
        prefix = self.config.route_prefix
        if (
            not prefix
            or path.lower() == f"/{prefix.lower()}"
            or path.lower().startswith(f"/{prefix.lower()}/")
        ):
            relative = path[len(prefix) + 1 :] if prefix else path
            matched = self.router.match(request.method, relative)
            if matched is not None:
                return self._invoke_http(request, matched.target, matched.route_params, split.query)
            if prefix:
                return Response(404)
        if self.static_dir is not None and request.method in ("GET", "HEAD"):
            return self._static(path)
        return Response(404)

    def _invoke_http(
        self, request: Request, spec: FunctionSpec, route_params: dict[str, str], query: str
    ) -> Response:
        http_request = func.HttpRequest(
            method=request.method,
            url=request.url,
            headers=_join_repeated(request.headers, ", "),
            params=_join_repeated(parse_qsl(query, keep_blank_values=True), ","),
            route_params=route_params,
            body=request.body,
        )
        try:
            result = self.invoker.invoke(spec, http_request)
        except Exception:
            return _error(500, "function failed")
        return self._to_response(spec, result)

    @staticmethod
    def _to_response(spec: FunctionSpec, result: Any) -> Response:
        if result is None:
            return Response(204)
        if isinstance(result, str):
            return Response(200, [("Content-Type", "text/plain; charset=utf-8")], result.encode())
        if not isinstance(result, func.HttpResponse):
            logger.error("function %r returned %s, not an HttpResponse", spec.name, type(result).__name__)
            return _error(500, "function returned no HttpResponse")
        headers = list(result.headers.items())
        if not any(name.lower() == "content-type" for name, _ in headers):
            # As the Python worker does: text types carry their charset.
            content_type = result.mimetype
            if content_type.startswith("text/"):
                content_type = f"{content_type}; charset={result.charset}"
            headers.append(("Content-Type", content_type))
        return Response(result.status_code, headers, result.get_body())

    def _static(self, path: str) -> Response:
        assert self.static_dir is not None
        relative = unquote(path).lstrip("/")
        candidate = (self.static_dir / relative).resolve()
        if candidate != self.static_dir and not candidate.is_relative_to(self.static_dir):
            return Response(404)
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file():
            return Response(404)
        return Response(200, [("Content-Type", content_type_for(candidate))], candidate.read_bytes())

    # Admin

    def _admin(self, request: Request, path: str) -> Response:
        parts = [part for part in path.split("/") if part]
        if parts == ["admin", "host", "status"] and request.method in ("GET", "HEAD"):
            return Response.json(200, json.dumps({"state": "Running"}))
        if parts == ["admin", "functions"] and request.method == "GET":
            names = [spec.name for spec in self.functions]
            return Response.json(200, json.dumps([{"name": name} for name in names]))
        if len(parts) == 3 and parts[:2] == ["admin", "functions"] and request.method == "POST":
            return self._admin_invoke(unquote(parts[2]), request.body)
        return Response(404)

    def _admin_invoke(self, name: str, body: bytes) -> Response:
        spec = self._by_name.get(name.lower())
        if spec is None:
            return Response(404)
        if spec.kind is TriggerKind.HTTP:
            return _error(400, "HTTP functions cannot be run through the admin endpoint")
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError:
            return _error(400, 'body must be JSON like {"input": "..."}')
        admin_input = document.get("input") if isinstance(document, dict) else None
        if admin_input is not None and not isinstance(admin_input, str):
            admin_input = json.dumps(admin_input)
        if spec.kind is TriggerKind.QUEUE:
            argument: Any = admin_queue_message(admin_input or "")
        else:
            argument = timer_request(admin_input)
        self._admin_pool.submit(self._run_admin, spec, argument)
        return Response(202)

    def _run_admin(self, spec: FunctionSpec, argument: Any) -> None:
        self.invoker.run(spec, argument, trigger_details="Reason=Admin")
