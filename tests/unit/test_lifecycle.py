"""The lifecycle as a state machine: every stage x every action, and random action sequences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import lifecycle
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.enums import (
    DeclineReason,
    EventType,
    HistoryAction,
    LeadType,
    Qualification,
    Stage,
    Status,
)
from shared.domain.lead import Customer, Deal, Lead, TeamMember
from shared.domain.lifecycle import Action, InvalidTransition, TeamFull

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ACTOR = "user-42"


def make_lead(
    stage: Stage = Stage.RECEIVED, *, created: datetime = T0, requested_contact: bool = True
) -> Lead:
    status = {
        Stage.RECEIVED: Status.RECEIVED,
        Stage.ACCEPTED: Status.ACCEPTED,
        Stage.ARCHIVED: Status.DECLINED,
        Stage.INFORMATIONAL: None,
    }[stage]
    deal = None
    if stage is Stage.ACCEPTED:
        deal = Deal(
            name="Rollout",
            value=Decimal(1000),
            currency="EUR",
            estimated_close_date=date(2027, 1, 31),
            notes="n",
        )
    return Lead(
        id="9998234567890abcdefghjk",
        partner_id="contoso",
        lead_type=LeadType.PROFILE,
        qualification=Qualification.SALES_QUALIFIED,
        customer=Customer(
            company="Northwind", first_name="Jonas", last_name="Weber", email="j@northwind.de", title="CTO"
        ),
        customer_requested_contact=requested_contact and stage is not Stage.INFORMATIONAL,
        stage=stage,
        status=status,
        created_date_time=created,
        updated_date_time=created,
        expiration_date_time=None if stage is Stage.INFORMATIONAL else created + timedelta(days=14),
        deal=deal,
        history_count=2,
    )


ACCEPT = AcceptBody.model_validate(
    {
        "dealName": "Rollout",
        "estimatedValue": 2500,
        "currency": "EUR",
        "estimatedCloseDate": "2027-03-31",
        "notes": "Demo booked.",
        "team": [{"name": "Ann", "email": "ann@partner.example"}],
    }
)
DECLINE = DeclineBody.model_validate({"reason": "Other", "notes": "Not our market."})
DEAL = DealUpdateBody.model_validate({"estimatedValue": 9000, "campaignId": "cmp-1"})
TEAM = TeamMemberBody.model_validate({"name": "Bo", "email": "bo@partner.example", "phone": "+1 555 0100"})
WON = CloseBody.model_validate({"outcome": "Won", "finalValue": 12000, "notes": "Signed."})
LOST = CloseBody.model_validate({"outcome": "Lost", "reason": "BudgetNotAdequate"})

Apply = Callable[[Lead, datetime], lifecycle.Change]

APPLY: dict[Action, Apply] = {
    Action.ACCEPT: lambda lead, now: lifecycle.accept(lead, ACCEPT, actor=ACTOR, now=now),
    Action.DECLINE: lambda lead, now: lifecycle.decline(lead, DECLINE, actor=ACTOR, now=now),
    Action.UPDATE_DEAL: lambda lead, now: lifecycle.update_deal(lead, DEAL, actor=ACTOR, now=now),
    Action.ADD_TEAM_MEMBER: lambda lead, now: lifecycle.add_team_member(lead, TEAM, actor=ACTOR, now=now),
    Action.CLOSE_WON: lambda lead, now: lifecycle.close(lead, WON, actor=ACTOR, now=now),
    Action.CLOSE_LOST: lambda lead, now: lifecycle.close(lead, LOST, actor=ACTOR, now=now),
    Action.EXPIRE: lambda lead, now: lifecycle.expire(lead, now=now),
}

# The contract's rules (§4, §5, §7), written out independently of the table.
EXPECTED: dict[tuple[Stage, Action], tuple[Stage, Status]] = {
    (Stage.RECEIVED, Action.ACCEPT): (Stage.ACCEPTED, Status.ACCEPTED),
    (Stage.RECEIVED, Action.DECLINE): (Stage.ARCHIVED, Status.DECLINED),
    (Stage.RECEIVED, Action.EXPIRE): (Stage.ARCHIVED, Status.EXPIRED),
    (Stage.ACCEPTED, Action.UPDATE_DEAL): (Stage.ACCEPTED, Status.ACCEPTED),
    (Stage.ACCEPTED, Action.ADD_TEAM_MEMBER): (Stage.ACCEPTED, Status.ACCEPTED),
    (Stage.ACCEPTED, Action.CLOSE_WON): (Stage.ARCHIVED, Status.WON),
    (Stage.ACCEPTED, Action.CLOSE_LOST): (Stage.ARCHIVED, Status.LOST),
}

EVENTS = {
    Action.ACCEPT: EventType.LEAD_ACCEPTED,
    Action.DECLINE: EventType.LEAD_DECLINED,
    Action.CLOSE_WON: EventType.LEAD_WON,
    Action.CLOSE_LOST: EventType.LEAD_LOST,
    Action.EXPIRE: EventType.LEAD_EXPIRED,
}


def test_the_table_is_the_contract() -> None:
    assert lifecycle.TRANSITIONS == EXPECTED
    for (_, _), (stage, status) in lifecycle.TRANSITIONS.items():
        assert status in lifecycle.STATUSES_OF_STAGE[stage]


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("action", list(Action))
def test_every_stage_and_action(stage: Stage, action: Action) -> None:
    lead = make_lead(stage)
    now = T0 + timedelta(days=20)
    if (stage, action) not in EXPECTED:
        with pytest.raises(InvalidTransition) as refused:
            APPLY[action](lead, now)
        assert refused.value.stage is stage
        assert refused.value.action is action
        return
    change = APPLY[action](lead, now)
    assert (change.lead.stage, change.lead.status) == EXPECTED[(stage, action)]
    assert change.history.from_status is lead.status
    assert change.history.to_status is change.lead.status
    assert change.history.sequence == lead.history_count
    assert change.lead.history_count == lead.history_count + 1
    assert change.history.at == now == change.lead.updated_date_time
    if action in EVENTS:
        assert change.event is not None
        assert change.event.event_type is EVENTS[action]
        assert change.event.event_id == f"{lead.id}-{lead.history_count:05d}"
        assert change.event.to_message()["status"] == change.lead.status.value
    else:
        assert change.event is None


@pytest.mark.parametrize("status", [Status.DECLINED, Status.EXPIRED, Status.WON, Status.LOST])
@pytest.mark.parametrize("action", list(Action))
def test_archived_is_read_only_whatever_its_status(status: Status, action: Action) -> None:
    lead = make_lead(Stage.ARCHIVED).model_copy(update={"status": status})
    with pytest.raises(InvalidTransition):
        APPLY[action](lead, T0 + timedelta(days=30))


def test_accept_stores_the_deal_team_and_actor() -> None:
    change = APPLY[Action.ACCEPT](make_lead(), T0 + timedelta(hours=1))
    deal = change.lead.deal
    assert deal is not None
    assert (deal.name, deal.value, deal.currency, deal.estimated_close_date, deal.notes) == (
        "Rollout",
        Decimal(2500),
        "EUR",
        date(2027, 3, 31),
        "Demo booked.",
    )
    assert change.lead.team == [TeamMember(name="Ann", email="ann@partner.example")]
    assert change.lead.accepted_date_time == T0 + timedelta(hours=1)
    assert change.history.actor == ACTOR
    assert change.history.action is HistoryAction.LEAD_ACCEPTED


def test_decline_sets_reason_and_notes() -> None:
    change = APPLY[Action.DECLINE](make_lead(), T0 + timedelta(hours=2))
    assert (change.lead.status_reason, change.lead.status_notes) == ("Other", "Not our market.")
    assert change.lead.closed_date_time == T0 + timedelta(hours=2)
    assert change.event is not None and change.event.status_reason == "Other"


def test_deal_edit_changes_only_the_fields_sent() -> None:
    lead = make_lead(Stage.ACCEPTED)
    change = APPLY[Action.UPDATE_DEAL](lead, T0)
    assert change.lead.deal is not None and lead.deal is not None
    assert change.lead.deal.value == Decimal(9000)
    assert change.lead.deal.campaign_id == "cmp-1"
    assert change.lead.deal.name == lead.deal.name
    assert change.history.details["fields"] == ["campaignId", "estimatedValue"]


def test_deal_edit_may_clear_optional_ids() -> None:
    lead = make_lead(Stage.ACCEPTED)
    with_campaign = APPLY[Action.UPDATE_DEAL](lead, T0).lead
    body = DealUpdateBody.model_validate({"campaignId": None})
    cleared = lifecycle.update_deal(with_campaign, body, actor=ACTOR, now=T0).lead
    assert cleared.deal is not None and cleared.deal.campaign_id is None
    assert cleared.deal.value == Decimal(9000)


def test_close_won_replaces_the_value_and_lost_keeps_it() -> None:
    won = APPLY[Action.CLOSE_WON](make_lead(Stage.ACCEPTED), T0).lead
    assert won.deal is not None and won.deal.value == Decimal(12000)
    assert (won.status_reason, won.status_notes) == (None, "Signed.")
    lost = APPLY[Action.CLOSE_LOST](make_lead(Stage.ACCEPTED), T0).lead
    assert lost.deal is not None and lost.deal.value == Decimal(1000)
    assert lost.status_reason == DeclineReason.BUDGET_NOT_ADEQUATE.value


def test_expire_removes_contact_details_and_keeps_the_company() -> None:
    expired = APPLY[Action.EXPIRE](make_lead(), T0 + timedelta(days=15)).lead
    customer = expired.customer
    assert (customer.first_name, customer.last_name, customer.email, customer.phone, customer.title) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert customer.company == "Northwind"


def test_expire_scrubs_the_contact_out_of_free_text_and_earlier_history() -> None:
    lead = make_lead().model_copy(
        update={
            # No country: nationally written numbers follow the plan of the contact's own number.
            "customer": make_lead().customer.model_copy(update={"phone": "+4930901820"}),
            "customer_need": "I am Jonas Weber, call +49 30 901820 or mail jonas.private@gmail.com today.",
            "status_notes": "Jonas asked: j@northwind.de",
            "deal": Deal(
                name="Jonas Weber rollout",
                value=Decimal(1),
                currency="EUR",
                estimated_close_date=date(2027, 1, 31),
                notes="Call 030 901820",
            ),
            "history_count": 3,
        }
    )
    plain = lifecycle.HistoryEntry(0, T0, "system", HistoryAction.LEAD_CREATED, None, Status.RECEIVED)
    validated = lifecycle.HistoryEntry(
        1,
        T0,
        "system",
        HistoryAction.CONTACT_VALIDATED,
        Status.RECEIVED,
        Status.RECEIVED,
        {"quality": "High"},
    )
    with_contact = lifecycle.HistoryEntry(
        2,
        T0,
        "user-1",
        HistoryAction.DEAL_UPDATED,
        Status.RECEIVED,
        Status.RECEIVED,
        {"changes": {"notes": {"from": "", "to": "mail j@northwind.de or +49 30 901820, Weber"}}},
    )
    change = lifecycle.expire(lead, now=T0 + timedelta(days=15), history=[plain, validated, with_contact])

    expired = change.lead
    assert expired.customer_need == "I am [removed], call [removed] or mail [removed] today."
    assert expired.status_notes == "[removed] asked: [removed]"
    assert expired.deal is not None
    assert (expired.deal.name, expired.deal.notes) == ("[removed] rollout", "Call [removed]")
    # Only the entry that held contact details is rewritten, in place (same sequence and action).
    assert change.rewritten_history == (
        replace(
            with_contact,
            details={"changes": {"notes": {"from": "", "to": "mail [removed] or [removed], [removed]"}}},
        ),
    )
    assert change.history.sequence == 3 and change.history.details == {}
    # Expiring the same text again finds nothing more to remove.
    again = lifecycle.expire(lead, now=T0 + timedelta(days=15), history=change.rewritten_history)
    assert again.rewritten_history == ()
    assert again.lead.customer_need == expired.customer_need


def test_team_is_bounded() -> None:
    lead = make_lead(Stage.ACCEPTED)
    for _ in range(lifecycle.MAX_TEAM_MEMBERS):
        lead = APPLY[Action.ADD_TEAM_MEMBER](lead, T0).lead
    with pytest.raises(TeamFull):
        APPLY[Action.ADD_TEAM_MEMBER](lead, T0)


def test_a_clock_behind_the_stored_lead_never_moves_time_back() -> None:
    lead = make_lead().model_copy(update={"updated_date_time": T0 + timedelta(hours=5)})
    change = APPLY[Action.ACCEPT](lead, T0)
    assert change.lead.updated_date_time == T0 + timedelta(hours=5)
    assert change.lead.accepted_date_time == T0 + timedelta(hours=5)
    assert change.history.at == T0 + timedelta(hours=5)


def test_expiry_and_overdue_checks() -> None:
    lead = make_lead()
    assert not lifecycle.is_expiry_due(lead, T0 + timedelta(days=14) - timedelta(seconds=1))
    assert lifecycle.is_expiry_due(lead, T0 + timedelta(days=14))
    assert not lifecycle.is_overdue_due(lead, T0 + timedelta(hours=71, minutes=59), 72)
    assert lifecycle.is_overdue_due(lead, T0 + timedelta(hours=72), 72)
    flagged = lifecycle.record_overdue(lead, now=T0 + timedelta(hours=73))
    assert flagged.lead.overdue_recorded
    assert flagged.history.action is HistoryAction.URGENCY_OVERDUE
    assert flagged.event is None
    assert not lifecycle.is_overdue_due(flagged.lead, T0 + timedelta(hours=80), 72)
    for stage in (Stage.ACCEPTED, Stage.ARCHIVED, Stage.INFORMATIONAL):
        assert not lifecycle.is_expiry_due(make_lead(stage), T0 + timedelta(days=30))
        assert not lifecycle.is_overdue_due(make_lead(stage), T0 + timedelta(days=30), 72)


def test_created_writes_the_first_entry_and_event() -> None:
    lead = make_lead().model_copy(update={"history_count": 0})
    change = lifecycle.created(lead)
    assert change.history.sequence == 0
    assert change.history.action is HistoryAction.LEAD_CREATED
    assert change.history.actor == lifecycle.SYSTEM_ACTOR
    assert change.event is not None and change.event.event_type is EventType.LEAD_CREATED
    assert change.lead.history_count == 1


# -- random sequences ---------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        # Mostly forward in time, sometimes a clock that runs behind.
        st.integers(min_value=-48, max_value=24 * 20),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from([Stage.RECEIVED, Stage.INFORMATIONAL]),
    requested_contact=st.booleans(),
    sequence=steps,
)
def test_random_action_sequences_keep_the_invariants(
    start: Stage, requested_contact: bool, sequence: list[tuple[Action, int]]
) -> None:
    lead = make_lead(start, requested_contact=requested_contact)
    now = T0
    event_ids: set[str] = set()
    for action, hours in sequence:
        now += timedelta(hours=hours)
        before = lead
        try:
            change = APPLY[action](lead, now)
        except InvalidTransition:
            assert (before.stage, action) not in lifecycle.TRANSITIONS
            continue
        lead = change.lead
        # Archived is terminal; informational leads never move.
        assert before.stage not in (Stage.ARCHIVED, Stage.INFORMATIONAL)
        # Expiry only ever hits Received leads.
        if action is Action.EXPIRE:
            assert before.stage is Stage.RECEIVED
        assert lead.status in lifecycle.STATUSES_OF_STAGE[lead.stage]
        # Timestamps never go backwards.
        assert lead.updated_date_time >= before.updated_date_time
        assert change.history.at == lead.updated_date_time
        for stamp in (lead.accepted_date_time, lead.closed_date_time):
            assert stamp is None or lead.created_date_time <= stamp <= lead.updated_date_time
        if before.accepted_date_time is not None:
            assert lead.accepted_date_time == before.accepted_date_time
        # History numbering is gap-free; each event is new.
        assert change.history.sequence == before.history_count
        assert lead.history_count == before.history_count + 1
        if change.event is not None:
            assert change.event.event_id not in event_ids
            event_ids.add(change.event.event_id)
        assert (change.event is not None) == (action in EVENTS)
    if lead.stage is Stage.ARCHIVED:
        for action in Action:
            with pytest.raises(InvalidTransition):
                APPLY[action](lead, now)
    if lead.status is Status.EXPIRED:
        assert lead.customer.email is None and lead.customer.first_name is None


def test_a_deal_edit_records_before_and_after_of_each_changed_field() -> None:
    lead = make_lead(Stage.ACCEPTED)
    body = DealUpdateBody.model_validate({"estimatedValue": 9000, "currency": "EUR", "campaignId": "cmp-1"})
    entry = lifecycle.update_deal(lead, body, actor=ACTOR, now=T0).history
    # The currency was sent unchanged: not a change.
    assert entry.to_resource()["details"]["changes"] == {
        "estimatedValue": {"from": 1000, "to": 9000},
        "campaignId": {"from": None, "to": "cmp-1"},
    }
