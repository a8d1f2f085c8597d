"""What a Partner Center lead's referral must say, and the JSON Patch that makes it say so.

A lead that came from Partner Center (contract §10) is written back to its referral after each
accept, decline, deal edit, team member, Won, Lost and expiry. The write-back is state-based:
whatever transition caused it, the referral is brought in line with the lead as it is stored
*now*. A duplicate message, or two messages in the wrong order, therefore compute the same
patch, and once the referral says what the lead says the patch is empty and nothing is sent.

The referral's fields this service owns (and so sends), from the lead:

- `status` / `substatus` (`REFERRAL_STATE`): Received → New/Received, Accepted → Active/Accepted,
  Declined → Closed/Declined, Won → Closed/Won, Lost → Closed/Lost, Expired → Closed/Expired;
- `statusReason`: the reason and notes of a decline or close (`"Other: Not our market."`);
- `details.dealValue`, `details.currency`, `details.closingDateTime`: the deal's value, currency
  and estimated close date (00:00 UTC);
- `team`: every team member, added (`/team/-`) when no member of the referral has that email;
- `externalReferenceId`: the lead's id.

The deal's notes are not sent: `details.notes` holds the customer's own words (the lead's
`customerNeed`, contract §3b), which the partner's notes must not overwrite in Partner Center; the
notes of a decline or close go out in `statusReason`.

**The merge rule** (a 412 re-reads the referral and computes the patch again on it):
- the fields above are the partner's answer and win: they are replaced when they differ;
- the team is a union: a member someone added in Partner Center stays, ours are added once
  (matched by email, case-insensitive); nothing is ever removed;
- every other field (customer profile, consent, requirements, invite context, the other
  `details`, `notes` among them) belongs to Partner Center and is never sent;
- the status never goes back: a referral Closed in Partner Center is not reopened. Closed
  → Closed (another substatus) is allowed, as Partner Center's transition table allows it; a lead that is
  still open against a closed referral is a conflict the service reports (`Failed`), not a patch;
  an Active referral is never moved back to New.

Operations are JSON Patch `replace` when the referral has the member, `add` when it does not
(RFC 6902: `replace` needs an existing target), on the paths the API definition lists.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from shared.domain import lifecycle
from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.enums import HistoryAction, Status, SyncState
from shared.domain.lead import Lead, TeamMember
from shared.domain.lifecycle import Change

JsonPatch = list[dict[str, Any]]


class ReferralStatus(StrEnum):
    NEW = "New"
    ACTIVE = "Active"
    CLOSED = "Closed"


class ReferralSubstatus(StrEnum):
    PENDING = "Pending"
    RECEIVED = "Received"
    ACCEPTED = "Accepted"
    WON = "Won"
    LOST = "Lost"
    DECLINED = "Declined"
    EXPIRED = "Expired"


# The lead's status → the referral's (status, substatus).
REFERRAL_STATE: dict[Status, tuple[ReferralStatus, ReferralSubstatus]] = {
    Status.RECEIVED: (ReferralStatus.NEW, ReferralSubstatus.RECEIVED),
    Status.ACCEPTED: (ReferralStatus.ACTIVE, ReferralSubstatus.ACCEPTED),
    Status.DECLINED: (ReferralStatus.CLOSED, ReferralSubstatus.DECLINED),
    Status.WON: (ReferralStatus.CLOSED, ReferralSubstatus.WON),
    Status.LOST: (ReferralStatus.CLOSED, ReferralSubstatus.LOST),
    Status.EXPIRED: (ReferralStatus.CLOSED, ReferralSubstatus.EXPIRED),
}

# Partner Center's status transitions: from each status, the statuses a referral may take.
ALLOWED_STATUS_MOVES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.NEW: frozenset(ReferralStatus),
    ReferralStatus.ACTIVE: frozenset({ReferralStatus.ACTIVE, ReferralStatus.CLOSED}),
    ReferralStatus.CLOSED: frozenset({ReferralStatus.CLOSED}),
}

# The history actions whose change is written back to the referral.
WRITE_BACK_ACTIONS = frozenset(
    {
        HistoryAction.LEAD_ACCEPTED,
        HistoryAction.LEAD_DECLINED,
        HistoryAction.DEAL_UPDATED,
        HistoryAction.TEAM_MEMBER_ADDED,
        HistoryAction.LEAD_WON,
        HistoryAction.LEAD_LOST,
        HistoryAction.LEAD_EXPIRED,
    }
)


@dataclass(frozen=True)
class TargetMember:
    first_name: str
    last_name: str | None
    email: str
    phone: str | None

    def to_referral(self) -> dict[str, Any]:
        member: dict[str, Any] = {"firstName": self.first_name}
        if self.last_name is not None:
            member["lastName"] = self.last_name
        member["email"] = self.email
        if self.phone is not None:
            member["phoneNumber"] = self.phone
        return member


@dataclass(frozen=True)
class ReferralTarget:
    """What the referral must say for the fields this service owns."""

    external_reference_id: str
    status: ReferralStatus | None
    substatus: ReferralSubstatus | None
    status_reason: str | None
    deal_value: Decimal | None = None
    currency: str | None = None
    closing_date: date | None = None
    team: tuple[TargetMember, ...] = ()


@dataclass(frozen=True)
class WriteBackPlan:
    """The patch to send (empty: the referral already says it all), or why none can be sent."""

    operations: JsonPatch
    conflict: str | None = None


def _member(member: TeamMember) -> TargetMember:
    # Our team members have one `name`; Partner Center's have first and last names.
    parts = member.name.split(maxsplit=1)
    first = parts[0] if parts else member.name
    last = parts[1] if len(parts) > 1 else None
    return TargetMember(first, last, member.email, member.phone)


def status_reason(lead: Lead) -> str | None:
    """The reason and notes of a decline or close, as one descriptive text."""
    parts = [part for part in (lead.status_reason, lead.status_notes) if part]
    return ": ".join(parts) if parts else None


def target_of(lead: Lead) -> ReferralTarget:
    """The referral's fields this service owns, as the lead says they are."""
    state = REFERRAL_STATE.get(lead.status) if lead.status is not None else None
    deal = lead.deal
    return ReferralTarget(
        external_reference_id=lead.id,
        status=state[0] if state else None,
        substatus=state[1] if state else None,
        status_reason=status_reason(lead) if state and state[0] is ReferralStatus.CLOSED else None,
        deal_value=deal.value if deal else None,
        currency=deal.currency if deal else None,
        closing_date=deal.estimated_close_date if deal else None,
        team=tuple(_member(member) for member in lead.team),
    )


