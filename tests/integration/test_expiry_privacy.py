"""What expiry leaves of a customer's contact, on real Azurite: nothing in any row of the lead's
partition, no reminder about a lead past its expiry, no old outbox file, no lasting poison message.

The clock is moved by hand; leads are created a little short of their expiry, so that only this
test's leads (and none that other tests left behind) fall due at the sweep's `now`.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.adapters.due_index import DueKind
from shared.adapters.email_senders import AcsEmailSender, OutboxSender
from shared.adapters.lead_repository import StoredLead
from shared.adapters.message_queues import MessageQueues
from shared.adapters.storage_clients import LEADS_TABLE
from shared.domain import lifecycle
from shared.domain.enums import Stage, Status
from shared.domain.intake_mapping import map_referral
from shared.domain.lead_ids import new_lead_id
from shared.domain.queues import poison_queue_name
from shared.services import notifications, sweeps, validation
from shared.services.container import Services
from tests.conftest import Clock
from tests.integration.test_notifications import CountingSender, set_recipients
from tests.support.leads import referral, unique_partner

NEED = (
    "This is Jonas Weber. Call me at +49 30 901820 or on my mobile 0151 23456789, "
    "or mail jonas.private@gmail.com. We need 40 servers by 2027-03-01."
)
# Every trace of the contact: as the customer wrote it, as validation stored it (E.164), the name.
TRACES = (
    "Jonas",
    "Weber",
    "jonas@northwind.de",
    "jonas.private@gmail.com",
    "+49 30 901820",
    "+4930901820",
    "4930901820",
    "30 901820",
    "0151 23456789",
    "15123456789",
)
ALMOST = timedelta(days=14) - timedelta(minutes=1)


def ingest(services: Services, partner: str, *, age: timedelta, requested_contact: bool = True) -> str:
    """A lead as intake stores it, with its due row, but without the queue message: the session's
    local host, which listens to the queues, must not validate it behind the test's back."""
    body = referral(partner, created=services.clock() - age, requested_contact=requested_contact)
    body["details"]["notes"] = NEED
    new = map_referral(body)
    now = services.clock()
    lead = new.to_lead(
        new_lead_id(new.created_date_time or now), now=now, expiry_days=services.settings.lead_expiry_days
    )
    services.leads.create(lifecycle.created(lead), new.idempotency_key)
    services.register_partner(partner)
    if lead.customer_requested_contact:
        overdue_at = lead.created_date_time + timedelta(hours=services.settings.urgency_hours)
        services.due.schedule(DueKind.OVERDUE, partner, lead.id, overdue_at)
    else:
        assert lead.expiration_date_time is not None
        services.due.schedule(DueKind.EXPIRE, partner, lead.id, lead.expiration_date_time)
    return lead.id


def validate(services: Services, partner: str, lead_id: str) -> None:
    message = json.dumps({"partnerId": partner, "leadId": lead_id}).encode()
    validation.validate_lead(services, message)


def stored(services: Services, partner: str, lead_id: str) -> StoredLead:
    found = services.leads.get(partner, lead_id)
    assert found is not None
    return found


def add_history_with_contact(services: Services, partner: str, lead_id: str, count: int) -> None:
    """History entries whose details quote the contact (as a note or a synced change might)."""
    for index in range(count):
        current = stored(services, partner, lead_id)
        details = {"note": f"{index}: Jonas Weber, +49 30 901820, jonas@northwind.de", "index": index}
        change = lifecycle.record_validation(current.lead, {}, now=services.clock(), details=details)
        services.leads.save(change, current)


def partition_text(services: Services, partner: str) -> str:
    """Every value of every row of the partner's partition in the Leads table."""
    rows = services.clients.table(LEADS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": partner}
    )
    return "\n".join(f"{name}={value}" for row in rows for name, value in row.items())


def assert_no_trace(text: str) -> None:
    found = [trace for trace in TRACES if trace.casefold() in text.casefold()]
    assert not found, found


