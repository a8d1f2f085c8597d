"""The timers' sweeps (contract §7), driven by the due index.

Each sweep reads only the due rows up to now, re-checks the lead, acts, and
then deletes the row. Running twice, or twice at once, changes nothing more:
the lead's ETag lets one writer win, the loser finds the lead moved on, and
only the winner sends the change's event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.adapters.due_index import DueKind, DueRow
from shared.adapters.email_senders import EmailSender, OutboxSender
from shared.adapters.lead_repository import StoredLead
from shared.domain import lifecycle
from shared.domain.enums import Stage
from shared.services import lead_changes, partner_center_writeback
from shared.services.container import Services

log = logging.getLogger("leads.sweeps")

# The dispatcher leaves younger outbox rows to the writer that is sending them right now.
OUTBOX_GRACE = timedelta(minutes=2)

# Called for each lead whose request for contact is overdue, each time the sweep
# sees it until its due row is gone; the notifier sends each reminder once. What the
# hook returns (the notifier: how many it sent) the sweep ignores, hence `object`.
OverdueHook = Callable[[Services, StoredLead], object]
Decide = Callable[[StoredLead], lifecycle.Change | None]


@dataclass
class SweepResult:
    due_rows: int = 0
    changed: list[str] = field(default_factory=list)


def _change_fresh_lead(
    services: Services, partner_id: str, lead_id: str, decide: Decide
) -> lifecycle.Change | None:
    """Re-read the lead, decide, store the change and publish its event (see `lead_changes`).

    None when the lead is gone or has nothing to change any more.
    """
    outcome = lead_changes.change(services, partner_id, lead_id, lambda stored, _now: decide(stored))
    return None if outcome is None else outcome.change


def _expiry(services: Services, now: datetime) -> Decide:
    def expire(stored: StoredLead) -> lifecycle.Change | None:
        if not lifecycle.is_expiry_due(stored.lead, now):
            return None
        # The history is read with the lead it belongs to: the change scrubs the contact out of it.
        history = services.leads.history(stored.lead.partner_id, stored.lead.id)
        return lifecycle.expire(stored.lead, now=now, history=history)

    return expire


def expire_if_due(services: Services, partner_id: str, lead_id: str, now: datetime | None = None) -> bool:
    """Expire one lead now if its expiry has passed; True when this call expired it.

    For a lead that arrives already past its expiry (a `CreatedTime` weeks ago), so it is not
    shown, emailed or reminded about as Received until the next sweep.
    """
    change = _change_fresh_lead(services, partner_id, lead_id, _expiry(services, now or services.clock()))
    return change is not None


def expire_leads(services: Services) -> SweepResult:
    """Archive every Received lifecycle lead whose expiration has passed."""
    now = services.clock()
    result = SweepResult()
    for row in _expiry_candidates(services, now):
        result.due_rows += 1
        expired = expire_if_due(services, row.partner_id, row.lead_id, now)
        if expired:
            result.changed.append(row.lead_id)
        if row.kind is DueKind.EXPIRE or expired or _moved_on(services, row):
            services.due.done(row)
    log.info("expire_leads: %d due rows, %d expired", result.due_rows, len(result.changed))
    return result


def _expiry_candidates(services: Services, now: datetime) -> list[DueRow]:
    """Expiry rows due now, and overdue-check rows whose lead's expiry has passed too.

    A lead whose customer asked for contact gets its expiry row only when the
    overdue sweep has seen it; a lead that arrives already older than its
    expiry (CreatedTime in the past) must not wait for that sweep to expire.
    """
    rows = list(services.due.due(DueKind.EXPIRE, now))
    overdue_to_expiry = timedelta(days=services.settings.lead_expiry_days) - timedelta(
        hours=services.settings.urgency_hours
    )
    if overdue_to_expiry >= timedelta(0):
        rows.extend(services.due.due(DueKind.OVERDUE, now - overdue_to_expiry))
    return rows


def _moved_on(services: Services, row: DueRow) -> bool:
    stored = services.leads.get(row.partner_id, row.lead_id)
    return stored is None or stored.lead.stage is not Stage.RECEIVED


def flag_overdue_contact_requests(services: Services, remind: OverdueHook | None = None) -> SweepResult:
    """Record the overdue urgency of unanswered requests for contact, then schedule their expiry."""
    now = services.clock()
    hours = services.settings.urgency_hours
    result = SweepResult()

    def record(stored: StoredLead) -> lifecycle.Change | None:
        if not lifecycle.is_overdue_due(stored.lead, now, hours):
            return None
        return lifecycle.record_overdue(stored.lead, now=now)

    for row in services.due.due(DueKind.OVERDUE, now):
        result.due_rows += 1
        # Past its expiry the lead is expired, never reminded about: whichever timer runs first.
        if expire_if_due(services, row.partner_id, row.lead_id, now):
            services.due.done(row)
            continue
        if _change_fresh_lead(services, row.partner_id, row.lead_id, record) is not None:
            result.changed.append(row.lead_id)
        stored = services.leads.get(row.partner_id, row.lead_id)
        if stored is not None and stored.lead.stage is Stage.RECEIVED:
            # Checked again at the moment of sending: the expiry may have passed since `now`.
            expired = lifecycle.is_expiry_due(stored.lead, services.clock())
            if remind is not None and stored.lead.overdue_recorded and not expired:
                remind(services, stored)
            if stored.lead.expiration_date_time is not None:
                services.due.schedule(
                    DueKind.EXPIRE, row.partner_id, row.lead_id, stored.lead.expiration_date_time
                )
        services.due.done(row)
    log.info("flag_overdue_contact_requests: %d due rows, %d flagged", result.due_rows, len(result.changed))
    return result


def remove_expired_outbox_mail(services: Services, sender: EmailSender) -> int:
    """Delete local outbox emails older than a lead's expiry; ACS keeps no copy of ours."""
    if not isinstance(sender, OutboxSender):
        return 0
    return sender.remove_older_than(services.clock() - timedelta(days=services.settings.lead_expiry_days))


def dispatch_pending_events(services: Services, *, grace: timedelta = OUTBOX_GRACE) -> int:
    """Publish events a crash left in any partner's outbox (those older than `grace`)."""
    cutoff = services.clock() - grace
    sent = sum(services.events.publish_left_behind(p, occurred_before=cutoff) for p in services.partner_ids())
    if sent:
        log.info("dispatch_pending_events: sent %d events left in the outbox", sent)
    partner_center_writeback.redrive_pending(services)
    return sent
