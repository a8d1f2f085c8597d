"""The action center (contract §5): its index rows, kinds at the boundaries, order, summary, paging."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.domain.action_center import (
    ActionIndex,
    KeyRange,
    action_page,
    decode_token,
    encode_token,
    item_for,
    open_ranges,
    parse_actions_request,
)
from shared.domain.enums import ActionKind, LeadType, Qualification, Stage, Status
from shared.domain.lead import Customer, Deal, Lead
from shared.domain.lead_ids import new_lead_id

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOURS = 72
MS = timedelta(milliseconds=1)


def lead(
    *,
    age: timedelta,
    stage: Stage = Stage.RECEIVED,
    requested_contact: bool = False,
    close_date: date | None = None,
    company: str = "Fabrikam BV",
) -> Lead:
    created = NOW - age
    status = {Stage.RECEIVED: Status.RECEIVED, Stage.ACCEPTED: Status.ACCEPTED}.get(stage, Status.DECLINED)
    informational = stage is Stage.INFORMATIONAL
    return Lead(
        id=new_lead_id(created),
        partner_id="contoso",
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        customer=Customer(company=company, first_name="Eva", email="eva@fabrikam.nl"),
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


def rows(one: Lead) -> list[dict[str, Any]]:
    """The lead's index rows as storage gives them back: the key and the columns."""
    return [{"RowKey": row.row_key, **row.columns} for row in ActionIndex().index_rows(one)]


def item(one: Lead, now: datetime = NOW) -> tuple[ActionKind, datetime] | None:
    (row,) = rows(one)
    found = item_for(row, now=now, urgency_hours=HOURS)
    return None if found is None else (found.kind, found.due)


def in_range(row_key: str, keys: KeyRange) -> bool:
    return keys.low <= row_key < keys.high


def test_a_fresh_request_for_contact_is_due_72_hours_after_creation() -> None:
    fresh = lead(age=timedelta(hours=10), requested_contact=True)
    assert item(fresh) == (ActionKind.CONTACT_REQUESTED, fresh.created_date_time + timedelta(hours=72))


def test_at_72_hours_the_request_turns_overdue_and_is_due_at_expiry() -> None:
    almost = lead(age=timedelta(hours=72) - MS, requested_contact=True)
    overdue = lead(age=timedelta(hours=72), requested_contact=True)
    assert item(almost) == (ActionKind.CONTACT_REQUESTED, NOW + MS)
    assert item(overdue) == (ActionKind.CONTACT_OVERDUE, overdue.expiration_date_time)


def test_the_same_row_changes_kind_as_time_passes_without_a_write() -> None:
    requested = lead(age=timedelta(hours=1), requested_contact=True)
    assert item(requested)[0] is ActionKind.CONTACT_REQUESTED  # type: ignore[index]
    assert item(requested, NOW + timedelta(hours=71))[0] is ActionKind.CONTACT_OVERDUE  # type: ignore[index]
    plain = lead(age=timedelta(hours=1))
    assert item(plain)[0] is ActionKind.RESPOND  # type: ignore[index]
    assert item(plain, NOW + timedelta(days=12))[0] is ActionKind.EXPIRING_SOON  # type: ignore[index]


def test_expiring_soon_from_48_hours_before_expiry() -> None:
    at_48 = lead(age=timedelta(days=14) - timedelta(hours=48))
    just_before = lead(age=timedelta(days=14) - timedelta(hours=48) - MS)
    assert item(at_48) == (ActionKind.EXPIRING_SOON, at_48.expiration_date_time)
    assert item(just_before) == (ActionKind.RESPOND, just_before.expiration_date_time)


def test_an_overdue_request_outranks_expiring_soon() -> None:
    both = lead(age=timedelta(days=13), requested_contact=True)
    assert item(both) == (ActionKind.CONTACT_OVERDUE, both.expiration_date_time)


def test_an_expired_lead_no_sweep_has_archived_yet_needs_nothing_and_is_outside_the_read() -> None:
    expired = lead(age=timedelta(days=14), requested_contact=True)
    assert item(expired) is None
    received, _outcome = open_ranges(NOW)
    assert not in_range(rows(expired)[0]["RowKey"], received)
    assert in_range(rows(lead(age=timedelta(days=14) - MS))[0]["RowKey"], received)


def test_record_outcome_from_the_close_date_at_midnight_utc() -> None:
    due = lead(age=timedelta(days=40), stage=Stage.ACCEPTED, close_date=date(2026, 12, 1))
    later = lead(age=timedelta(days=40), stage=Stage.ACCEPTED, close_date=date(2026, 12, 2))
    assert item(due) == (ActionKind.RECORD_OUTCOME, datetime(2026, 12, 1, tzinfo=UTC))
    assert item(later) is None
    assert item(later, datetime(2026, 12, 2, tzinfo=UTC)) == (
        ActionKind.RECORD_OUTCOME,
        datetime(2026, 12, 2, tzinfo=UTC),
    )
    _received, outcome = open_ranges(NOW)
    assert in_range(rows(due)[0]["RowKey"], outcome)
    assert not in_range(rows(later)[0]["RowKey"], outcome)


