"""The contact-validation stage on Azurite: one verdict per lead, redelivery, races, settings, DNS.

Leads are stored in process without going through the intake queue, so the session's local
host (when other tests started it) never validates them first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest

from shared.adapters.lead_repository import LeadRepository, StoredLead
from shared.adapters.message_queues import MessageQueues
from shared.adapters.storage_clients import StorageClients
from shared.config import load_settings
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody
from shared.domain.enums import HistoryAction, Role, Stage, Status
from shared.domain.intake_mapping import UnprocessableLead, map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.principal import Principal
from shared.domain.queues import LEAD_NOTIFICATIONS_QUEUE
from shared.services import leads, validation
from shared.services.container import Services
from tests.conftest import Clock
from tests.integration.dns_server import Behaviour, LoopbackDnsServer, Zone
from tests.support.leads import accept_body, marketplace_lead, unique_partner

# --- helpers ---------------------------------------------------------------------------------


class RecordingQueues(MessageQueues):
    """The real queues, remembering what was sent: the session's host may consume the queue."""

    def __init__(self, clients: StorageClients) -> None:
        super().__init__(clients)
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, queue: str, payload: dict[str, Any]) -> None:
        super().send(queue, payload)
        self.sent.append((queue, payload))


def services_with(app_env: dict[str, str], clock: Clock, **settings: str) -> Services:
    """In-process services on the session's Azurite with extra settings and recorded sends."""
    built = Services.build(load_settings({**app_env, **settings}), clock=clock)
    built.clients = StorageClients(built.settings.storage)
    built.queues = RecordingQueues(built.clients)
    return built


@pytest.fixture
def stage(app_env: dict[str, str], clock: Clock) -> Services:
    return services_with(app_env, clock)


def store_lead(services: Services, partner_id: str, **fields: Any) -> Lead:
    """A lead as intake leaves it: stored with its LeadCreated entry, not yet validated."""
    new = map_marketplace_lead(marketplace_lead(partner_id, **fields))
    now = services.clock()
    lead = new.to_lead(
        new_lead_id(new.created_date_time or now), now=now, expiry_days=services.settings.lead_expiry_days
    )
    services.leads.create(lifecycle.created(lead), new.idempotency_key)
    return lead


def message(lead: Lead) -> bytes:
    return json.dumps({"partnerId": lead.partner_id, "leadId": lead.id}).encode()


def reread(services: Services, lead: Lead) -> StoredLead:
    stored = services.leads.get(lead.partner_id, lead.id)
    assert stored is not None
    return stored


def validated_entries(services: Services, lead: Lead) -> list[lifecycle.HistoryEntry]:
    return [
        entry
        for entry in services.leads.history(lead.partner_id, lead.id)
        if entry.action is HistoryAction.CONTACT_VALIDATED
    ]


def notifications_sent(services: Services, lead: Lead) -> int:
    assert isinstance(services.queues, RecordingQueues)
    expected = {"partnerId": lead.partner_id, "leadId": lead.id}
    return services.queues.sent.count((LEAD_NOTIFICATIONS_QUEUE, expected))


def principal(partner_id: str) -> Principal:
    return Principal(
        user_id="user-1",
        partner_id=partner_id,
        roles=frozenset({Role.REFERRALS_ADMIN}),
        email="sales@partner.example",
        name="Sam Sales",
    )


def accept(services: Services, lead: Lead) -> None:
    body = AcceptBody.model_validate(accept_body())

    def decide(current: Lead, now: datetime) -> lifecycle.Change:
        return lifecycle.accept(current, body, actor="user-1", now=now)

    leads.change_lead(services, principal(lead.partner_id), lead.id, decide, if_match=None)


# --- one verdict per lead --------------------------------------------------------------------