def closing_date_time(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _as_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _same_amount(current: Any, wanted: Decimal) -> bool:
    if current is None or isinstance(current, bool):
        return False
    try:
        return Decimal(str(current)) == wanted
    except InvalidOperation:
        return False


def _same_day(current: Any, wanted: date) -> bool:
    if not isinstance(current, str):
        return False
    try:
        moment = datetime.fromisoformat(current.replace("Z", "+00:00"))
    except ValueError:
        # Partner Center writes seven fractional digits, which older parsers refuse.
        try:
            moment = datetime.fromisoformat(current[:19] + "+00:00")
        except ValueError:
            return False
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date() == wanted


def _set(operations: JsonPatch, parent: Mapping[str, Any], name: str, path: str, value: Any) -> None:
    operations.append({"op": "replace" if name in parent else "add", "path": path, "value": value})


def _status_operations(
    target: ReferralTarget, referral: Mapping[str, Any], operations: JsonPatch
) -> str | None:
    """Append the status, substatus and reason operations; the conflict's text if none may be sent."""
    if target.status is None or target.substatus is None:
        return None
    current_status = referral.get("status")
    current_substatus = referral.get("substatus")
    try:
        current = ReferralStatus(current_status) if current_status else ReferralStatus.NEW
    except ValueError:
        current = ReferralStatus.NEW
    if target.status not in ALLOWED_STATUS_MOVES[current]:
        if current is ReferralStatus.ACTIVE and target.status is ReferralStatus.NEW:
            return None  # never moved back; the rest of the lead still goes out
        return (
            f"The referral is already {current.value}"
            f"{f' ({current_substatus})' if current_substatus else ''} in Partner Center, "
            f"so it cannot become {target.status.value} ({target.substatus.value})."
        )
    if current_status != target.status.value:
        _set(operations, referral, "status", "/status", target.status.value)
    if current_substatus != target.substatus.value:
        _set(operations, referral, "substatus", "/substatus", target.substatus.value)
    if target.status_reason is not None and referral.get("statusReason") != target.status_reason:
        _set(operations, referral, "statusReason", "/statusReason", target.status_reason)
    return None


def _details_operations(target: ReferralTarget, referral: Mapping[str, Any], operations: JsonPatch) -> None:
    details = referral.get("details")
    details = details if isinstance(details, Mapping) else {}
    if target.deal_value is not None and not _same_amount(details.get("dealValue"), target.deal_value):
        _set(operations, details, "dealValue", "/details/dealValue", _as_number(target.deal_value))
    if target.currency is not None and str(details.get("currency") or "").upper() != target.currency:
        _set(operations, details, "currency", "/details/currency", target.currency)
    if target.closing_date is not None and not _same_day(details.get("closingDateTime"), target.closing_date):
        _set(
            operations,
            details,
            "closingDateTime",
            "/details/closingDateTime",
            closing_date_time(target.closing_date),
        )


def _team_operations(target: ReferralTarget, referral: Mapping[str, Any], operations: JsonPatch) -> None:
    team = referral.get("team")
    members: Sequence[Any] = team if isinstance(team, list) else []
    known = {
        member["email"].casefold()
        for member in members
        if isinstance(member, Mapping) and isinstance(member.get("email"), str)
    }
    for member in target.team:
        if member.email.casefold() in known:
            continue
        known.add(member.email.casefold())
        operations.append({"op": "add", "path": "/team/-", "value": member.to_referral()})


def plan(lead: Lead, referral: Mapping[str, Any]) -> WriteBackPlan:
    """The JSON Patch that brings `referral` (as just read) in line with `lead`, by the merge rule."""
    target = target_of(lead)
    operations: JsonPatch = []
    conflict = _status_operations(target, referral, operations)
    if conflict is not None:
        return WriteBackPlan([], conflict)
    _details_operations(target, referral, operations)
    _team_operations(target, referral, operations)
    if referral.get("externalReferenceId") != target.external_reference_id:
        _set(
            operations, referral, "externalReferenceId", "/externalReferenceId", target.external_reference_id
        )
    return WriteBackPlan(operations)


def is_write_back(action: HistoryAction) -> bool:
    return action in WRITE_BACK_ACTIONS


# -- the lead's side: Pending, Synced, Failed ----------------------------------------------------

# The row kept beside a lead while its write-back is pending: the outbox the dispatcher reads to
# send again a write-back a crash left unsent (`pcw|<leadId>`).
PENDING_ROW_PREFIX = "pcw|"


def is_pending(lead: Lead) -> bool:
    return lead.partner_center is not None and lead.partner_center.sync_state is SyncState.PENDING


def needs_write_back(change: Change) -> bool:
    """Whether this stored change must reach the lead's referral."""
    return change.lead.partner_center is not None and is_write_back(change.history.action)


def mark_pending(change: Change) -> Change:
    """The change with its lead's write-back `Pending`, when the change must reach Partner Center.

    Stored in the change's own transaction, with its pending row: from then on nothing can lose it.
    """
    link = change.lead.partner_center
    if link is None or not is_write_back(change.history.action):
        return change
    pending = link.model_copy(update={"sync_state": SyncState.PENDING, "sync_error": None})
    return replace(change, lead=change.lead.model_copy(update={"partner_center": pending}))


def record_synced(lead: Lead, sent: ReferralTarget, operations: JsonPatch, *, now: datetime) -> Change | None:
    """`Synced`, when the referral now says what the lead says; None when the lead moved on since
    (a newer write-back is on its way) or is not pending."""
    link = lead.partner_center
    if link is None or not is_pending(lead) or target_of(lead) != sent:
        return None
    return lifecycle.record_system_change(
        lead,
        {
            "partner_center": link.model_copy(
                update={"sync_state": SyncState.SYNCED, "sync_error": None, "synced_date_time": now}
            )
        },
        action=HistoryAction.PARTNER_CENTER_SYNCED,
        now=now,
        details={"referralId": link.referral_id, "fields": sorted({op["path"] for op in operations})},
    )


# A reason is shown to people and kept in history; Partner Center's error texts can be long.
MAX_SYNC_ERROR_LENGTH = 500


def record_failed(lead: Lead, attempted: ReferralTarget, reason: str, *, now: datetime) -> Change | None:
    """`Failed` with the reason, when Partner Center refused what the lead still says; None when the
    lead moved on since (its own write-back is on its way) or is not pending."""
    link = lead.partner_center
    if link is None or not is_pending(lead) or target_of(lead) != attempted:
        return None
    reason = reason.strip()[:MAX_SYNC_ERROR_LENGTH] or "Partner Center refused the update."
    return lifecycle.record_system_change(
        lead,
        {"partner_center": link.model_copy(update={"sync_state": SyncState.FAILED, "sync_error": reason})},
        action=HistoryAction.PARTNER_CENTER_SYNC_FAILED,
        now=now,
        details={"referralId": link.referral_id, "error": reason},
    )


class PendingWriteBackRows:
    """A derived-rows contributor: `pcw|<leadId>` exists exactly while the lead's write-back is pending."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        if is_pending(lead):
            yield IndexRow(f"{PENDING_ROW_PREFIX}{lead.id}", {"Since": lead.updated_date_time})

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        return ()