def test_expiry_leaves_no_contact_in_any_row_of_the_partition(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    lead_id = ingest(services, partner, age=ALMOST)
    validate(services, partner, lead_id)
    add_history_with_contact(services, partner, lead_id, 2)
    before = partition_text(services, partner)
    assert "jonas.private@gmail.com" in before and "+4930901820" in before and "Jonas Weber" in before

    clock.advance(minutes=2)
    assert lead_id in sweeps.expire_leads(services).changed

    assert_no_trace(partition_text(services, partner))
    lead = stored(services, partner, lead_id).lead
    assert lead.status is Status.EXPIRED
    assert lead.customer_need == (
        "This is [removed]. Call me at [removed] or on my mobile [removed], "
        "or mail [removed]. We need 40 servers by 2027-03-01."
    )
    history = services.leads.history(partner, lead_id)
    assert [entry.action.value for entry in history] == [
        "LeadCreated",
        "ContactValidated",
        "ContactValidated",
        "ContactValidated",
        "LeadExpired",
    ]
    assert history[2].details == {"note": "0: [removed], [removed], [removed]", "index": 0}
    assert history[1].details["quality"] in ("High", "Low")


def test_a_long_history_is_scrubbed_in_batches_beyond_one_transaction(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner()
    lead_id = ingest(services, partner, age=ALMOST, requested_contact=False)
    add_history_with_contact(services, partner, lead_id, 130)

    clock.advance(minutes=2)
    assert lead_id in sweeps.expire_leads(services).changed

    history = services.leads.history(partner, lead_id)
    assert len(history) == 132
    assert [entry.details["index"] for entry in history[1:-1]] == list(range(130))
    assert_no_trace(partition_text(services, partner))


def test_a_lead_arriving_past_its_expiry_is_expired_by_validation(services: Services) -> None:
    partner = unique_partner()
    lead_id = ingest(services, partner, age=timedelta(days=15))
    assert stored(services, partner, lead_id).lead.stage is Stage.RECEIVED

    validate(services, partner, lead_id)

    lead = stored(services, partner, lead_id).lead
    assert (lead.stage, lead.status) == (Stage.ARCHIVED, Status.EXPIRED)
    assert lead.email_validity is not None  # validated from the real contact first
    # The overdue check, whenever it runs, neither reminds nor changes anything more.
    reminded: list[str] = []
    sweeps.flag_overdue_contact_requests(services, remind=lambda _s, found: reminded.append(found.lead.id))
    assert lead_id not in reminded
    assert [entry.action.value for entry in services.leads.history(partner, lead_id)] == [
        "LeadCreated",
        "ContactValidated",
        "LeadExpired",
    ]
    assert_no_trace(partition_text(services, partner))
    # A redelivered validation message finds it validated and expired: nothing more is written.
    validate(services, partner, lead_id)
    assert len(services.leads.history(partner, lead_id)) == 3


def test_a_lead_the_sweep_expired_before_validation_is_not_validated_afterwards(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner()
    lead_id = ingest(services, partner, age=ALMOST, requested_contact=False)
    clock.advance(minutes=2)
    assert lead_id in sweeps.expire_leads(services).changed

    validate(services, partner, lead_id)

    # Its contact is gone: there is nothing to validate, and no entry after LeadExpired.
    lead = stored(services, partner, lead_id).lead
    assert (lead.status, lead.validated_date_time, lead.email_validity) == (Status.EXPIRED, None, None)
    assert [entry.action.value for entry in services.leads.history(partner, lead_id)] == [
        "LeadCreated",
        "LeadExpired",
    ]


def test_the_overdue_sweep_expires_a_lead_past_expiry_instead_of_reminding(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner()
    # Not validated, so still Received; its only due row is the overdue check.
    lead_id = ingest(services, partner, age=ALMOST)
    overdue_only = ingest(services, partner, age=timedelta(hours=72, minutes=-1))
    clock.advance(minutes=2)
    reminded: list[str] = []

    result = sweeps.flag_overdue_contact_requests(
        services, remind=lambda _s, found: reminded.append(found.lead.id)
    )

    assert lead_id not in reminded and overdue_only in reminded
    assert overdue_only in result.changed
    assert stored(services, partner, lead_id).lead.status is Status.EXPIRED
    assert stored(services, partner, overdue_only).lead.status is Status.RECEIVED
    assert lead_id not in sweeps.expire_leads(services).changed


def test_no_reminder_is_sent_about_a_lead_whose_expiry_has_passed(
    services: Services, clock: Clock, tmp_path: Path
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, "sales@partner.example")
    sender = CountingSender(tmp_path / "outbox")
    lead_id = ingest(services, partner, age=ALMOST)
    received = stored(services, partner, lead_id)
    clock.advance(minutes=2)  # the sweep read it as Received; its expiry passes before the send

    assert notifications.remind_contact_overdue(services, received, sender) == 0
    assert sender.sent == []


def _write(directory: Path, name: str, age: timedelta, now: datetime) -> Path:
    path = directory / name
    path.write_bytes(b"Subject: x\r\n\r\nJonas Weber +4930901820\r\n")
    moment = (now - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def test_outbox_files_older_than_the_expiry_period_are_removed(services: Services, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    now = services.clock()
    old = _write(outbox, "old.eml", timedelta(days=14, minutes=1), now)
    half_written = _write(outbox, ".x.eml.tmp", timedelta(days=15), now)
    young = _write(outbox, "young.eml", timedelta(days=13, hours=23), now)
    other = _write(outbox, "notes.txt", timedelta(days=30), now)

    assert sweeps.remove_expired_outbox_mail(services, OutboxSender(outbox)) == 2

    assert not old.exists() and not half_written.exists()
    assert young.exists() and other.exists()
    assert sweeps.remove_expired_outbox_mail(services, OutboxSender(tmp_path / "missing")) == 0
    acs = AcsEmailSender("http://127.0.0.1:9", access_key="a2V5")
    assert sweeps.remove_expired_outbox_mail(services, acs) == 0
    acs.close()


def _poison_lifetime(services: Services, queue: str) -> timedelta:
    (message,) = services.clients.queue(poison_queue_name(queue)).peek_messages(max_messages=5)
    lifetime: Any = message.expires_on - message.inserted_on
    return lifetime


def test_poison_messages_expire_with_the_lead_expiry_or_storage_default_if_sooner(services: Services) -> None:
    queues = MessageQueues(services.clients)
    cases = {
        timedelta(days=3): timedelta(days=3),
        timedelta(days=14): timedelta(days=7),
        None: timedelta(days=7),
    }
    for keep_for, lifetime in cases.items():
        queue = f"privacy-{uuid.uuid4().hex[:12]}"
        queues.to_poison(
            queue, '{"PartnerId": "p", "UserDetails": {"Email": "jonas@northwind.de"}}', keep_for=keep_for
        )
        assert abs(_poison_lifetime(services, queue) - lifetime) < timedelta(seconds=5), keep_for
        services.clients.queue(poison_queue_name(queue)).delete_queue()