def test_validation_stores_the_verdict_once_with_its_history_entry(stage: Services, clock: Clock) -> None:
    lead = store_lead(stage, unique_partner(), phone="020 794 0000", country="NL")
    clock.advance(seconds=30)

    result = validation.validate_lead(stage, message(lead))

    assert result.validated is True
    stored = reread(stage, lead).lead
    assert stored.email_validity is not None and stored.email_validity.value == "Unknown"  # check `off`
    assert stored.phone_validity is not None and stored.phone_validity.value == "Valid"
    assert stored.quality is not None and stored.quality.value == "High"
    assert stored.spam_flags == []
    # Stored with millisecond precision.
    assert stored.validated_date_time == clock.now.replace(microsecond=clock.now.microsecond // 1000 * 1000)
    assert stored.customer.phone == "+31207940000"
    assert stored.stage is Stage.RECEIVED and stored.status is Status.RECEIVED

    entries = validated_entries(stage, lead)
    assert len(entries) == 1
    assert entries[0].actor == "system"
    assert entries[0].details == {
        "emailValidity": "Unknown",
        "phoneValidity": "Valid",
        "quality": "High",
        "spamFlags": [],
    }
    assert entries[0].from_status is Status.RECEIVED and entries[0].to_status is Status.RECEIVED
    assert notifications_sent(stage, lead) == 1

    # The list filters match on the stored columns, which must carry the verdict too.
    row = reread(stage, lead).columns
    assert row["EmailValidity"] == "Unknown" and row["PhoneValidity"] == "Valid" and row["Quality"] == "High"


def test_an_invalid_phone_is_kept_as_given(stage: Services) -> None:
    lead = store_lead(stage, unique_partner(), phone="12345", country="NL")
    validation.validate_lead(stage, message(lead))
    stored = reread(stage, lead).lead
    assert stored.phone_validity is not None and stored.phone_validity.value == "Invalid"
    assert stored.customer.phone == "12345"


def test_redelivery_validates_nothing_again_but_still_queues_the_notification(
    stage: Services, clock: Clock
) -> None:
    lead = store_lead(stage, unique_partner())
    assert validation.validate_lead(stage, message(lead)).validated is True
    first = reread(stage, lead)
    history_before = stage.leads.history(lead.partner_id, lead.id)
    clock.advance(minutes=10)

    again = validation.validate_lead(stage, message(lead))

    assert again.validated is False
    second = reread(stage, lead)
    assert second.etag == first.etag  # not even rewritten
    assert second.lead.validated_date_time == first.lead.validated_date_time
    assert stage.leads.history(lead.partner_id, lead.id) == history_before
    assert len(validated_entries(stage, lead)) == 1
    assert notifications_sent(stage, lead) == 2


def test_concurrent_deliveries_write_one_verdict(stage: Services) -> None:
    lead = store_lead(stage, unique_partner())
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: validation.validate_lead(stage, message(lead)), range(8)))
    assert sum(result.validated for result in results) == 1
    assert len(validated_entries(stage, lead)) == 1
    assert notifications_sent(stage, lead) == 8


# --- races with people working the lead ------------------------------------------------------


class InterleavingLeads(LeadRepository):
    """The real repository; before its first save, `interleave` runs (another writer wins the race)."""

    def __init__(self, inner: LeadRepository, interleave: Any) -> None:
        super().__init__(inner._table)
        self._interleave = interleave
        self.saves = 0

    def save(self, change: lifecycle.Change, stored: StoredLead) -> str:
        self.saves += 1
        if self.saves == 1:
            self._interleave()
        return super().save(change, stored)


