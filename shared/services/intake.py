"""Lead intake: an inbound message becomes exactly one stored lead (contract §3)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.adapters.azure_limits import MAX_QUEUE_MESSAGE_BYTES, queue_message_bytes
from shared.adapters.due_index import DueKind
from shared.adapters.lead_repository import DuplicateLead
from shared.domain import lifecycle
from shared.domain.errors import FieldError, ServiceError, bad_request
from shared.domain.intake_mapping import (
    NewLead,
    UnprocessableLead,
    map_marketplace_lead,
    map_referral,
    parse_json_object,
)
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.queues import CONTACT_VALIDATION_QUEUE, MARKETPLACE_LEADS_QUEUE
from shared.services import lead_changes, related, routing
from shared.services.container import Services

log = logging.getLogger(__name__)

Mapper = Callable[[dict[str, Any]], NewLead]
MARKETPLACE: Mapper = map_marketplace_lead
REFERRAL: Mapper = map_referral


@dataclass(frozen=True)
class IntakeResult:
    partner_id: str
    lead_id: str
    created: bool


def _mapped(services: Services, body: dict[str, Any], mapper: Mapper) -> NewLead:
    new_lead = mapper(body)
    new_lead.check_created(services.clock())
    return new_lead


def check_marketplace_body(services: Services, body: dict[str, Any]) -> None:
    """Refuse (400, naming the field) a posted lead the queue stage could only poison.

    The partner allow-list is not checked here: such a lead is well formed, so it is
    accepted (202) and parked in the poison queue, where an operator can re-drive it.
    """
    try:
        _mapped(services, body, MARKETPLACE)
    except UnprocessableLead as error:
        raise bad_request(
            [FieldError(error.field, str(error), error.code)], "The lead cannot be taken in."
        ) from None


def _check_partner_accepted(services: Services, partner_id: str) -> None:
    accepted = services.settings.intake_partner_ids
    if accepted is not None and partner_id not in accepted:
        raise UnprocessableLead(f"partner {partner_id!r} is not in INTAKE_PARTNER_IDS", "PartnerId")


def queue_marketplace_lead(services: Services, body: dict[str, Any]) -> None:
    """Queue a lead the marketplace posted, or refuse it: 400 when intake could only poison it,
    413 when its message cannot fit.

    A queue message holds 64 KiB after base64, so a JSON body over 48 KiB (less with
    non-ASCII text) that passed the 64 KiB HTTP limit would be refused by the queue: saying so
    tells the caller not to retry a body that can never be taken.
    """
    check_marketplace_body(services, body)
    text = json.dumps(body, ensure_ascii=False)
    size = queue_message_bytes(text)
    if size > MAX_QUEUE_MESSAGE_BYTES:
        raise ServiceError(
            413,
            "PayloadTooLarge",
            f"The lead is too large to queue: {size} bytes as a queue message, over the queue's "
            f"limit of {MAX_QUEUE_MESSAGE_BYTES // 1024} KiB (base64-encoded JSON).",
        )
    services.queues.send_text(MARKETPLACE_LEADS_QUEUE, text)


def ingest(services: Services, raw: bytes | str, mapper: Mapper) -> IntakeResult:
    """Store the lead (once), then finish the steps after it; safe to run again on redelivery.

    Raises UnprocessableLead for a message that can never succeed.
    """
    return store_new_lead(services, _mapped(services, parse_json_object(raw), mapper))


def store_new_lead(services: Services, new_lead: NewLead) -> IntakeResult:
    """Store a mapped lead once by its idempotency key, then the idempotent steps after it
    (partner registration, due row, validation, `LeadCreated`); `created` False when the key
    was already stored (its lead is returned, unchanged)."""
    _check_partner_accepted(services, new_lead.partner_id)
    now = services.clock()
    lead = new_lead.to_lead(
        new_lead_id(new_lead.created_date_time or now),
        now=now,
        expiry_days=services.settings.lead_expiry_days,
    )
    try:
        change: lifecycle.Change | None = _store_with_owner(services, lead, new_lead.idempotency_key)
        created = True
    except DuplicateLead as duplicate:
        stored = services.leads.get(new_lead.partner_id, duplicate.lead_id)
        if stored is None:  # the key row exists, so the lead does too; defensive only
            raise RuntimeError(
                f"lead {duplicate.lead_id} of key {new_lead.idempotency_key} is missing"
            ) from None
        lead = stored.lead
        change, created = None, False
    # Everything below is idempotent, and runs again on a redelivered message so a
    # crash between the lead's write and these steps loses nothing. That includes the
    # partner's registration: a delivery that stored the lead and then failed to register
    # would otherwise leave the partner unknown to the timers until its next lead.
    services.register_partner(lead.partner_id)
    related.mark_related(services, lead)
    _schedule_first_due(services, lead)
    services.queues.send(CONTACT_VALIDATION_QUEUE, {"partnerId": lead.partner_id, "leadId": lead.id})
    # Only the delivery that stored the lead sends its LeadCreated; if it died before
    # sending, the dispatcher timer sends the row it left in the outbox.
    if change is not None:
        lead_changes.publish(services, change)
    return IntakeResult(lead.partner_id, lead.id, created)


def _store_with_owner(services: Services, lead: Lead, idempotency_key: str) -> lifecycle.Change:
    """Store a new lead with its owner: the owner of the customer's first lead of the last days
    (related leads stay with one person), else the first matching routing rule's turn, else none."""
    inherited = related.inherited_owner(services, lead, lead.arrived_date_time or services.clock())
    if inherited is not None:
        return services.leads.create(
            lifecycle.created(lead.model_copy(update={"owner": inherited})), idempotency_key
        )
    return services.leads.create(lifecycle.created(lead), idempotency_key, turn=routing.route(services, lead))


def _schedule_first_due(services: Services, lead: Lead) -> None:
    # One due row per lead at a time: the overdue check first when the customer asked
    # for contact (it schedules the expiry when it runs), else the expiry.
    if lead.customer_requested_contact and not lead.overdue_recorded:
        due_at = lead.created_date_time + timedelta(hours=services.settings.urgency_hours)
        services.due.schedule(DueKind.OVERDUE, lead.partner_id, lead.id, due_at)
    elif lead.expiration_date_time is not None:
        services.due.schedule(DueKind.EXPIRE, lead.partner_id, lead.id, lead.expiration_date_time)
