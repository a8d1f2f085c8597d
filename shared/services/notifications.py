"""Lead emails (contract §8): the per-lead stage, the daily digest and overdue reminders.

Every email is sent at most once per (kind, lead or day, recipient) through a claim row:
claim it (a conditional insert, state Pending), send it under the message's idempotency key,
then mark it Sent. A worker that finds a live claim of someone else does not send; a Pending
claim whose lease has run out (its holder crashed) is taken over and sent again under the same
key, which the outbox (same file) and ACS (same `Operation-Id`) turn into one email.

The day a lead counts against is its UTC day of arrival: the moment the service stored it (its
`LeadCreated` history entry), not its `createdDateTime`, which the marketplace may set days in
the past, when that day's digest has long gone out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.adapters.email_senders import (
    EmailSender,
    PermanentEmailError,
    TransientEmailError,
)
from shared.adapters.lead_repository import StoredLead
from shared.adapters.notification_log import (
    Assignment,
    ClaimOutcome,
    ClaimState,
    Delivery,
    NotificationLog,
    digest_claim_key,
    digest_claim_prefix,
    new_lead_claim_key,
    overdue_claim_key,
)
from shared.domain import lifecycle
from shared.domain.enums import HistoryAction, NotificationKind, Stage
from shared.domain.intake_mapping import UnprocessableLead
from shared.domain.lead import Lead
from shared.domain.notification_content import (
    EmailMessage,
    render_contact_overdue,
    render_digest,
    render_new_lead,
)
from shared.domain.queues import LEAD_NOTIFICATIONS_QUEUE
from shared.domain.recipients import Addressee
from shared.services import notification_settings, related, routing, sweeps
from shared.services.container import Services
from shared.services.queue_stage import lead_message

log = logging.getLogger("leads.notifications")

# How long a claim protects an email being sent. Longer than the slowest send (the ACS sender
# retries for at most a few minutes), so a live sender is never doubled; after it, a crashed
# holder's email is sent again.
CLAIM_LEASE = timedelta(minutes=5)
# Days before the previous one that a scheduled digest run also finishes, when their run was
# missed or interrupted (a digest is a timer: nothing else retries it).
DIGEST_CATCH_UP_DAYS = 6
# Leads listed in one digest email. ACS takes at most 10 MB per email (azure_limits); a
# digest row is ~1.2 KB, and at most ~12 KB for a lead whose every text field is at its
# intake maximum (the digest cuts its cells), so 200 rows always fit, and stay readable.
# A busier day is sent as several digest emails, each its own claim (exactly once each).
MAX_LEADS_PER_DIGEST_EMAIL = 200
# Rounds in which another run claimed the next digest batch first before this run gives up.
_DIGEST_CONTENTION_ROUNDS = 5
DIGEST_STARTED = "Started"
DIGEST_DONE = "Done"


class NotificationInProgress(Exception):
    """Another worker holds a live claim on an email this run wanted to send."""


@dataclass
class NotificationResult:
    partner_id: str
    lead_id: str
    outcome: str  # Informational, Individual, Digest
    day: date | None = None
    sent: int = 0
    in_progress: int = 0


@dataclass
class DigestResult:
    days: list[date] = field(default_factory=list)
    sent: int = 0


def notification_log(services: Services) -> NotificationLog:
    return services.notification_log


def _expired_if_due(services: Services, stored: StoredLead) -> StoredLead:
    """The lead as an email may show it: one whose expiry has passed is expired first (its
    contact removed), whichever timer was to do it, so no email carries an expired contact."""
    lead = stored.lead
    if lead.stage is not Stage.RECEIVED or not lifecycle.is_expiry_due(lead, services.clock()):
        return stored
    sweeps.expire_if_due(services, lead.partner_id, lead.id)
    return services.leads.get(lead.partner_id, lead.id) or stored


def _resource(services: Services, stored: StoredLead) -> dict[str, Any]:
    return stored.lead.to_resource(
        now=services.clock(),
        urgency_hours=services.settings.urgency_hours,
        favorite=False,
        etag=stored.etag,
    )


def _deliver(
    services: Services,
    sender: EmailSender,
    partner_id: str,
    row_key: str,
    *,
    kind: NotificationKind,
    recipient: str,
    lead_ids: tuple[str, ...],
    render: Callable[[tuple[str, ...]], EmailMessage | None],
) -> ClaimOutcome:
    """Send one email at most once. Returns what the claim found; raises TransientEmailError
    (after releasing the claim, so the retry sends at once)."""
    book = notification_log(services)
    claim = book.claim(
        partner_id,
        row_key,
        kind=kind.value,
        recipient=recipient,
        lead_ids=lead_ids,
        now=services.clock(),
        lease=CLAIM_LEASE,
    )
    if claim.outcome in (ClaimOutcome.DONE, ClaimOutcome.IN_PROGRESS):
        return claim.outcome
    try:
        # A taken-over claim is sent for the leads it was made for: same content, same key.
        message = render(claim.lead_ids)
        if message is None:
            book.finish(partner_id, claim, ClaimState.FAILED, services.clock(), "nothing to send")
            return claim.outcome
        sender.send(message)
    except TransientEmailError:
        book.release(partner_id, claim)
        raise
    except (PermanentEmailError, ValueError) as error:
        # Retrying cannot help (refused by ACS, an address that cannot be written): record it.
        # The row key names the recipient by a hash: no address in the log.
        log.error("email %s failed for good: %s", row_key, type(error).__name__)
        book.finish(partner_id, claim, ClaimState.FAILED, services.clock(), str(error))
        return claim.outcome
    book.finish(partner_id, claim, ClaimState.SENT, services.clock())
    return claim.outcome


# --- the per-lead stage ------------------------------------------------------------------


def arrival_time(services: Services, stored: StoredLead) -> datetime:
    """When the service stored the lead: recorded on the lead, else its `LeadCreated` entry."""
    if stored.lead.arrived_date_time is not None:
        return stored.lead.arrived_date_time
    for entry in services.leads.history(stored.lead.partner_id, stored.lead.id):
        if entry.action is HistoryAction.LEAD_CREATED:
            return entry.at
    # Not reached for leads stored by intake; the earliest moment the lead itself records.
    return stored.lead.validated_date_time or stored.lead.updated_date_time


def assign_lead(services: Services, stored: StoredLead) -> Assignment:
    """The lead's delivery for its day of arrival, reserved once (redeliveries find it).

    A customer's follow-up lead (another of theirs arrived within the days before) goes to the
    digest: only the first is emailed one by one (contract §11).
    """
    day = arrival_time(services, stored).date()
    book = notification_log(services)
    existing = book.assignment(stored.lead.partner_id, day, stored.lead.id)
    if existing is not None:
        return existing
    return book.assign(
        stored.lead.partner_id,
        day,
        stored.lead.id,
        limit=services.settings.individual_emails_per_day,
        now=services.clock(),
        to_digest=related.is_follow_up(services, stored.lead),
    )


LeadRenderer = Callable[..., EmailMessage]
ClaimKey = Callable[[str, str], str]


def _to_every_recipient(
    services: Services,
    stored: StoredLead,
    sender: EmailSender,
    *,
    kind: NotificationKind,
    claim_key: ClaimKey,
    renderer: LeadRenderer,
    recipients: list[Addressee] | None = None,
) -> Iterator[tuple[str, ClaimOutcome]]:
    """One email about one lead to each recipient, each at most once: each claim's outcome,
    yielded as it is known, so a caller can stop before the next recipient."""
    lead = stored.lead
    settings = services.settings
    resource = _resource(services, stored)
    for addressee in (
        recipients if recipients is not None else notification_settings.addressees(services, lead.partner_id)
    ):
        recipient = addressee.email

        def render(_ids: tuple[str, ...], addressee: Addressee = addressee) -> EmailMessage:
            return renderer(
                resource,
                recipient=addressee.email,
                sender=settings.email_sender_address,
                portal_base_url=settings.portal_base_url,
                urgency_hours=settings.urgency_hours,
                language=addressee.language,
            )

        key = claim_key(lead.id, recipient)
        outcome = _deliver(
            services,
            sender,
            lead.partner_id,
            key,
            kind=kind,
            recipient=recipient,
            lead_ids=(lead.id,),
            render=render,
        )
        yield key, outcome


def new_lead_recipients(services: Services, lead: Lead) -> list[Addressee]:
    """The notification settings' recipients, and the lead's owner when the partner routes leads.

    The owner's address is the one their sign-in carried, or their user id when that is an
    address (`routing.owner_email`); an owner already among the recipients is mailed once, in
    the language set for them there; otherwise in the default language.
    """
    recipients = notification_settings.addressees(services, lead.partner_id)
    if lead.owner is None or not routing.rules(services, lead.partner_id):
        return recipients
    address = routing.owner_email(services, lead.partner_id, lead.owner)
    if address is None or address.casefold() in {recipient.email.casefold() for recipient in recipients}:
        return recipients
    return [*recipients, Addressee(address)]


def send_new_lead_emails(services: Services, stored: StoredLead, sender: EmailSender) -> tuple[int, int]:
    """`NewLead` to every recipient (the owner too), once each. Returns (sent, in progress elsewhere)."""
    outcomes = [
        outcome
        for _key, outcome in _to_every_recipient(
            services,
            stored,
            sender,
            kind=NotificationKind.NEW_LEAD,
            claim_key=new_lead_claim_key,
            renderer=render_new_lead,
            recipients=new_lead_recipients(services, stored.lead),
        )
    ]
    sent = sum(outcome in (ClaimOutcome.WON, ClaimOutcome.TAKEN_OVER) for outcome in outcomes)
    return sent, sum(outcome is ClaimOutcome.IN_PROGRESS for outcome in outcomes)


def _defer(services: Services, raw: bytes) -> None:
    """Look again once the other worker's claim has run out: by then it is Sent, or abandoned
    and ours to take over. Returning instead of failing keeps the message off the poison path."""
    delay = int(CLAIM_LEASE.total_seconds()) + 5
    services.queues.send_text(LEAD_NOTIFICATIONS_QUEUE, raw.decode("utf-8"), visible_after=delay)


def notify_lead(services: Services, raw: bytes, sender: EmailSender | None = None) -> NotificationResult:
    """The `lead-notifications` stage: a validated lead's `NewLead` emails, or its digest place."""
    sender = sender or services.sender
    partner_id, lead_id = lead_message(raw)
    found = services.leads.get(partner_id, lead_id)
    if found is None:
        raise UnprocessableLead(f"no lead {lead_id[:40]} for partner {partner_id[:40]}")
    stored = _expired_if_due(services, found)
    if stored.lead.is_informational:
        return NotificationResult(partner_id, lead_id, "Informational")
    assignment = assign_lead(services, stored)
    result = NotificationResult(partner_id, lead_id, assignment.delivery.value, assignment.day)
    if assignment.delivery is Delivery.DIGEST:
        # The digest run marks its day before it reads the day's digest leads, so a lead placed
        # after that read is seen here, and goes out in a digest of its own.
        if notification_log(services).digest_state(partner_id, assignment.day) is not None:
            try:
                result.sent = send_partner_digest(services, partner_id, assignment.day, sender, late=True)
            except NotificationInProgress:
                result.in_progress = 1
                _defer(services, raw)
        return result
    result.sent, result.in_progress = send_new_lead_emails(services, stored, sender)
    if result.in_progress:
        _defer(services, raw)
    return result


