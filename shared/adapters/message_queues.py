"""Sending to the pipeline's queues, and the event outbox dispatcher."""

from __future__ import annotations

import json
import logging
from typing import Any

from shared.adapters.lead_repository import LeadRepository
from shared.adapters.storage_clients import LEAD_EVENTS_QUEUE, StorageClients, poison_queue_name

log = logging.getLogger(__name__)


class MessageQueues:
    def __init__(self, clients: StorageClients) -> None:
        self._clients = clients

    def send(self, queue: str, payload: dict[str, Any]) -> None:
        self._clients.queue(queue).send_message(json.dumps(payload, separators=(",", ":")))

    def send_text(self, queue: str, text: str) -> None:
        self._clients.queue(queue).send_message(text)

    def to_poison(self, queue: str, original_text: str) -> None:
        """Park a message that can never succeed, unchanged, where operators look."""
        self._clients.queue(poison_queue_name(queue)).send_message(original_text)


class EventPublisher:
    """Sends a partner's outbox rows to `lead-events`, then deletes them.

    A crash between send and delete sends that event again later with the same
    `eventId`, which consumers drop; an event is never lost.
    """

    def __init__(self, leads: LeadRepository, queues: MessageQueues) -> None:
        self._leads = leads
        self._queues = queues

    def publish(self, partner_id: str, lead_id: str | None = None) -> int:
        sent = 0
        for pending in self._leads.pending_events(partner_id, lead_id):
            self._queues.send_text(LEAD_EVENTS_QUEUE, pending["message"])
            self._leads.delete_event(partner_id, pending["row_key"])
            sent += 1
        return sent
