"""The referral lifecycle (contract §4, §5, §7) as one transition table.

Every change to a lead goes through here and comes back as a `Change`: the new
lead, the history entry that records it, and the event to publish (if the
change is one Microsoft is told about). The caller stores all three at once.
Pure: the clock and the actor are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.enums import EventType, HistoryAction, Outcome, Stage, Status, Urgency
from shared.domain.lead import Deal, Lead, Owner, TeamMember, utc_iso
from shared.domain.personal_data import Scrubber

SYSTEM_ACTOR = "system"


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    UPDATE_DEAL = "updateDeal"
    ADD_TEAM_MEMBER = "addTeamMember"
    CLOSE_WON = "closeWon"
    CLOSE_LOST = "closeLost"
    EXPIRE = "expire"


# stage x action -> (new stage, new status). A pair that is absent is refused.
TRANSITIONS: dict[tuple[Stage, Action], tuple[Stage, Status]] = {
    (Stage.RECEIVED, Action.ACCEPT): (Stage.ACCEPTED, Status.ACCEPTED),
    (Stage.RECEIVED, Action.DECLINE): (Stage.ARCHIVED, Status.DECLINED),
    (Stage.RECEIVED, Action.EXPIRE): (Stage.ARCHIVED, Status.EXPIRED),
    (Stage.ACCEPTED, Action.UPDATE_DEAL): (Stage.ACCEPTED, Status.ACCEPTED),
    (Stage.ACCEPTED, Action.ADD_TEAM_MEMBER): (Stage.ACCEPTED, Status.ACCEPTED),
    (Stage.ACCEPTED, Action.CLOSE_WON): (Stage.ARCHIVED, Status.WON),
    (Stage.ACCEPTED, Action.CLOSE_LOST): (Stage.ARCHIVED, Status.LOST),
}

# Which statuses each stage may carry; used to check the table and stored leads.
STATUSES_OF_STAGE: dict[Stage, frozenset[Status | None]] = {
    Stage.RECEIVED: frozenset({Status.RECEIVED}),
    Stage.ACCEPTED: frozenset({Status.ACCEPTED}),
    Stage.ARCHIVED: frozenset({Status.DECLINED, Status.EXPIRED, Status.WON, Status.LOST}),
    Stage.INFORMATIONAL: frozenset({None}),
}

_HISTORY_ACTION = {
    Action.ACCEPT: HistoryAction.LEAD_ACCEPTED,
    Action.DECLINE: HistoryAction.LEAD_DECLINED,
    Action.UPDATE_DEAL: HistoryAction.DEAL_UPDATED,
    Action.ADD_TEAM_MEMBER: HistoryAction.TEAM_MEMBER_ADDED,
    Action.CLOSE_WON: HistoryAction.LEAD_WON,
    Action.CLOSE_LOST: HistoryAction.LEAD_LOST,
    Action.EXPIRE: HistoryAction.LEAD_EXPIRED,
}

_EVENT_TYPE = {
    Action.ACCEPT: EventType.LEAD_ACCEPTED,
    Action.DECLINE: EventType.LEAD_DECLINED,
    Action.CLOSE_WON: EventType.LEAD_WON,
    Action.CLOSE_LOST: EventType.LEAD_LOST,
    Action.EXPIRE: EventType.LEAD_EXPIRED,
}


# A lead's team is bounded, so a lead always fits in one stored row.
MAX_TEAM_MEMBERS = 50


class ChangeRefused(Exception):
    """The lead's current state does not allow the change (HTTP 409)."""


class InvalidTransition(ChangeRefused):
    def __init__(self, stage: Stage, action: Action) -> None:
        super().__init__(f"A lead in stage {stage.value} does not allow {action.value}.")
        self.stage = stage
        self.action = action


class ArchivedLead(ChangeRefused):
    def __init__(self) -> None:
        super().__init__("An archived lead cannot be changed.")


class TeamFull(ChangeRefused):
    def __init__(self) -> None:
        super().__init__(f"The lead's team already has {MAX_TEAM_MEMBERS} members.")