# --- the daily digest --------------------------------------------------------------------


def _send_digest_to(
    services: Services,
    sender: EmailSender,
    partner_id: str,
    day: date,
    addressee: Addressee,
    digest_ids: list[str],
) -> int:
    """Digest batches for one recipient until every digest lead of the day is covered.

    Each batch is a claim row holding its lead ids (at most MAX_LEADS_PER_DIGEST_EMAIL); a lead
    in any earlier batch (sent, failed or pending) is never listed again for this recipient.
    Usually there is one batch; a very busy day takes several, and a lead placed after the
    day's digest went out gets a batch of its own.
    """
    book = notification_log(services)
    settings = services.settings
    recipient = addressee.email
    sent = 0

    def render(ids: tuple[str, ...]) -> EmailMessage | None:
        leads = [
            _resource(services, _expired_if_due(services, stored))
            for stored in services.leads.get_many(partner_id, list(ids))
        ]
        if not leads:
            return None
        return render_digest(
            leads,
            day=day,
            recipient=recipient,
            sender=settings.email_sender_address,
            portal_base_url=settings.portal_base_url,
            urgency_hours=settings.urgency_hours,
            language=addressee.language,
        )

    contended = 0
    while True:
        claims = book.claims(partner_id, digest_claim_prefix(day, recipient))
        covered = {lead_id for claim in claims for lead_id in claim.lead_ids}
        # Finish batches a crashed or failed run left Pending (same leads, same key).
        for claim in claims:
            if claim.state is ClaimState.PENDING:
                outcome = _deliver(
                    services,
                    sender,
                    partner_id,
                    claim.row_key,
                    kind=NotificationKind.DIGEST,
                    recipient=recipient,
                    lead_ids=claim.lead_ids,
                    render=render,
                )
                if outcome is ClaimOutcome.IN_PROGRESS:
                    raise NotificationInProgress(claim.row_key)
                sent += outcome is not ClaimOutcome.DONE
        remaining = tuple(lead_id for lead_id in digest_ids if lead_id not in covered)
        if not remaining:
            return sent
        batch = (
            max((claim.digest_batch for claim in claims if claim.digest_batch is not None), default=-1) + 1
        )
        outcome = _deliver(
            services,
            sender,
            partner_id,
            digest_claim_key(day, recipient, batch),
            kind=NotificationKind.DIGEST,
            recipient=recipient,
            lead_ids=remaining[:MAX_LEADS_PER_DIGEST_EMAIL],
            render=render,
        )
        if outcome is ClaimOutcome.IN_PROGRESS:
            raise NotificationInProgress(digest_claim_key(day, recipient, batch))
        if outcome in (ClaimOutcome.WON, ClaimOutcome.TAKEN_OVER):
            sent += 1
            continue
        # DONE: a batch another run claimed first. Read again and cover what is left, unless
        # the batches keep changing under us.
        contended += 1
        if contended >= _DIGEST_CONTENTION_ROUNDS:
            raise NotificationInProgress(f"digest {partner_id} {day.isoformat()} keeps changing")


