"""The notification service on Azurite: slots, digests, reminders and exactly-once delivery.

Leads are stored and validated in process (no queue), so the session's local host never sees
them; emails go to a per-test outbox directory, or to the ACS stub through the real SDK.
"""

from __future__ import annotations

import email.policy
import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from shared.adapters.email_senders import (
    AcsEmailSender,
    OutboxSender,
    TransientEmailError,
    acs_operation_id,
)
from shared.adapters.lead_repository import StoredLead
from shared.adapters.notification_log import ClaimOutcome, Delivery, new_lead_claim_key
from shared.adapters.storage_clients import NOTIFICATIONS_TABLE
from shared.domain import lifecycle
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.notification_content import EmailMessage
from shared.services import notification_settings, notifications, validation
from shared.services.container import Services
from tests.integration.acs_stub import AcsEmailStub, ScriptedAnswer
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner

# Lower case: the settings store addresses as email-validator normalises them.
RECIPIENTS = ("sales@partner.example", "lead-desk@partner.example")


# --- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    kind: str
    lead_ids: tuple[str, ...]
    to: str
    subject: str
    html: str
    text: str


def read_outbox(directory: Path, lead_ids: set[str] | None = None) -> list[Mail]:
    mails = []
    for path in sorted(directory.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        # A long header is folded (RFC 5322), which adds whitespace after commas.
        ids = tuple(part.strip() for part in str(parsed["X-Lead-Ids"]).split(",") if part.strip())
        if lead_ids is not None and not lead_ids.intersection(ids):
            continue
        html_part = parsed.get_body(preferencelist=("html",))
        text_part = parsed.get_body(preferencelist=("plain",))
        mails.append(
            Mail(
                kind=str(parsed["X-Notification-Kind"]),
                lead_ids=ids,
                to=str(parsed["To"]),
                subject=str(parsed["Subject"]),
                html=html_part.get_content() if html_part else "",
                text=text_part.get_content() if text_part else "",
            )
        )
    return mails


class CountingSender:
    """The real outbox sender, counting what it is asked to send (thread-safe)."""

    def __init__(self, directory: Path) -> None:
        self.outbox = OutboxSender(directory)
        self.sent: list[EmailMessage] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        self.outbox.send(message)
        with self._lock:
            self.sent.append(message)


@pytest.fixture
def sender(tmp_path: Path) -> CountingSender:
    return CountingSender(tmp_path / "outbox")


@pytest.fixture
def acs() -> Iterator[AcsEmailStub]:
    with AcsEmailStub() as stub:
        yield stub


def set_recipients(services: Services, partner_id: str, *addresses: str) -> None:
    body = notification_settings.NotificationSettingsBody.model_validate(
        {"recipients": [{"email": address, "name": None} for address in addresses]}
    )
    notification_settings.replace(services, partner_id, body)


def store_lead(services: Services, partner_id: str, **fields: object) -> StoredLead:
    """A lead as intake and contact validation leave it, without going through the queues."""
    # Each lead its own customer: a customer's follow-up leads would go to the digest (§11).
    new = map_marketplace_lead(marketplace_lead(partner_id, **(distinct_customer() | fields)))  # type: ignore[arg-type]
    now = services.clock()
    lead = new.to_lead(
        new_lead_id(new.created_date_time or now), now=now, expiry_days=services.settings.lead_expiry_days
    )
    services.leads.create(lifecycle.created(lead), new.idempotency_key)
    services.register_partner(partner_id)
    stored = services.leads.get(partner_id, lead.id)
    assert stored is not None
    services.leads.save(validation.validation_change(stored.lead, services.settings, None, now), stored)
    validated = services.leads.get(partner_id, lead.id)
    assert validated is not None
    return validated


def message(stored: StoredLead) -> bytes:
    return json.dumps({"partnerId": stored.lead.partner_id, "leadId": stored.lead.id}).encode()


def claim_row(services: Services, partner_id: str, row_key: str) -> dict[str, object]:
    return services.clients.table(NOTIFICATIONS_TABLE).get_entity(partner_id, row_key)


# --- the day's individual emails and the digest ----------------------------------------------


def test_first_ten_leads_are_emailed_one_by_one_and_the_rest_wait_for_the_digest(
    services: Services, sender: CountingSender
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, *RECIPIENTS)
    leads = [store_lead(services, partner, company=f"Company {n:02d}") for n in range(12)]
    results = [notifications.notify_lead(services, message(stored), sender) for stored in leads]

    assert Counter(result.outcome for result in results) == {"Individual": 10, "Digest": 2}
    ids = {stored.lead.id for stored in leads}
    mails = read_outbox(sender.outbox.directory, ids)
    per_recipient = Counter((mail.kind, mail.to) for mail in mails)
    assert per_recipient == {("NewLead", RECIPIENTS[0]): 10, ("NewLead", RECIPIENTS[1]): 10}
    individually = {mail.lead_ids[0] for mail in mails}
    waiting = {result.lead_id for result in results if result.outcome == "Digest"}
    assert individually | waiting == ids and not individually & waiting

    day = results[0].day
    assert day is not None
    assert notifications.send_partner_digest(services, partner, day, sender) == 2
    digests = [mail for mail in read_outbox(sender.outbox.directory, ids) if mail.kind == "Digest"]
    assert sorted(mail.to for mail in digests) == sorted(RECIPIENTS)
    for digest in digests:
        assert set(digest.lead_ids) == waiting
        assert "2 new leads" in digest.subject

    # The digest run again, and every message delivered again: nothing new.
    assert notifications.send_partner_digest(services, partner, day, sender) == 0
    again = [notifications.notify_lead(services, message(stored), sender) for stored in leads]
    assert sum(result.sent for result in again) == 0
    assert [r.outcome for r in again] == [r.outcome for r in results]
    assert len(sender.sent) == 22


def test_a_lead_placed_after_the_digest_went_out_gets_a_digest_of_its_own(
    services: Services, sender: CountingSender
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    leads = [store_lead(services, partner) for _ in range(12)]
    results = [notifications.notify_lead(services, message(stored), sender) for stored in leads[:11]]
    day = results[0].day
    assert day is not None
    assert notifications.send_partner_digest(services, partner, day, sender) == 1

    late = notifications.notify_lead(services, message(leads[11]), sender)

    assert late.outcome == "Digest" and late.sent == 1
    digests = [
        m for m in read_outbox(sender.outbox.directory) if m.kind == "Digest" and m.to == RECIPIENTS[0]
    ]
    digests = [m for m in digests if set(m.lead_ids) & {s.lead.id for s in leads}]
    assert sorted(m.lead_ids for m in digests) == sorted([(results[10].lead_id,), (leads[11].lead.id,)])
    assert notifications.send_partner_digest(services, partner, day, sender) == 0


def test_no_digest_when_every_lead_was_emailed(services: Services, sender: CountingSender) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    stored = store_lead(services, partner)
    result = notifications.notify_lead(services, message(stored), sender)
    assert result.day is not None
    assert notifications.send_partner_digest(services, partner, result.day, sender) == 0
    assert [m.kind for m in read_outbox(sender.outbox.directory, {stored.lead.id})] == ["NewLead"]


def test_sixteen_workers_take_exactly_the_days_slots(services: Services) -> None:
    partner = unique_partner()
    leads = [store_lead(services, partner) for _ in range(24)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        # Every lead twice: a redelivery racing its original must not take a second slot.
        assignments = list(pool.map(lambda s: notifications.assign_lead(services, s), leads + leads))

    by_lead: dict[str, set[tuple[Delivery, int | None]]] = {}
    for assignment in assignments:
        by_lead.setdefault(assignment.lead_id, set()).add((assignment.delivery, assignment.slot))
    assert all(len(outcomes) == 1 for outcomes in by_lead.values())
    slots = sorted(slot for outcomes in by_lead.values() for delivery, slot in outcomes if slot is not None)
    assert slots == list(range(1, 11))
    digest = notifications.notification_log(services).digest_lead_ids(partner, assignments[0].day)
    assert len(digest) == 14


def test_informational_leads_send_nothing(services: Services, sender: CountingSender) -> None:
    partner = unique_partner()
    set_recipients(services, partner, *RECIPIENTS)
    for code in ("FreeTrial", "StartTestDrive", "INS"):
        stored = store_lead(services, partner, action_code=code)
        result = notifications.notify_lead(services, message(stored), sender)
        assert result.outcome == "Informational"
    assert sender.sent == []
    # Informational leads take no slot: the partition holds only the settings row.
    rows = services.clients.table(NOTIFICATIONS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": partner}
    )
    assert [row["RowKey"] for row in rows] == ["settings"]


def test_a_partner_without_recipients_still_uses_its_slots(
    services: Services, sender: CountingSender
) -> None:
    partner = unique_partner()
    stored = store_lead(services, partner)
    result = notifications.notify_lead(services, message(stored), sender)
    assert (result.outcome, result.sent) == ("Individual", 0)
    assert sender.sent == []


# --- exactly once --------------------------------------------------------------------------


def test_concurrent_deliveries_of_one_message_send_once_per_recipient(
    services: Services, sender: CountingSender
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, *RECIPIENTS)
    stored = store_lead(services, partner)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: notifications.notify_lead(services, message(stored), sender), range(8))
        )

    assert sum(result.sent for result in results) == 2
    assert sorted(m.recipients[0] for m in sender.sent) == sorted(RECIPIENTS)
    assert len(read_outbox(sender.outbox.directory, {stored.lead.id})) == 2
    for recipient in RECIPIENTS:
        row = claim_row(services, partner, new_lead_claim_key(stored.lead.id, recipient))
        assert row["State"] == "Sent"


def test_a_claim_left_pending_by_a_crash_is_sent_after_its_lease(
    services: Services, sender: CountingSender, clock: object
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    stored = store_lead(services, partner)
    notifications.assign_lead(services, stored)
    # A worker claimed the email and died before sending.
    book = notifications.notification_log(services)
    row_key = new_lead_claim_key(stored.lead.id, RECIPIENTS[0])
    crashed = book.claim(
        partner,
        row_key,
        kind="NewLead",
        recipient=RECIPIENTS[0],
        lead_ids=(stored.lead.id,),
        now=services.clock(),
        lease=notifications.CLAIM_LEASE,
    )
    assert crashed.outcome is ClaimOutcome.WON

    within_lease = notifications.notify_lead(services, message(stored), sender)
    assert (within_lease.sent, within_lease.in_progress) == (0, 1)

    clock.advance(minutes=6)  # type: ignore[attr-defined]
    after_lease = notifications.notify_lead(services, message(stored), sender)
    assert after_lease.sent == 1
    assert claim_row(services, partner, row_key)["State"] == "Sent"
    assert notifications.notify_lead(services, message(stored), sender).sent == 0
    assert len(sender.sent) == 1


def test_acs_throttling_is_retried_and_each_recipient_gets_one_email(
    services: Services, acs: AcsEmailStub
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, *RECIPIENTS)
    stored = store_lead(services, partner, company="Tailspin <Toys>")
    waits: list[float] = []
    acs_sender = AcsEmailSender(
        acs.endpoint, access_key=acs.access_key, sleep=waits.append, polling_interval_seconds=0
    )
    acs.fail_next_sends(
        ScriptedAnswer(
            429,
            headers={"Retry-After": "1"},
            body={"error": {"code": "TooManyRequests", "message": "slow down"}},
        )
    )

    first = notifications.notify_lead(services, message(stored), acs_sender)
    again = notifications.notify_lead(services, message(stored), acs_sender)

    assert (first.sent, again.sent) == (2, 0)
    assert waits == [1.0]
    assert sorted(body["recipients"]["to"][0]["address"] for body in acs.accepted) == sorted(RECIPIENTS)
    assert all(r.signature_valid for r in acs.requests)
    operation_ids = [r.headers["operation-id"] for r in acs.sends()]
    assert len(operation_ids) == 3  # the throttled attempt and one per recipient
    assert operation_ids[0] == operation_ids[1]  # the retry names the same operation
    html_bodies = [body["content"]["html"] for body in acs.accepted]
    assert all("Tailspin &lt;Toys&gt;" in html for html in html_bodies)
    assert acs_operation_id  # the id is derived from the idempotency key (tested with the sender)


def test_a_transient_failure_is_raised_and_the_retry_sends_once(
    services: Services, acs: AcsEmailStub
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    stored = store_lead(services, partner)
    acs_sender = AcsEmailSender(
        acs.endpoint, access_key=acs.access_key, max_attempts=1, polling_interval_seconds=0
    )
    acs.fail_next_sends(
        ScriptedAnswer(503, body={"error": {"code": "ServiceUnavailable", "message": "down"}})
    )

    with pytest.raises(TransientEmailError):
        notifications.notify_lead(services, message(stored), acs_sender)
    # The host retries the message: the released claim is taken over at once.
    assert notifications.notify_lead(services, message(stored), acs_sender).sent == 1
    assert notifications.notify_lead(services, message(stored), acs_sender).sent == 0
    assert len(acs.accepted) == 1


def test_a_permanent_failure_is_recorded_and_not_retried(services: Services, acs: AcsEmailStub) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    stored = store_lead(services, partner)
    acs_sender = AcsEmailSender(acs.endpoint, access_key=acs.access_key, polling_interval_seconds=0)
    acs.fail_next_sends(ScriptedAnswer(400, body={"error": {"code": "BadRequest", "message": "bad sender"}}))

    assert notifications.notify_lead(services, message(stored), acs_sender).sent == 1
    row = claim_row(services, partner, new_lead_claim_key(stored.lead.id, RECIPIENTS[0]))
    assert row["State"] == "Failed" and "bad sender" in str(row["Detail"])
    assert notifications.notify_lead(services, message(stored), acs_sender).sent == 0
    assert len(acs.sends()) == 1 and acs.accepted == []


# --- overdue reminders ---------------------------------------------------------------------


def test_overdue_reminder_goes_once_per_recipient_however_often_the_sweep_calls(
    services: Services, sender: CountingSender
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, *RECIPIENTS)
    stored = store_lead(services, partner)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: _remind_or_busy(services, stored, sender), range(4)))
    assert outcomes.count("busy") < 4
    assert len(sender.sent) == 2
    assert notifications.remind_contact_overdue(services, stored, sender) == 0

    mails = read_outbox(sender.outbox.directory, {stored.lead.id})
    assert Counter((m.kind, m.to) for m in mails) == {
        ("ContactOverdue", RECIPIENTS[0]): 1,
        ("ContactOverdue", RECIPIENTS[1]): 1,
    }


def _remind_or_busy(services: Services, stored: StoredLead, sender: CountingSender) -> int | str:
    try:
        return notifications.remind_contact_overdue(services, stored, sender)
    except notifications.NotificationInProgress:
        return "busy"


# --- big days: Azure's filter limit and ACS's message size ------------------------------------


def store_digest_leads(services: Services, partner_id: str, count: int) -> tuple[list[str], date]:
    """`count` stored leads placed in their day's digest (as after the day's slots ran out)."""
    book = notifications.notification_log(services)
    day = services.clock().date()

    def one(n: int) -> str:
        new = map_marketplace_lead(marketplace_lead(partner_id, company=f"Company {n:04d}"))
        now = services.clock()
        lead = new.to_lead(new_lead_id(now), now=now, expiry_days=services.settings.lead_expiry_days)
        services.leads.create(lifecycle.created(lead), new.idempotency_key)
        assert book.assign(partner_id, day, lead.id, limit=0, now=now).delivery is Delivery.DIGEST
        return lead.id

    # Four writers: every lead lands on the same day's tally rows, so more only adds lost races.
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(one, range(count)))
    services.register_partner(partner_id)
    return ids, day