def test_an_acceptance_racing_validation_loses_nothing(
    stage: Services, app_env: dict[str, str], clock: Clock
) -> None:
    lead = store_lead(stage, unique_partner(), phone="030 901820", country="DE")
    other_writer = services_with(app_env, clock)
    # Validation has read the lead and decided; the partner accepts before it writes.
    stage.leads = InterleavingLeads(stage.leads, lambda: accept(other_writer, lead))

    result = validation.validate_lead(stage, message(lead))

    assert result.validated is True
    assert stage.leads.saves == 2  # the first write lost the race and was redone on the new lead
    stored = reread(stage, lead).lead
    assert stored.stage is Stage.ACCEPTED and stored.deal is not None
    assert stored.deal.name == accept_body()["dealName"]
    assert stored.phone_validity is not None and stored.phone_validity.value == "Valid"
    assert stored.customer.phone == "+4930901820"
    actions = [entry.action for entry in stage.leads.history(lead.partner_id, lead.id)]
    assert actions == [
        HistoryAction.LEAD_CREATED,
        HistoryAction.LEAD_ACCEPTED,
        HistoryAction.CONTACT_VALIDATED,
    ]


def test_validation_racing_an_acceptance_loses_nothing(
    stage: Services, app_env: dict[str, str], clock: Clock
) -> None:
    lead = store_lead(stage, unique_partner())
    accepting = services_with(app_env, clock)
    # The partner's request has read the lead; validation writes before it does.
    accepting.leads = InterleavingLeads(
        accepting.leads, lambda: validation.validate_lead(stage, message(lead))
    )

    accept(accepting, lead)

    stored = reread(stage, lead).lead
    assert stored.stage is Stage.ACCEPTED
    assert stored.validated_date_time is not None and stored.quality is not None
    assert len(validated_entries(stage, lead)) == 1
    assert [e.action for e in stage.leads.history(lead.partner_id, lead.id)].count(
        HistoryAction.LEAD_ACCEPTED
    ) == 1


def test_simultaneous_acceptance_and_validation_both_land(
    stage: Services, app_env: dict[str, str], clock: Clock
) -> None:
    partner = unique_partner()
    batch = [store_lead(stage, partner) for _ in range(6)]
    accepting = services_with(app_env, clock)
    start = threading.Barrier(2)

    def validate_all() -> None:
        start.wait()
        for lead in batch:
            validation.validate_lead(stage, message(lead))

    def accept_all() -> None:
        start.wait()
        for lead in batch:
            accept(accepting, lead)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(validate_all), pool.submit(accept_all)]:
            future.result()
    for lead in batch:
        stored = reread(stage, lead).lead
        assert stored.stage is Stage.ACCEPTED and stored.validated_date_time is not None
        assert len(validated_entries(stage, lead)) == 1


# --- settings --------------------------------------------------------------------------------


def test_spam_domains_from_the_settings_make_an_address_spam(app_env: dict[str, str], clock: Clock) -> None:
    stage = services_with(app_env, clock, SPAM_DOMAINS="spammy-leads.com, @Junk-Mail.NL")
    partner = unique_partner()
    listed = store_lead(stage, partner, email="anna@spammy-leads.com")
    subdomain = store_lead(stage, partner, email="anna@eu.junk-mail.nl")
    clean = store_lead(stage, partner, email="anna@fabrikam.nl")
    for lead in (listed, subdomain, clean):
        validation.validate_lead(stage, message(lead))

    for lead in (listed, subdomain):
        stored = reread(stage, lead).lead
        assert stored.email_validity is not None and stored.email_validity.value == "Spam"
        assert stored.quality is not None and stored.quality.value == "Low"
        assert "spam_domain" in stored.spam_flags
        assert validated_entries(stage, lead)[0].details["emailValidity"] == "Spam"
    kept = reread(stage, clean).lead
    assert kept.email_validity is not None and kept.email_validity.value == "Unknown"
    assert kept.quality is not None and kept.quality.value == "High"


def test_without_spam_domains_the_same_address_is_not_spam(stage: Services) -> None:
    lead = store_lead(stage, unique_partner(), email="anna@spammy-leads.com")
    validation.validate_lead(stage, message(lead))
    stored = reread(stage, lead).lead
    assert stored.email_validity is not None and stored.email_validity.value == "Unknown"
    assert stored.spam_flags == []


DNS_ZONES = {
    "accepts-mail.nl": Zone(mx=[(10, "mail.accepts-mail.nl")]),
    "no-answer.nl": Zone(behaviour=Behaviour.SILENT),
}