@dataclass(frozen=True)
class HistoryEntry:
    sequence: int
    at: datetime
    actor: str
    action: HistoryAction
    from_status: Status | None
    to_status: Status | None
    details: dict[str, Any] = field(default_factory=dict)
    # The person's display name (their sign-in's `name` claim); None for the system.
    actor_name: str | None = None

    def to_resource(self) -> dict[str, Any]:
        return {
            "at": utc_iso(self.at),
            "actor": self.actor,
            "actorName": self.actor_name,
            "action": self.action.value,
            "fromStatus": self.from_status.value if self.from_status else None,
            "toStatus": self.to_status.value if self.to_status else None,
            "details": self.details,
        }


@dataclass(frozen=True)
class LeadEvent:
    event_id: str
    event_type: EventType
    partner_id: str
    lead_id: str
    occurred: datetime
    status: Status | None
    status_reason: str | None

    def to_message(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "eventType": self.event_type.value,
            "partnerId": self.partner_id,
            "leadId": self.lead_id,
            "occurredDateTime": utc_iso(self.occurred),
            "status": self.status.value if self.status else None,
            "statusReason": self.status_reason,
        }


@dataclass(frozen=True)
class Change:
    lead: Lead
    history: HistoryEntry
    event: LeadEvent | None
    # Earlier history entries whose details this change rewrites (an expiry's scrubbing).
    rewritten_history: tuple[HistoryEntry, ...] = ()


def by_person(change: Change | None, actor_name: str | None) -> Change | None:
    """The change with its history entry naming the person who made it."""
    if change is None or actor_name is None:
        return change
    return replace(change, history=replace(change.history, actor_name=actor_name))


def next_state(stage: Stage, action: Action) -> tuple[Stage, Status]:
    try:
        return TRANSITIONS[(stage, action)]
    except KeyError:
        raise InvalidTransition(stage, action) from None