def send_partner_digest(
    services: Services, partner_id: str, day: date, sender: EmailSender, *, late: bool = False
) -> int:
    """One partner's digest of `day` to every recipient. Returns the number of emails sent."""
    book = notification_log(services)
    if not late:
        # Before reading the day's digest leads: see notify_lead.
        book.set_digest_state(partner_id, day, DIGEST_STARTED, services.clock())
    digest_ids = book.digest_lead_ids(partner_id, day)
    sent = 0
    if digest_ids:
        for addressee in notification_settings.addressees(services, partner_id):
            sent += _send_digest_to(services, sender, partner_id, day, addressee, digest_ids)
    if not late:
        book.set_digest_state(partner_id, day, DIGEST_DONE, services.clock())
    return sent


def previous_utc_day(now: datetime) -> date:
    return now.date() - timedelta(days=1)


def parse_digest_input(admin_input: str | None) -> date | None:
    """The day of an admin run's input `{"date": "YYYY-MM-DD"}`; None for a scheduled run.

    Raises ValueError for input that names no valid day: a typo must not silently send
    yesterday's digest instead.
    """
    if admin_input is None or not admin_input.strip():
        return None
    body = json.loads(admin_input)
    if not isinstance(body, dict) or not isinstance(body.get("date"), str):
        raise ValueError('digest input must be {"date": "YYYY-MM-DD"}')
    return date.fromisoformat(body["date"])