def test_a_digest_of_twenty_five_leads_is_sent(services: Services, sender: CountingSender) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    ids, day = store_digest_leads(services, partner, 25)

    assert notifications.send_partner_digest(services, partner, day, sender) == 1

    [digest] = read_outbox(sender.outbox.directory, set(ids))
    assert digest.kind == "Digest" and sorted(digest.lead_ids) == sorted(ids)
    assert "25 new leads" in digest.subject


@pytest.fixture
def per_email(monkeypatch: pytest.MonkeyPatch) -> int:
    """Digest emails of 20 leads: the split is the same at 200 (tests/unit/test_digest_size.py
    shows why 200 rows fit an email), and 20 keeps a busy day's leads few enough to store quickly."""
    monkeypatch.setattr(notifications, "MAX_LEADS_PER_DIGEST_EMAIL", 20)
    return 20


def test_a_very_busy_day_is_split_into_several_digest_emails_each_sent_once(
    services: Services, sender: CountingSender, per_email: int
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    ids, day = store_digest_leads(services, partner, per_email + 7)

    assert notifications.send_partner_digest(services, partner, day, sender) == 2

    digests = read_outbox(sender.outbox.directory, set(ids))
    assert sorted(len(mail.lead_ids) for mail in digests) == [7, per_email]
    listed = [lead_id for mail in digests for lead_id in mail.lead_ids]
    assert sorted(listed) == sorted(ids)  # every lead once, in exactly one email
    assert notifications.send_partner_digest(services, partner, day, sender) == 0
    assert len(sender.sent) == 2


class FailingSecondSend(CountingSender):
    """Sends the first email, refuses the second once for a while (ACS throttling), then sends."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.calls == 2:
            raise TransientEmailError("throttled")
        super().send(message)


def test_a_split_digest_interrupted_after_its_first_email_sends_only_the_rest(
    services: Services, tmp_path: Path, per_email: int
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, RECIPIENTS[0])
    ids, day = store_digest_leads(services, partner, per_email + 3)
    sender = FailingSecondSend(tmp_path / "outbox")

    with pytest.raises(TransientEmailError):
        notifications.send_partner_digest(services, partner, day, sender)
    assert len(sender.sent) == 1

    assert notifications.send_partner_digest(services, partner, day, sender) == 1

    digests = read_outbox(sender.outbox.directory, set(ids))
    assert sorted(len(mail.lead_ids) for mail in digests) == [3, per_email]
    assert sorted(lead_id for mail in digests for lead_id in mail.lead_ids) == sorted(ids)
    assert notifications.send_partner_digest(services, partner, day, sender) == 0
