"""Queues for in-process tests that must not share their leads with the session's host."""

from __future__ import annotations

import json
from typing import Any

from shared.adapters.message_queues import MessageQueues


class HeldQueues(MessageQueues):
    """Pipeline messages kept here, not sent.

    The session's host consumes the real queues: it would validate, notify or expire the test's
    leads (with its real clock) while the test works them in process.
    """

    def __init__(self) -> None:
        self.held: list[tuple[str, str]] = []

    def send(self, queue: str, payload: dict[str, Any]) -> None:
        self.held.append((queue, json.dumps(payload)))

    def send_text(self, queue: str, text: str, *, visible_after: int | None = None) -> None:
        self.held.append((queue, text))
