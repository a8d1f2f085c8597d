"""The app's functions as the host sees them, and how one is invoked.

The registered functions come from `app.get_functions()`, which raises on a second call for the
same app, so they are read once into `FunctionSpec`s. Synchronous functions run on the caller's
thread (the HTTP server, queue pool and timers each have their own); coroutine functions run on
one shared event loop, as the Python worker does.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("devhost")


class TriggerKind(enum.StrEnum):
    HTTP = "httpTrigger"
    QUEUE = "queueTrigger"
    TIMER = "timerTrigger"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    kind: TriggerKind
    parameter_name: str
    user_function: Callable[..., Any]
    route: str | None = None
    methods: tuple[str, ...] | None = None
    auth_level: str | None = None
    queue_name: str | None = None
    connection: str | None = None
    schedule: str | None = None
    run_on_startup: bool = False


def _text(value: Any) -> str | None:
    """Enum members (HttpMethod.GET, AuthLevel.ANONYMOUS) and strings alike, as plain text."""
    if value is None:
        return None
    return str(value.value if isinstance(value, enum.Enum) else value)


def is_disabled(name: str, environ: Mapping[str, str]) -> bool:
    """The real host's switch: app setting `AzureWebJobs.<name>.Disabled` = true (or 1)."""
    value = environ.get(f"AzureWebJobs.{name}.Disabled", "").strip().lower()
    return value in ("true", "1")


def enabled_functions(specs: list[FunctionSpec], environ: Mapping[str, str]) -> list[FunctionSpec]:
    return [spec for spec in specs if not is_disabled(spec.name, environ)]


def read_functions(app: Any) -> list[FunctionSpec]:
    """Every function registered on the app (blueprints included), with its trigger metadata."""
    specs: list[FunctionSpec] = []
    for function in app.get_functions():
        trigger = function.get_trigger()
        name = function.get_function_name()
        try:
            kind = TriggerKind(trigger.type)
        except ValueError:
            supported = ", ".join(kind.value for kind in TriggerKind)
            raise RuntimeError(
                f"function {name!r}: trigger {trigger.type!r} is not served locally (supported: {supported})"
            ) from None
        common = {
            "name": name,
            "kind": kind,
            "parameter_name": trigger.name,
            "user_function": function.get_user_function(),
        }
        if kind is TriggerKind.HTTP:
            methods = getattr(trigger, "methods", None)
            specs.append(
                FunctionSpec(
                    **common,
                    # Without a route the real host serves the function at its name.
                    route=getattr(trigger, "route", None) or name,
                    methods=None if not methods else tuple((_text(m) or "").upper() for m in methods),
                    auth_level=_text(getattr(trigger, "auth_level", None)),
                )
            )
        elif kind is TriggerKind.QUEUE:
            specs.append(
                FunctionSpec(
                    **common,
                    queue_name=trigger.queue_name,
                    connection=getattr(trigger, "connection", None) or "AzureWebJobsStorage",
                )
            )
        else:
            specs.append(
                FunctionSpec(
                    **common,
                    schedule=trigger.schedule,
                    run_on_startup=bool(getattr(trigger, "run_on_startup", False)),
                )
            )
    return specs


def load_app(module_name: str) -> Any:
    """Import the function app module and find its `FunctionApp` instance."""
    import azure.functions as func

    module = importlib.import_module(module_name)
    apps = [value for value in vars(module).values() if isinstance(value, func.FunctionApp)]
    if len(apps) != 1:
        raise RuntimeError(f"expected one FunctionApp in module {module_name!r}, found {len(apps)}")
    return apps[0]


class Invoker:
    """Runs user functions, logging one line per invocation (name, outcome, duration)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="devhost-async", daemon=True)
        self._loop_thread.start()

    def invoke(self, spec: FunctionSpec, argument: Any, *, trigger_details: str = "") -> Any:
        """Call the function with its trigger argument; re-raise what it raises, after logging it."""
        started = time.perf_counter()
        detail = f", {trigger_details}" if trigger_details else ""
        try:
            result = self._call(spec, argument)
        except BaseException:
            elapsed = (time.perf_counter() - started) * 1000
            logger.exception("Executed '%s' (Failed%s, Duration=%.0fms)", spec.name, detail, elapsed)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        logger.info("Executed '%s' (Succeeded%s, Duration=%.0fms)", spec.name, detail, elapsed)
        return result

    def run(self, spec: FunctionSpec, argument: Any, *, trigger_details: str = "") -> bool:
        """Like `invoke` for triggers with no caller waiting: True on success, failures only logged."""
        try:
            self.invoke(spec, argument, trigger_details=trigger_details)
        except Exception:
            return False
        return True

    def _call(self, spec: FunctionSpec, argument: Any) -> Any:
        keyword = {spec.parameter_name: argument}
        if inspect.iscoroutinefunction(spec.user_function):
            future = asyncio.run_coroutine_threadsafe(spec.user_function(**keyword), self._loop)
            return future.result()
        result = spec.user_function(**keyword)
        if inspect.isawaitable(result):
            return asyncio.run_coroutine_threadsafe(_await(result), self._loop).result()
        return result

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=5)


async def _await(awaitable: Any) -> Any:
    return await awaitable
