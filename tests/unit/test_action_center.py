"""The action center's kinds, due times and order (contract §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from shared.domain.action_center import actions_for, ordered
from shared.domain.enums import ActionKind, LeadType, Qualification, Stage, Status
from shared.domain.lead import Customer, Deal, Lead

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOURS = 72


def lead(
    lead_id: str,
    *,
    age: timedelta,
    stage: Stage = Stage.RECEIVED,
    requested_contact: bool = False,
    close_date: date | None = None,
) -> Lead:
    created = NOW - age
    status = {Stage.RECEIVED: Status.RECEIVED, Stage.ACCEPTED: Status.ACCEPTED}.get(stage, Status.DECLINED)
    informational = stage is Stage.INFORMATIONAL
    return Lead(
        id=lead_id,
        partner_id="contoso",
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        customer=Customer(company=f"Company {lead_id}"),
        customer_requested_contact=requested_contact,
        stage=stage,
        status=None if informational else status,
        created_date_time=created,
        updated_date_time=created,
        expiration_date_time=None if informational else created + timedelta(days=14),
        deal=None
        if close_date is None
        else Deal(name="D", value=Decimal(1), currency="USD", estimated_close_date=close_date, notes="n"),
    )


def kinds(found: list) -> list[tuple[ActionKind, datetime]]:
    return [(action.kind, action.due) for action in found]


def test_a_fresh_request_for_contact() -> None:
    fresh = lead("a", age=timedelta(hours=10), requested_contact=True)
    assert kinds(actions_for(fresh, now=NOW, urgency_hours=HOURS)) == [
        (ActionKind.CONTACT_REQUESTED, fresh.created_date_time + timedelta(hours=72)),
        (ActionKind.RESPOND, fresh.expiration_date_time),
    ]


def test_the_flame_goes_out_after_72_hours() -> None:
    old = lead("b", age=timedelta(hours=72), requested_contact=True)
    assert [kind for kind, _ in kinds(actions_for(old, now=NOW, urgency_hours=HOURS))] == [ActionKind.RESPOND]


def test_expiring_within_48_hours() -> None:
    expiring = lead("c", age=timedelta(days=12, hours=1))
    assert kinds(actions_for(expiring, now=NOW, urgency_hours=HOURS)) == [
        (ActionKind.RESPOND, expiring.expiration_date_time),
        (ActionKind.EXPIRING_SOON, expiring.expiration_date_time),
    ]
    not_yet = lead("d", age=timedelta(days=11, hours=23))
    assert ActionKind.EXPIRING_SOON not in {
        a.kind for a in actions_for(not_yet, now=NOW, urgency_hours=HOURS)
    }


def test_record_outcome_once_the_close_date_has_passed() -> None:
    due = lead("e", age=timedelta(days=40), stage=Stage.ACCEPTED, close_date=date(2026, 12, 1))
    assert kinds(actions_for(due, now=NOW, urgency_hours=HOURS)) == [
        (ActionKind.RECORD_OUTCOME, datetime(2026, 12, 1, tzinfo=UTC))
    ]
    later = lead("f", age=timedelta(days=40), stage=Stage.ACCEPTED, close_date=date(2026, 12, 2))
    assert actions_for(later, now=NOW, urgency_hours=HOURS) == []


def test_nothing_for_archived_or_informational_leads() -> None:
    for stage in (Stage.ARCHIVED, Stage.INFORMATIONAL):
        quiet = lead("g", age=timedelta(days=13), stage=stage, requested_contact=True)
        assert actions_for(quiet, now=NOW, urgency_hours=HOURS) == []


def test_earliest_due_first_and_shaped_as_the_contract_says() -> None:
    leads = [
        lead("h", age=timedelta(hours=1)),
        lead("i", age=timedelta(days=13), requested_contact=True),
        lead("j", age=timedelta(hours=5), requested_contact=True),
        lead("k", age=timedelta(days=40), stage=Stage.ACCEPTED, close_date=date(2026, 11, 1)),
    ]
    found = ordered([action for one in leads for action in actions_for(one, now=NOW, urgency_hours=HOURS)])
    dues = [action.due for action in found]
    assert dues == sorted(dues)
    assert found[0].kind is ActionKind.RECORD_OUTCOME
    resource = found[0].to_resource()
    assert resource == {
        "kind": "RecordOutcome",
        "leadId": "k",
        "customerName": "Company k",
        "dueDateTime": "2026-11-01T00:00:00.000Z",
        "message": resource["message"],
    }
    assert "Company k" in resource["message"]