def _record(
    before: Lead,
    after_fields: dict[str, Any],
    *,
    history_action: HistoryAction,
    event_type: EventType | None,
    actor: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Change:
    # Never let a timestamp go backwards, even if a clock is behind the stored one.
    moment = max(now, before.updated_date_time)
    sequence = before.history_count
    after = before.model_copy(
        update={**after_fields, "updated_date_time": moment, "history_count": sequence + 1}
    )
    entry = HistoryEntry(
        sequence=sequence,
        at=moment,
        actor=actor,
        action=history_action,
        from_status=before.status,
        to_status=after.status,
        details=details or {},
    )
    event = None
    if event_type is not None:
        event = LeadEvent(
            event_id=f"{before.id}-{sequence:05d}",
            event_type=event_type,
            partner_id=before.partner_id,
            lead_id=before.id,
            occurred=moment,
            status=after.status,
            status_reason=after.status_reason,
        )
    return Change(after, entry, event)


def _transition(
    lead: Lead,
    action: Action,
    *,
    actor: str,
    now: datetime,
    updates: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> Change:
    stage, status = next_state(lead.stage, action)
    return _record(
        lead,
        {"stage": stage, "status": status, **(updates or {})},
        history_action=_HISTORY_ACTION[action],
        event_type=_EVENT_TYPE.get(action),
        actor=actor,
        now=now,
        details=details,
    )


def _team_member(body: TeamMemberBody) -> TeamMember:
    return TeamMember(name=body.name, email=body.email, phone=body.phone)


def created(lead: Lead) -> Change:
    """The first history entry and the `LeadCreated` event of a new lead."""
    # A lead routed at intake is created with its owner; the entry says whom it went to.
    details = {"owner": _owner_details(lead.owner)} if lead.owner is not None else {}
    entry = HistoryEntry(
        0, lead.updated_date_time, SYSTEM_ACTOR, HistoryAction.LEAD_CREATED, None, lead.status, details
    )
    event = LeadEvent(
        event_id=f"{lead.id}-00000",
        event_type=EventType.LEAD_CREATED,
        partner_id=lead.partner_id,
        lead_id=lead.id,
        occurred=lead.updated_date_time,
        status=lead.status,
        status_reason=None,
    )
    return Change(lead.model_copy(update={"history_count": 1}), entry, event)


def accept(lead: Lead, body: AcceptBody, *, actor: str, now: datetime) -> Change:
    deal = Deal(
        name=body.deal_name,
        value=body.estimated_value,
        currency=body.currency,
        estimated_close_date=body.estimated_close_date,
        notes=body.notes,
        campaign_id=body.campaign_id,
        crm_id=body.crm_id,
    )
    team = [*lead.team, *(_team_member(m) for m in body.team)]
    return _transition(
        lead,
        Action.ACCEPT,
        actor=actor,
        now=now,
        updates={"deal": deal, "team": team, "accepted_date_time": max(now, lead.updated_date_time)},
        details={"dealName": deal.name, "estimatedValue": str(deal.value), "currency": deal.currency},
    )


def decline(lead: Lead, body: DeclineBody, *, actor: str, now: datetime) -> Change:
    return _transition(
        lead,
        Action.DECLINE,
        actor=actor,
        now=now,
        updates={
            "status_reason": body.reason.value,
            "status_notes": body.notes,
            "closed_date_time": max(now, lead.updated_date_time),
        },
        details={"reason": body.reason.value},
    )


_DEAL_FIELDS = {
    "deal_name": "name",
    "estimated_value": "value",
    "currency": "currency",
    "estimated_close_date": "estimated_close_date",
    "notes": "notes",
    "campaign_id": "campaign_id",
    "crm_id": "crm_id",
}


def update_deal(lead: Lead, body: DealUpdateBody, *, actor: str, now: datetime) -> Change:
    next_state(lead.stage, Action.UPDATE_DEAL)
    assert lead.deal is not None, "an accepted lead always has a deal"
    # Only the fields the client sent; the body refuses null for the deal's required fields.
    changes = {_DEAL_FIELDS[name]: getattr(body, name) for name in body.model_fields_set}
    deal = lead.deal.model_copy(update=changes)
    # Before and after of each field that really changed, under the request's field names.
    before, after = lead.deal.model_dump(mode="json"), deal.model_dump(mode="json")
    changed = {
        (DealUpdateBody.model_fields[name].alias or name): {"from": before[attr], "to": after[attr]}
        for name in sorted(body.model_fields_set)
        if before[attr := _DEAL_FIELDS[name]] != after[attr]
    }
    return _transition(
        lead,
        Action.UPDATE_DEAL,
        actor=actor,
        now=now,
        updates={"deal": deal},
        details={"fields": sorted(body.model_dump(by_alias=True, exclude_unset=True)), "changes": changed},
    )


def add_team_member(lead: Lead, body: TeamMemberBody, *, actor: str, now: datetime) -> Change:
    next_state(lead.stage, Action.ADD_TEAM_MEMBER)
    if len(lead.team) >= MAX_TEAM_MEMBERS:
        raise TeamFull()
    return _transition(
        lead,
        Action.ADD_TEAM_MEMBER,
        actor=actor,
        now=now,
        updates={"team": [*lead.team, _team_member(body)]},
        details={"name": body.name},
    )


def close(lead: Lead, body: CloseBody, *, actor: str, now: datetime) -> Change:
    action = Action.CLOSE_WON if body.outcome is Outcome.WON else Action.CLOSE_LOST
    next_state(lead.stage, action)
    deal = lead.deal
    if deal is not None and body.final_value is not None:
        deal = deal.model_copy(update={"value": body.final_value})
    return _transition(
        lead,
        action,
        actor=actor,
        now=now,
        updates={
            "deal": deal,
            "status_reason": body.reason.value if body.reason else None,
            "status_notes": body.notes,
            "closed_date_time": max(now, lead.updated_date_time),
        },
        details={"outcome": body.outcome.value},
    )


def is_expiry_due(lead: Lead, now: datetime) -> bool:
    return (
        lead.stage is Stage.RECEIVED
        and lead.expiration_date_time is not None
        and lead.expiration_date_time <= now
    )


def contact_scrubber(lead: Lead) -> Scrubber:
    """What removes this lead's contact from text: any address or number, and its own details."""
    customer = lead.customer
    full_name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    return Scrubber.for_contact(
        customer.country,
        (full_name, customer.first_name, customer.last_name, customer.email, customer.phone),
        phone=customer.phone,
    )


def expire(lead: Lead, *, now: datetime, history: Iterable[HistoryEntry] = ()) -> Change:
    """Archive an unanswered lead; its contact details are removed for good.

    The contact fields are cleared, and the contact is scrubbed out of the lead's free text and
    out of the details of its earlier history entries (`history`): the change rewrites each
    entry that held any of it.
    """
    scrub = contact_scrubber(lead)
    deal = lead.deal
    if deal is not None:
        deal = deal.model_copy(update={"name": scrub.text(deal.name), "notes": scrub.text(deal.notes)})
    rewritten = []
    for entry in history:
        details = scrub.value(entry.details)
        if details != entry.details:
            rewritten.append(replace(entry, details=details))
    change = _transition(
        lead,
        Action.EXPIRE,
        actor=SYSTEM_ACTOR,
        now=now,
        updates={
            "customer": lead.customer.without_contact_details(),
            "customer_need": scrub.optional_text(lead.customer_need),
            "status_notes": scrub.optional_text(lead.status_notes),
            "deal": deal,
            "closed_date_time": max(now, lead.updated_date_time),
        },
    )
    return replace(change, rewritten_history=tuple(rewritten))


def is_overdue_due(lead: Lead, now: datetime, urgency_hours: int) -> bool:
    return (
        not lead.overdue_recorded and lead.urgency_at(now, urgency_hours) is Urgency.CONTACT_REQUESTED_OVERDUE
    )


def record_overdue(lead: Lead, *, now: datetime) -> Change:
    """Persist that a customer's request for contact went unanswered past the limit."""
    return _record(
        lead,
        {"overdue_recorded": True},
        history_action=HistoryAction.URGENCY_OVERDUE,
        event_type=None,
        actor=SYSTEM_ACTOR,
        now=now,
    )


def record_system_change(
    lead: Lead, updates: dict[str, Any], *, action: HistoryAction, now: datetime, details: dict[str, Any]
) -> Change:
    """A change the service makes on its own that moves no status and sends no event."""
    return _record(
        lead, updates, history_action=action, event_type=None, actor=SYSTEM_ACTOR, now=now, details=details
    )


def record_validation(
    lead: Lead, updates: dict[str, Any], *, now: datetime, details: dict[str, Any]
) -> Change:
    """Store the contact validation's verdict (no status change, no event)."""
    return _record(
        lead,
        {**updates, "validated_date_time": max(now, lead.updated_date_time)},
        history_action=HistoryAction.CONTACT_VALIDATED,
        event_type=None,
        actor=SYSTEM_ACTOR,
        now=now,
        details=details,
    )


def _owner_details(owner: Owner | None) -> dict[str, Any] | None:
    return None if owner is None else {"userId": owner.user_id, "name": owner.name}


def assign_owner(
    lead: Lead, owner: Owner | None, *, actor: str, actor_name: str | None, now: datetime
) -> Change | None:
    """Give the lead an owner, another one, or none (`OwnerAssigned`); None when it is unchanged.

    Not a stage transition: received, accepted and informational leads all take an owner; an
    archived lead is finished, so it is refused like every other change to it.
    """
    if lead.stage is Stage.ARCHIVED:
        raise ArchivedLead()
    if lead.owner == owner:
        return None
    return _record(
        lead,
        {"owner": owner},
        history_action=HistoryAction.OWNER_ASSIGNED,
        event_type=None,
        actor=actor,
        now=now,
        details={"from": _owner_details(lead.owner), "to": _owner_details(owner), "actorName": actor_name},
    )
