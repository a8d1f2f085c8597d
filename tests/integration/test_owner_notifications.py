"""The owner is told, and a customer's follow-up leads wait for the digest (contract §11)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.lead_repository import StoredLead
from shared.domain.routing import RoutingSettingsBody
from shared.services import intake, notifications, routing, validation
from shared.services.container import Services
from tests.conftest import Clock
from tests.integration.test_notifications import CountingSender, message, read_outbox, set_recipients
from tests.integration.test_owners_routing import stranger
from tests.support.leads import unique_partner
from tests.support.queues import HeldQueues

RECIPIENT = "sales@partner.example"


@pytest.fixture
def services(services: Services) -> Services:
    services.queues = HeldQueues()
    return services


@pytest.fixture
def sender(tmp_path: Path) -> CountingSender:
    return CountingSender(tmp_path / "outbox")


def arrive(services: Services, body: dict[str, Any]) -> StoredLead:
    """A lead through intake (routed) and contact validation, as the queues would run them."""
    lead_id = intake.ingest(services, json.dumps(body), intake.MARKETPLACE).lead_id
    stored = services.leads.get(body["PartnerId"], lead_id)
    assert stored is not None
    services.leads.save(
        validation.validation_change(stored.lead, services.settings, None, services.clock()), stored
    )
    validated = services.leads.get(body["PartnerId"], lead_id)
    assert validated is not None
    return validated


def route_to(services: Services, partner: str, *user_ids: str) -> None:
    body = {"rules": [{"when": {}, "assignTo": [{"userId": user_id} for user_id in user_ids]}]}
    routing.replace(services, partner, RoutingSettingsBody.model_validate(body))


def test_the_owner_gets_the_new_lead_email_once(services: Services, sender: CountingSender) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENT)
    # One owner's address is their sign-in name; the other's comes from their sign-in's email claim.
    route_to(services, partner, "ann@partner.example", "bob-object-id")
    services.routing.note_user(partner, "bob-object-id", "Bob", "Bob@Partner.example", services.clock())
    first, second = arrive(services, stranger(partner)), arrive(services, stranger(partner))

    for stored in (first, second, first, second):  # every message delivered twice
        notifications.notify_lead(services, message(stored), sender)

    mails = read_outbox(sender.outbox.directory, {first.lead.id, second.lead.id})
    assert Counter((mail.lead_ids[0], mail.to) for mail in mails) == {
        (first.lead.id, RECIPIENT): 1,
        (first.lead.id, "ann@partner.example"): 1,
        (second.lead.id, RECIPIENT): 1,
        (second.lead.id, "Bob@partner.example"): 1,
    }


def test_an_owner_among_the_recipients_is_mailed_once(services: Services, sender: CountingSender) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENT)
    route_to(services, partner, RECIPIENT.upper())
    stored = arrive(services, stranger(partner))
    notifications.notify_lead(services, message(stored), sender)
    assert [mail.to for mail in read_outbox(sender.outbox.directory, {stored.lead.id})] == [RECIPIENT]


def test_without_routing_rules_an_owner_given_by_hand_is_not_mailed(
    services: Services, sender: CountingSender
) -> None:
    from shared.domain import lifecycle
    from shared.domain.lead import Owner

    partner = unique_partner()
    set_recipients(services, partner, RECIPIENT)
    stored = arrive(services, stranger(partner))
    change = lifecycle.assign_owner(
        stored.lead, Owner(user_id="ann@partner.example"), actor="u", actor_name=None, now=services.clock()
    )
    assert change is not None
    services.leads.save(change, stored)
    owned = services.leads.get(partner, stored.lead.id)
    assert owned is not None
    notifications.notify_lead(services, message(owned), sender)
    assert [mail.to for mail in read_outbox(sender.outbox.directory, {stored.lead.id})] == [RECIPIENT]


def test_within_seven_days_only_a_customers_first_lead_is_emailed_one_by_one(
    services: Services, sender: CountingSender, clock: Clock
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENT)
    customer = stranger(partner)
    first = arrive(services, customer)
    download = arrive(
        services, stranger(partner, action_code="INS") | {"UserDetails": customer["UserDetails"]}
    )
    clock.advance(hours=1)
    again = arrive(services, stranger(partner) | {"UserDetails": customer["UserDetails"]})
    other = arrive(services, stranger(partner))
    results = {
        stored.lead.id: notifications.notify_lead(services, message(stored), sender).outcome
        for stored in (again, first, download, other)  # the follow-up's message may come first
    }
    assert results == {
        first.lead.id: "Individual",
        download.lead.id: "Informational",
        again.lead.id: "Digest",
        other.lead.id: "Individual",
    }
    day = notifications.arrival_time(services, again).date()
    assert services.notification_log.digest_lead_ids(partner, day) == [again.lead.id]
    # A follow-up takes none of the day's individual slots.
    assert services.notification_log.assignment(partner, day, again.lead.id).slot is None  # type: ignore[union-attr]

    clock.advance(days=8)
    later = arrive(services, stranger(partner) | {"UserDetails": customer["UserDetails"]})
    assert notifications.notify_lead(services, message(later), sender).outcome == "Individual"
