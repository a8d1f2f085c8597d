"""Sending to the pipeline's queues, and the event outbox dispatcher."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from shared.adapters.lead_repository import LeadRepository, event_message, outbox_row_key
from shared.adapters.storage_clients import StorageClients
from shared.domain.lifecycle import LeadEvent
from shared.domain.queues import LEAD_EVENTS_QUEUE, poison_queue_name

log = logging.getLogger(__name__)

# Storage's default time-to-live of a queue message; the Functions host gives it to the
# messages it moves to `<queue>-poison` itself, and it cannot be changed there.
POISON_MESSAGE_TTL = timedelta(days=7)


class MessageQueues:
    def __init__(self, clients: StorageClients) -> None:
        self._clients = clients

    def send(self, queue: str, payload: dict[str, Any]) -> None:
        self._clients.queue(queue).send_message(json.dumps(payload, separators=(",", ":")))

    def send_text(self, queue: str, text: str, *, visible_after: int | None = None) -> None:
        """`visible_after` seconds: the message stays hidden from readers until then."""
        self._clients.queue(queue).send_message(text, visibility_timeout=visible_after)

    def to_poison(self, queue: str, original_text: str, *, keep_for: timedelta | None = None) -> None:
        """Park a message that can never succeed, unchanged, where operators look.

        It holds a lead's contact details, so it expires: after `keep_for` (the lead expiry)
        or Storage's default of 7 days, whichever is sooner.
        """
        keep = POISON_MESSAGE_TTL if keep_for is None else min(keep_for, POISON_MESSAGE_TTL)
        self._clients.queue(poison_queue_name(queue)).send_message(
            original_text, time_to_live=int(keep.total_seconds())
        )


class EventPublisher:
    """Sends events from the outbox rows written with each change to `lead-events`.

    The writer that stored a change sends its event at once and deletes the row. A row a
    crash left behind is sent by the dispatcher timer once it is older than a grace period,
    so no writer is still busy with it. An event is never lost; after a crash between send
    and delete it is sent again with the same `eventId`, which consumers drop.
    """

    def __init__(self, leads: LeadRepository, queues: MessageQueues) -> None:
        self._leads = leads
        self._queues = queues

    def publish(self, event: LeadEvent) -> None:
        """The event of a change this process just stored."""
        self._queues.send_text(LEAD_EVENTS_QUEUE, event_message(event))
        self._leads.delete_event(event.partner_id, outbox_row_key(event))

    def publish_left_behind(self, partner_id: str, *, occurred_before: datetime) -> int:
        sent = 0
        for pending in self._leads.pending_events(partner_id):
            occurred = datetime.fromisoformat(json.loads(pending["message"])["occurredDateTime"])
            if occurred >= occurred_before:
                continue
            self._queues.send_text(LEAD_EVENTS_QUEUE, pending["message"])
            self._leads.delete_event(partner_id, pending["row_key"])
            sent += 1
        return sent
