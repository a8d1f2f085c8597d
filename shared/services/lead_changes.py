"""The one way a stored lead changes: read, decide, save with the ETag, publish.

Every change to an existing lead (a person's action over HTTP, a sweep, the validation
stage) goes through `change`: read the lead, let a pure decision turn it into a `Change`
(or nothing), write the lead, its history entry, its outbox row and any history rewrites
in one entity-group transaction conditional on the ETag that was read, and then publish
the change's event. A write that loses a race to another writer is decided again on the
fresh lead, under one retry policy (`RETRY`), unless the caller sent `If-Match`: then the
lead the caller saw is gone, and that is the answer (412).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.adapters.lead_repository import ConcurrentUpdate, StoredLead, index_columns
from shared.domain import partner_center_writeback
from shared.domain.errors import precondition_failed
from shared.domain.lifecycle import Change
from shared.domain.queues import PARTNER_CENTER_WRITEBACK_QUEUE
from shared.services.container import Services

log = logging.getLogger(__name__)

# The decision: the lead as stored and the moment of deciding in, the change out (None: nothing
# to change). It may raise `lifecycle.ChangeRefused`, which reaches the caller unchanged.
Decide = Callable[[StoredLead, datetime], Change | None]
Jitter = Callable[[float, float], float]


class ChangeContention(ConcurrentUpdate):
    """Every attempt lost its race: the lead kept changing under us."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often a change that lost a race is decided again, and how long to wait in between."""

    attempts: int
    step_seconds: float
    max_pause_seconds: float

    def pause_after(self, lost: int, *, conditional: bool, jitter: Jitter = random.uniform) -> float | None:
        """Seconds to wait after the `lost`-th lost race before reading again; None to stop.

        A conditional change (the caller's `If-Match`) is never retried: the lead the caller
        saw is gone.
        """
        if conditional or lost >= self.attempts:
            return None
        return jitter(0.0, min(self.step_seconds * lost, self.max_pause_seconds))


# Every lost round means another writer's change was stored, so of N writers racing for one
# lead the last one lands in at most N rounds: 30 rounds cover the most writers one lead meets
# at once (a handful of people on a team, plus validation and a sweep) with room to spare.
# The pause is random (full jitter) so racers do not collide again in lockstep, and grows with
# each lost round, to at most 50 ms, so a person's request that won can finish before the next
# read; 30 rounds then wait at most about 1.5 s in all.
RETRY = RetryPolicy(attempts=30, step_seconds=0.01, max_pause_seconds=0.05)


@dataclass(frozen=True)
class Outcome:
    """What `change` did: the change stored (None when the decision was to change nothing), and
    the lead as it is stored now."""

    change: Change | None
    stored: StoredLead


def change(
    services: Services,
    partner_id: str,
    lead_id: str,
    decide: Decide,
    *,
    if_match: str | None = None,
    retry: RetryPolicy = RETRY,
) -> Outcome | None:
    """Read, decide, save with the ETag (all rows in one transaction), then publish.

    None when there is no such lead. Raises 412 (`ServiceError`) when `if_match` names another
    version of the lead, and `ChangeContention` when every attempt lost its race.
    """
    lost = 0
    while True:
        stored = services.leads.get(partner_id, lead_id)
        if stored is None:
            return None
        if if_match is not None and if_match.strip() not in (stored.etag, "*"):
            raise precondition_failed()
        decided = decide(stored, services.clock())
        if decided is None:
            return Outcome(None, stored)
        # A Partner Center lead's answer is written back later, from a queue: stored as pending.
        decided = partner_center_writeback.mark_pending(decided)
        try:
            etag = services.leads.save(decided, stored)
        except ConcurrentUpdate:
            lost += 1
            pause = retry.pause_after(lost, conditional=if_match is not None)
            if pause is not None:
                time.sleep(pause)
                continue
            if if_match is not None:
                raise precondition_failed() from None
            raise ChangeContention(lead_id) from None
        publish(services, decided)
        log.info(
            "lead changed",
            extra={"partner_id": partner_id, "lead_id": lead_id, "action": decided.history.action.value},
        )
        return Outcome(decided, StoredLead(decided.lead, etag, index_columns(decided.lead)))


def publish(services: Services, stored_change: Change) -> None:
    """Send a stored change's event now; the outbox row keeps it for the dispatcher if this fails.

    Likewise its Partner Center write-back, whose pending row the dispatcher reads.
    """
    if stored_change.event is not None:
        services.events.publish(stored_change.event)
    if partner_center_writeback.needs_write_back(stored_change):
        services.queues.send(
            PARTNER_CENTER_WRITEBACK_QUEUE,
            {"partnerId": stored_change.lead.partner_id, "leadId": stored_change.lead.id},
        )
