"""Running one queue message through a pipeline stage.

A message that can never succeed is parked in `<queue>-poison` on its first
delivery, unchanged, with the reason logged; the function then returns normally
so the host deletes the original. Anything else raised is transient: the host
retries it and poisons it after its fifth failure.

The queue trigger itself stays in `functions/`: it hands over the message's plain values.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from shared.domain.intake_mapping import UnprocessableLead, is_valid_partner_id
from shared.domain.lead_ids import is_lead_id
from shared.services.container import Services

log = logging.getLogger("leads.pipeline")


def lead_message(raw: bytes) -> tuple[str, str]:
    """`(partnerId, leadId)` of a message between two pipeline stages.

    Checked here, not by storage: a key with characters Table Storage refuses would fail
    as a transient error and be retried five times for nothing.
    """
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise UnprocessableLead("not JSON") from None
    if not isinstance(body, dict):
        raise UnprocessableLead("expected {partnerId, leadId}")
    partner_id, lead_id = body.get("partnerId"), body.get("leadId")
    # `$` in the patterns also matches before a final newline, hence the extra test.
    if not isinstance(partner_id, str) or not is_valid_partner_id(partner_id) or "\n" in partner_id:
        raise UnprocessableLead("expected {partnerId, leadId}: no valid partnerId")
    if not isinstance(lead_id, str) or not is_lead_id(lead_id) or "\n" in lead_id:
        raise UnprocessableLead("expected {partnerId, leadId}: no valid leadId")
    return partner_id, lead_id


def run_stage(
    services: Services,
    queue: str,
    body: bytes,
    stage: Callable[[Services, bytes], Any],
    *,
    message_id: str | None,
    dequeue_count: int | None,
) -> None:
    started = time.perf_counter()
    record: dict[str, Any] = {"queue": queue, "messageId": message_id, "dequeueCount": dequeue_count}
    try:
        result = stage(services, body)
    except UnprocessableLead as reason:
        expiry = timedelta(days=services.settings.lead_expiry_days)
        services.queues.to_poison(queue, body.decode("utf-8", errors="replace"), keep_for=expiry)
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
