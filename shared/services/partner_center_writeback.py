"""Writing a Partner Center lead's changes back to its referral (contract §10), from a queue.

A change that must reach Partner Center (`partner_center_writeback.needs_write_back`) is stored
with the lead's `syncState` `Pending` and a pending row beside it, in the change's transaction;
the change path then queues `{"partnerId", "leadId"}` on `partner-center-writeback`. The user's
request never waits for Partner Center. The queue function (`write_back`):

1. reads the referral, *then* the lead (so a PATCH planned on a lead read before a newer
   write-back is refused by the referral's eTag, never applied over it);
2. stops if the lead is no longer `Pending` (a duplicate, or a later message already did it);
3. plans the JSON Patch against the referral (the merge rule, `domain.partner_center_writeback`)
   and sends it with `If-Match`; 412 goes back to step 1 (at most `MAX_CONFLICTS` rounds);
4. records `Synced` (history `PartnerCenterSynced`) or, on a refusal, `Failed` with Partner
   Center's reason (history `PartnerCenterSyncFailed`), through the one change path, only if
   the lead still says what was sent.

An empty plan sends nothing, so a redelivered message, or a retry after a crash between the
PATCH and step 4, sends nothing twice. Throttling (429, `Retry-After`) and outages put the
message back on the queue, hidden for the wait, and finish normally (so the host never poisons
it): nothing is lost however long they last. The dispatcher timer sends a message again for a
pending row no message is known to be on its way for (a crash after the change was stored).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.adapters.partner_center import (
    PartnerCenterRefused,
    PartnerCenterUnavailable,
    PreconditionFailed,
    ReferralNotFound,
    Throttled,
)
from shared.domain import partner_center_writeback as writeback
from shared.domain.intake_mapping import UnprocessableLead
from shared.domain.lead import Lead
from shared.domain.queues import PARTNER_CENTER_WRITEBACK_QUEUE
from shared.services import lead_changes
from shared.services.container import Services
from shared.services.queue_stage import lead_message

log = logging.getLogger("leads.partner_center.writeback")

# 412 rounds before the message waits on the queue instead: each lost round means someone else
# changed the referral, which seldom happens more than once in a row.
MAX_CONFLICTS = 5
# Waits between attempts while Partner Center is out of reach: doubling, at most an hour.
FIRST_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(hours=1)
# Storage keeps a hidden message at most 7 days; a wait is never longer than Partner Center asks.
MAX_THROTTLE_WAIT = timedelta(hours=1)
NOT_FOUND = "The referral no longer exists in Partner Center, or is not this partner's."
# A pending row with no message known to be on its way after this long is sent again.
REDRIVE_GRACE = timedelta(minutes=2)


class ReferralsApi(Protocol):
    def get(self, referral: str) -> dict[str, Any]: ...

    def patch(self, referral_id: str, operations: list[dict[str, Any]], *, etag: str) -> str: ...


class KeptChanging(Exception):
    """Every round met a 412: someone keeps changing the referral. Try again later."""


@dataclass(frozen=True)
class WriteBackResult:
    partner_id: str
    lead_id: str
    outcome: str  # "synced", "failed", "up-to-date", "retry", "off", "other-partner", "gone"
    sent: bool = False


def write_back_message(partner_id: str, lead_id: str, attempt: int = 0) -> dict[str, Any]:
    message: dict[str, Any] = {"partnerId": partner_id, "leadId": lead_id}
    if attempt:
        message["attempt"] = attempt
    return message


def _attempt(body: bytes) -> int:
    value = json.loads(body).get("attempt", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10_000:
        raise UnprocessableLead("attempt: expected a whole number")
    return value


def backoff(attempt: int) -> timedelta:
    """The wait before attempt `attempt + 1` while Partner Center is out of reach."""
    doubled: int = 2 ** min(attempt, 20)
    return min(FIRST_BACKOFF * doubled, MAX_BACKOFF)


def write_back(services: Services, body: bytes) -> WriteBackResult:
    """The queue stage: bring one lead's referral in line with the lead."""
    partner_id, lead_id = lead_message(body)
    attempt = _attempt(body)
    api = services.referrals_client
    pc = services.settings.partner_center
    if api is None or pc is None:
        log.warning("Partner Center write-back of %s skipped: the sync is off", lead_id)
        return WriteBackResult(partner_id, lead_id, "off")
    if partner_id != pc.partner_id:
        # This deployment's Partner Center account holds only its own partner's referrals.
        log.warning(
            "Partner Center write-back of %s skipped: partner %s is not synced here", lead_id, partner_id
        )
        return WriteBackResult(partner_id, lead_id, "other-partner")
    try:
        return _sync(services, api, partner_id, lead_id)
    except Throttled as throttled:
        wait = min(timedelta(seconds=max(throttled.retry_after, 1.0)), MAX_THROTTLE_WAIT)
        reason = str(throttled)
    except (PartnerCenterUnavailable, KeptChanging) as unavailable:
        wait = backoff(attempt)
        reason = str(unavailable) or type(unavailable).__name__
    _retry_later(services, partner_id, lead_id, attempt + 1, wait)
    log.warning(
        "Partner Center write-back of %s waits %d s (attempt %d): %s",
        lead_id,
        wait.total_seconds(),
        attempt + 1,
        reason,
    )
    return WriteBackResult(partner_id, lead_id, "retry")