def test_no_row_for_archived_or_informational_leads() -> None:
    for stage in (Stage.ARCHIVED, Stage.INFORMATIONAL):
        assert rows(lead(age=timedelta(days=1), stage=stage, requested_contact=True)) == []


def test_rows_hold_the_company_but_no_contact_details() -> None:
    (row,) = rows(lead(age=timedelta(hours=1), requested_contact=True))
    assert row["Company"] == "Fabrikam BV"
    assert "Eva" not in json.dumps(row, default=str) and "eva@" not in json.dumps(row, default=str)


def sample() -> list[Lead]:
    return [
        lead(age=timedelta(hours=1), company="Respond 1"),
        lead(age=timedelta(hours=2), company="Respond 2"),
        lead(age=timedelta(hours=5), requested_contact=True, company="Requested"),
        lead(age=timedelta(days=4), requested_contact=True, company="Overdue late"),
        lead(age=timedelta(days=5), requested_contact=True, company="Overdue early"),
        lead(age=timedelta(days=13), company="Expiring"),
        lead(age=timedelta(days=40), stage=Stage.ACCEPTED, close_date=date(2026, 11, 1), company="Outcome"),
        lead(age=timedelta(days=14, hours=1), company="Expired"),
        lead(age=timedelta(days=3), stage=Stage.ARCHIVED, company="Archived"),
    ]


def all_rows(leads: list[Lead]) -> list[dict[str, Any]]:
    return [row for one in leads for row in rows(one)]


def test_one_item_per_lead_by_urgency_then_due_with_a_summary_of_every_kind() -> None:
    page = action_page(all_rows(sample()), now=NOW, urgency_hours=HOURS)

    assert [(item.kind.value, item.customer_name) for item in page.items] == [
        ("ContactOverdue", "Overdue early"),
        ("ContactOverdue", "Overdue late"),
        ("ContactRequested", "Requested"),
        ("ExpiringSoon", "Expiring"),
        ("Respond", "Respond 2"),
        ("Respond", "Respond 1"),
        ("RecordOutcome", "Outcome"),
    ]
    assert page.summary == {
        "ContactOverdue": 2,
        "ContactRequested": 1,
        "ExpiringSoon": 1,
        "Respond": 2,
        "RecordOutcome": 1,
    }
    assert page.next_after is None
    resource = page.to_resource()
    assert resource["continuationToken"] is None
    assert resource["value"][-1] == {
        "kind": "RecordOutcome",
        "leadId": page.items[-1].lead_id,
        "customerName": "Outcome",
        "dueDateTime": "2026-11-01T00:00:00.000Z",
        "message": resource["value"][-1]["message"],
    }
    assert all("message" in entry and entry["message"] for entry in resource["value"])


def test_pages_follow_each_other_and_keep_the_summary_of_all() -> None:
    source = all_rows(sample())
    whole = action_page(source, now=NOW, urgency_hours=HOURS)
    seen: list[str] = []
    after = None
    while True:
        page = action_page(source, now=NOW, urgency_hours=HOURS, top=3, after=after)
        assert page.summary == whole.summary
        assert len(page.items) <= 3
        seen.extend(item.lead_id for item in page.items)
        token = page.to_resource()["continuationToken"]
        if token is None:
            break
        after, errors = decode_token(token)
        assert errors == []
    assert seen == [item.lead_id for item in whole.items]


def forged(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def test_a_token_the_service_did_not_issue_is_refused() -> None:
    lead_id = new_lead_id(NOW)
    good = encode_token((1, "2026-12-01T12:00:00.000Z", lead_id))
    assert decode_token(good) == ((1, "2026-12-01T12:00:00.000Z", lead_id), [])
    valid = {"v": 1, "kind": "Respond", "due": "2026-12-01T12:00:00.000Z", "after": lead_id}
    for bad in (
        "nope",
        good[:-2],
        "x" * 300,
        forged({**valid, "v": 2}),
        forged({**valid, "kind": "Sleep"}),
        forged({**valid, "due": "tomorrow"}),
        forged({**valid, "due": "2026-12-01T12:00:00Z"}),
        forged({**valid, "after": "lead|x"}),
        forged({**valid, "extra": 1}),
        forged([1, 2]),
    ):
        after, errors = decode_token(bad)
        assert after is None and [error.field for error in errors] == ["continuationToken"], bad


@pytest.mark.parametrize(
    ("params", "top", "fields"),
    [
        ({}, 20, []),
        ({"top": "1"}, 1, []),
        ({"top": "100"}, 100, []),
        ({"top": "0"}, 20, ["top"]),
        ({"top": "101"}, 20, ["top"]),
        ({"top": "ten"}, 20, ["top"]),
        ({"top": "²"}, 20, ["top"]),
        ({"continuationToken": "forged"}, 20, ["continuationToken"]),
    ],
)
def test_top_is_1_to_100_and_the_token_is_checked(
    params: dict[str, str], top: int, fields: list[str]
) -> None:
    parsed_top, _after, errors = parse_actions_request(params)
    assert (parsed_top, [error.field for error in errors]) == (top, fields)
