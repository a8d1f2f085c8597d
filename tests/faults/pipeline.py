"""What the storage fault tests share: the partner's recipients, timing a call, the poison queues."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from azure.core.exceptions import ResourceNotFoundError

from shared.domain.queues import (
    CONTACT_VALIDATION_QUEUE,
    LEAD_NOTIFICATIONS_QUEUE,
    MARKETPLACE_LEADS_QUEUE,
    poison_queue_name,
)
from shared.services.container import Services
from tests.support.principals import principal_header

RECIPIENTS = ("sales@partner.example", "desk@partner.example")


def set_recipients(api: httpx.Client, partner_id: str) -> None:
    body = {"recipients": [{"email": address} for address in RECIPIENTS]}
    response = api.put(
        "/api/settings/notifications", json=body, headers=principal_header(partner_id=partner_id)
    )
    assert response.status_code == 200, response.text


def timed(request: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def poisoned(services: Services) -> dict[str, int]:
    counts = {}
    for queue in (MARKETPLACE_LEADS_QUEUE, CONTACT_VALIDATION_QUEUE, LEAD_NOTIFICATIONS_QUEUE):
        try:
            counts[queue] = len(
                services.clients.queue(poison_queue_name(queue)).peek_messages(max_messages=32)
            )
        except ResourceNotFoundError:
            counts[queue] = 0
    return counts
