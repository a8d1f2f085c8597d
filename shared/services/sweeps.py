"""The timers' sweeps (contract §7), driven by the due index.

Each sweep reads only the due rows up to now, re-checks the lead, acts, and
then deletes the row. Running twice, or twice at once, changes nothing more:
the lead's ETag lets one writer win and the loser finds the lead moved on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.adapters.due_index import DueKind, DueRow
from shared.adapters.lead_repository import ConcurrentUpdate, StoredLead
from shared.domain import lifecycle
from shared.domain.enums import Stage
from shared.services.container import Services

log = logging.getLogger("leads.sweeps")

_ATTEMPTS = 3

# Called for each lead whose request for contact is overdue, each time the sweep
# sees it until its due row is gone; the notifier sends each reminder once.
OverdueHook = Callable[[Services, StoredLead], None]


@dataclass
class SweepResult:
    due_rows: int = 0
    changed: list[str] = field(default_factory=list)


def _with_fresh_lead(services: Services, row: DueRow, act: Callable[[StoredLead], bool]) -> bool:
    """Re-read the lead and act on it, again if another writer got there first."""
    for _attempt in range(_ATTEMPTS):
        stored = services.leads.get(row.partner_id, row.lead_id)
        if stored is None:
            return False
        try:
            return act(stored)
        except ConcurrentUpdate:
            continue
    raise ConcurrentUpdate(row.lead_id)


def expire_leads(services: Services) -> SweepResult:
    now = services.clock()
    result = SweepResult()

    def expire(stored: StoredLead) -> bool:
        if not lifecycle.is_expiry_due(stored.lead, now):
            return False
        services.leads.save(lifecycle.expire(stored.lead, now=now), stored.etag)
        return True

    for row in services.due.due(DueKind.EXPIRE, now):
        result.due_rows += 1
        if _with_fresh_lead(services, row, expire):
            result.changed.append(row.lead_id)
        # Publish also when an earlier run stored the change but died before publishing.
        services.events.publish(row.partner_id, row.lead_id)
        services.due.done(row)
    log.info("expire_leads: %d due rows, %d expired", result.due_rows, len(result.changed))
    return result


def flag_overdue_contact_requests(services: Services, remind: OverdueHook | None = None) -> SweepResult:
    now = services.clock()
    hours = services.settings.urgency_hours
    result = SweepResult()

    def record(stored: StoredLead) -> bool:
        if not lifecycle.is_overdue_due(stored.lead, now, hours):
            return False
        services.leads.save(lifecycle.record_overdue(stored.lead, now=now), stored.etag)
        return True

    for row in services.due.due(DueKind.OVERDUE, now):
        result.due_rows += 1
        if _with_fresh_lead(services, row, record):
            result.changed.append(row.lead_id)
        stored = services.leads.get(row.partner_id, row.lead_id)
        if stored is not None and stored.lead.stage is Stage.RECEIVED:
            if remind is not None and stored.lead.overdue_recorded:
                remind(services, stored)
            if stored.lead.expiration_date_time is not None:
                services.due.schedule(
                    DueKind.EXPIRE, row.partner_id, row.lead_id, stored.lead.expiration_date_time
                )
        services.due.done(row)
    log.info("flag_overdue_contact_requests: %d due rows, %d flagged", result.due_rows, len(result.changed))
    return result


def dispatch_pending_events(services: Services) -> int:
    """Publish events a crash left in any partner's outbox."""
    return sum(services.events.publish(partner_id) for partner_id in services.partner_ids())