@pytest.fixture
def dns_server() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(DNS_ZONES) as server:
        yield server


def test_dns_check_through_the_configured_resolver(
    app_env: dict[str, str], clock: Clock, dns_server: LoopbackDnsServer
) -> None:
    stage = services_with(
        app_env, clock, EMAIL_DELIVERABILITY_CHECK="dns", EMAIL_DNS_SERVERS=dns_server.address
    )
    partner = unique_partner()
    cases = {
        "anna@accepts-mail.nl": ("Valid", "High"),
        "anna@does-not-exist.nl": ("Invalid", "Low"),  # the server answers NXDOMAIN
        "anna@no-answer.nl": ("Unknown", "High"),  # the server stays silent: a timeout
    }
    stored_leads = {address: store_lead(stage, partner, email=address) for address in cases}
    for lead in stored_leads.values():
        validation.validate_lead(stage, message(lead))

    for address, (validity, quality) in cases.items():
        stored = reread(stage, stored_leads[address]).lead
        assert stored.email_validity is not None and stored.email_validity.value == validity, address
        assert stored.quality is not None and stored.quality.value == quality, address
    assert dns_server.count("accepts-mail.nl", "MX") == 1
    assert dns_server.count("does-not-exist.nl", "MX") == 1
    assert dns_server.count("no-answer.nl", "MX") >= 1


def test_dns_check_is_not_asked_about_a_spam_domain(
    app_env: dict[str, str], clock: Clock, dns_server: LoopbackDnsServer
) -> None:
    stage = services_with(
        app_env, clock, EMAIL_DELIVERABILITY_CHECK="dns", EMAIL_DNS_SERVERS=dns_server.address
    )
    lead = store_lead(stage, unique_partner(), email="x@a.mailinator.com")
    validation.validate_lead(stage, message(lead))
    stored = reread(stage, lead).lead
    assert stored.email_validity is not None and stored.email_validity.value == "Spam"
    assert dns_server.count("a.mailinator.com") == 0


# --- messages that can never succeed ---------------------------------------------------------


def test_a_message_for_a_lead_that_does_not_exist_is_unprocessable(stage: Services) -> None:
    partner = unique_partner()
    lead = store_lead(stage, partner)
    missing = json.dumps({"partnerId": partner, "leadId": new_lead_id(stage.clock())}).encode()
    other_partner = json.dumps({"partnerId": unique_partner(), "leadId": lead.id}).encode()
    for body in (missing, other_partner):
        with pytest.raises(UnprocessableLead):
            validation.validate_lead(stage, body)
    assert reread(stage, lead).lead.validated_date_time is None
    assert validated_entries(stage, lead) == []
    assert stage.queues.sent == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        b"not JSON",
        b"\xff\xfe\x00garbage",
        b"[1, 2]",
        b"null",
        b"{}",
        b'{"partnerId": "p-1"}',
        b'{"leadId": "1234567890123abcdefghjk"}',
        b'{"partnerId": 7, "leadId": "1234567890123abcdefghjk"}',
        b'{"partnerId": "p-1", "leadId": ["x"]}',
        b'{"partnerId": "", "leadId": ""}',
        b'{"partnerId": "p/1\'", "leadId": "1234567890123abcdefghjk"}',
        b'{"partnerId": "p-1", "leadId": "../lead|x"}',
        b'{"partnerId": "p-1\\n", "leadId": "1234567890123abcdefghjk"}',
        b'{"partnerId": "p-1", "leadId": "1234567890123abcdefghjk\\n"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=lambda body: body[:40].decode("utf-8", "replace"),
)
def test_a_malformed_message_is_unprocessable(stage: Services, body: bytes) -> None:
    with pytest.raises(UnprocessableLead):
        validation.validate_lead(stage, body)
    assert stage.queues.sent == []  # type: ignore[attr-defined]
