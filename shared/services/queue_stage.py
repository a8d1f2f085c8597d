"""Running one queue message through a pipeline stage.

A message that can never succeed is parked in `<queue>-poison` on its first
delivery, unchanged, with the reason logged; the function then returns normally
so the host deletes the original. Anything else raised is transient: the host
retries it and poisons it after its fifth failure.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import azure.functions as func

from shared.domain.intake_mapping import UnprocessableLead
from shared.services.container import services

log = logging.getLogger("leads.pipeline")


def run_stage(queue: str, msg: func.QueueMessage, stage: Callable[[bytes], Any]) -> None:
    started = time.perf_counter()
    record: dict[str, Any] = {
        "queue": queue,
        "messageId": msg.id,
        "dequeueCount": getattr(msg, "dequeue_count", None),
    }
    body = msg.get_body()
    try:
        result = stage(body)
    except UnprocessableLead as reason:
        services().queues.to_poison(queue, body.decode("utf-8", errors="replace"))
        record.update(outcome="poisoned", reason=str(reason)[:300])
        log.warning("message %s", json.dumps(record), extra={"fields": record})
        return
    except Exception as error:
        record.update(outcome="retry", error=type(error).__name__)
        log.warning("message %s", json.dumps(record), extra={"fields": record})
        raise
    for name in ("partner_id", "lead_id", "created"):
        if hasattr(result, name):
            record[name] = getattr(result, name)
    record.update(outcome="done", ms=round((time.perf_counter() - started) * 1000, 1))
    log.info("message %s", json.dumps(record, default=str), extra={"fields": record})
