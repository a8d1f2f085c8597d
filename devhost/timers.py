"""Timer triggers: run each timer function on its NCRONTAB schedule (UTC), one thread per timer.

Invocations of one timer never overlap; an occurrence missed while the function was still running
is skipped. `%NAME%` in a schedule is replaced by the setting NAME.

The function receives `azure.functions.timer.TimerRequest(past_due=False)` with an extra attribute
`input`: None on scheduled runs, the admin input string when run through the admin endpoint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from azure.functions.timer import TimerRequest

from devhost.config import resolve_setting_references
from devhost.functions import FunctionSpec, Invoker
from devhost.ncrontab import Schedule

logger = logging.getLogger("devhost.timers")


def timer_request(admin_input: str | None = None) -> TimerRequest:
    request = TimerRequest(past_due=False)
    # Not part of TimerRequest: the real host drops admin input for timers, so callers treat it as optional.
    request.input = admin_input  # type: ignore[attr-defined]
    return request


class TimerRunner:
    def __init__(
        self,
        spec: FunctionSpec,
        invoker: Invoker,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        assert spec.schedule is not None
        self.spec = spec
        self.invoker = invoker
        self.clock = clock
        self.schedule = Schedule.parse(resolve_setting_references(spec.schedule))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"timer-{spec.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float = 10.0) -> None:
        """Wait for a running invocation to finish (up to `timeout` seconds)."""
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        self.join(timeout)

    def _run(self) -> None:
        if self.spec.run_on_startup:
            self._fire()
        while not self._stopping.is_set():
            now = self.clock()
            due = self.schedule.next_after(now)
            if self._stopping.wait((due - now).total_seconds()):
                return
            # Event.wait can return a hair early; never fire before the due second.
            while (remaining := (due - self.clock()).total_seconds()) > 0:
                if self._stopping.wait(remaining):
                    return
            self._fire()

    def _fire(self) -> None:
        # A failure is logged by the invoker; the schedule goes on.
        self.invoker.run(self.spec, timer_request(), trigger_details="Reason=Timer")