def send_daily_digest(
    services: Services, *, day: date | None = None, sender: EmailSender | None = None
) -> DigestResult:
    """The `send_daily_digest` timer: every partner's digest for `day`, or (scheduled) for the
    previous UTC day plus any of the days before it whose run did not finish."""
    sender = sender or services.sender
    result = DigestResult()
    failures: list[Exception] = []
    for partner_id in services.partner_ids():
        if day is not None:
            days = [day]
        else:
            yesterday = previous_utc_day(services.clock())
            book = notification_log(services)
            earlier = [yesterday - timedelta(days=back) for back in range(DIGEST_CATCH_UP_DAYS, 0, -1)]
            days = [d for d in earlier if book.digest_state(partner_id, d) != DIGEST_DONE]
            days.append(yesterday)
        for digest_day in days:
            try:
                result.sent += send_partner_digest(services, partner_id, digest_day, sender)
            except (TransientEmailError, NotificationInProgress) as error:
                # One partner's trouble does not hold up the others; its day stays Started,
                # so the next scheduled run finishes it.
                log.warning("digest %s %s not finished: %s", partner_id, digest_day, error)
                failures.append(error)
            if digest_day not in result.days:
                result.days.append(digest_day)
    log.info("send_daily_digest: days %s, %d emails", [d.isoformat() for d in result.days], result.sent)
    if failures:
        raise failures[0]
    return result


# --- overdue reminders -------------------------------------------------------------------


def remind_contact_overdue(services: Services, stored: StoredLead, sender: EmailSender | None = None) -> int:
    """The overdue sweep's hook: one `ContactOverdue` per lead per recipient, however often the
    sweep calls. Raises NotificationInProgress or TransientEmailError so the sweep keeps the
    lead's due row and the next run tries again."""
    sender = sender or services.sender
    # Never about a lead whose expiry has passed (contract §7), whatever order the timers ran in.
    if stored.lead.stage is not Stage.RECEIVED or lifecycle.is_expiry_due(stored.lead, services.clock()):
        return 0
    sent = 0
    for key, outcome in _to_every_recipient(
        services,
        stored,
        sender,
        kind=NotificationKind.CONTACT_OVERDUE,
        claim_key=overdue_claim_key,
        renderer=render_contact_overdue,
    ):
        if outcome is ClaimOutcome.IN_PROGRESS:
            raise NotificationInProgress(key)
        sent += outcome is not ClaimOutcome.DONE
    return sent