def _retry_later(services: Services, partner_id: str, lead_id: str, attempt: int, wait: timedelta) -> None:
    seconds = max(1, int(wait.total_seconds()))
    services.queues.send_text(
        PARTNER_CENTER_WRITEBACK_QUEUE,
        json.dumps(write_back_message(partner_id, lead_id, attempt)),
        visible_after=seconds,
    )
    services.partner_center_writeback_rows.retry_at(
        partner_id, lead_id, services.clock() + timedelta(seconds=seconds)
    )


def _sync(services: Services, api: ReferralsApi, partner_id: str, lead_id: str) -> WriteBackResult:
    for _ in range(MAX_CONFLICTS):
        stored = services.leads.get(partner_id, lead_id)
        if stored is None or stored.lead.partner_center is None:
            return WriteBackResult(partner_id, lead_id, "gone")
        if not writeback.is_pending(stored.lead):
            return WriteBackResult(partner_id, lead_id, "up-to-date")
        referral_id = stored.lead.partner_center.referral_id
        try:
            referral = api.get(referral_id)
        except ReferralNotFound:
            return _record_failed(services, stored.lead, writeback.target_of(stored.lead), NOT_FOUND)
        except PartnerCenterRefused as refused:
            return _record_failed(services, stored.lead, writeback.target_of(stored.lead), str(refused))
        # The lead is read again after the referral: see the module's step 1.
        stored = services.leads.get(partner_id, lead_id)
        if stored is None or not writeback.is_pending(stored.lead):
            return WriteBackResult(partner_id, lead_id, "up-to-date")
        target = writeback.target_of(stored.lead)
        plan = writeback.plan(stored.lead, referral)
        if plan.conflict is not None:
            return _record_failed(services, stored.lead, target, plan.conflict)
        if plan.operations:
            try:
                api.patch(referral_id, plan.operations, etag=str(referral.get("eTag") or "*"))
            except PreconditionFailed:
                continue
            except ReferralNotFound:
                return _record_failed(services, stored.lead, target, NOT_FOUND)
            except PartnerCenterRefused as refused:
                return _record_failed(services, stored.lead, target, str(refused))
        _record_synced(services, stored.lead, target, plan.operations)
        log.info(
            "Partner Center referral %s updated from lead %s: %s",
            referral_id,
            lead_id,
            json.dumps([op["path"] for op in plan.operations]),
        )
        return WriteBackResult(partner_id, lead_id, "synced", sent=bool(plan.operations))
    raise KeptChanging(f"the referral kept changing ({MAX_CONFLICTS} rounds of 412)")


def _record_synced(
    services: Services, lead: Lead, sent: writeback.ReferralTarget, operations: writeback.JsonPatch
) -> None:
    lead_changes.change(
        services,
        lead.partner_id,
        lead.id,
        lambda current, now: writeback.record_synced(current.lead, sent, operations, now=now),
    )


def _record_failed(
    services: Services, lead: Lead, attempted: writeback.ReferralTarget, reason: str
) -> WriteBackResult:
    lead_changes.change(
        services,
        lead.partner_id,
        lead.id,
        lambda current, now: writeback.record_failed(current.lead, attempted, reason, now=now),
    )
    log.warning("Partner Center refused the write-back of lead %s: %s", lead.id, reason)
    return WriteBackResult(lead.partner_id, lead.id, "failed")


def redrive_pending(services: Services, *, grace: timedelta = REDRIVE_GRACE) -> int:
    """Queue again the write-backs a crash left pending with no message on its way.

    Only the partner this deployment syncs has Partner Center leads: one query a run.
    """
    pc = services.settings.partner_center
    if pc is None or services.referrals_client is None:
        return 0
    cutoff: datetime = services.clock() - grace
    sent = 0
    for row in services.partner_center_writeback_rows.pending(pc.partner_id):
        if row.last_sent >= cutoff:
            continue
        services.queues.send(PARTNER_CENTER_WRITEBACK_QUEUE, write_back_message(pc.partner_id, row.lead_id))
        services.partner_center_writeback_rows.retry_at(pc.partner_id, row.lead_id, services.clock())
        sent += 1
    if sent:
        log.info("redrive: %d Partner Center write-backs queued again", sent)
    return sent
