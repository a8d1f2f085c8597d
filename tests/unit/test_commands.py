"""Request bodies of the lifecycle actions: one `details` entry per bad field, named as sent."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import azure.functions as func
import pytest
from pydantic import BaseModel

from shared.adapters.http import parse_body
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.enums import DeclineReason, Outcome
from shared.domain.errors import ServiceError


def request(body: Any, content_type: str = "application/json") -> func.HttpRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return func.HttpRequest(
        method="POST", url="/api/leads/x/accept", headers={"content-type": content_type}, body=raw
    )


def refused_fields(model: type[BaseModel], body: Any) -> dict[str, str]:
    with pytest.raises(ServiceError) as refused:
        parse_body(request(body), model)
    assert refused.value.status == 400
    assert refused.value.code == "BadRequest"
    fields = [detail.field for detail in refused.value.details]
    assert len(fields) == len(set(fields)), "one entry per field"
    return {detail.field: detail.message for detail in refused.value.details}


def accept(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dealName": "Rollout",
        "estimatedValue": 100,
        "estimatedCloseDate": "2027-01-31",
        "notes": "Call booked.",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def test_a_complete_accept_body() -> None:
    body = parse_body(
        request(accept(campaignId="c1", crmId="crm-9", team=[{"name": "A", "email": "a@b.example"}])),
        AcceptBody,
    )
    assert body.currency == "USD"
    assert body.estimated_value == Decimal(100)
    assert body.estimated_close_date == date(2027, 1, 31)
    assert (body.campaign_id, body.crm_id) == ("c1", "crm-9")
    assert body.team[0].phone is None


def test_fractions_keep_their_decimal_value() -> None:
    assert parse_body(request(accept(estimatedValue=0.1)), AcceptBody).estimated_value == Decimal("0.1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"notes": ...}, "notes"),
        ({"notes": ""}, "notes"),
        ({"notes": "   "}, "notes"),
        ({"notes": "x" * 4001}, "notes"),
        ({"dealName": ...}, "dealName"),
        ({"dealName": "d" * 201}, "dealName"),
        ({"estimatedValue": -1}, "estimatedValue"),
        ({"estimatedValue": "100"}, "estimatedValue"),
        ({"estimatedValue": True}, "estimatedValue"),
        ({"estimatedValue": None}, "estimatedValue"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "EUE"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"estimatedCloseDate": "2027-02-30"}, "estimatedCloseDate"),
        ({"estimatedCloseDate": "31-01-2027"}, "estimatedCloseDate"),
        ({"estimatedCloseDate": "2027-01-31T00:00:00Z"}, "estimatedCloseDate"),
        ({"estimatedCloseDate": 20270131}, "estimatedCloseDate"),
        ({"team": [{"name": "A", "email": "not-an-address"}]}, "team.0.email"),
        ({"team": [{"email": "a@b.example"}]}, "team.0.name"),
        ({"team": "Ann"}, "team"),
        ({"stage": "Accepted"}, "stage"),
    ],
)
def test_each_bad_accept_field_is_named(changes: dict[str, Any], field: str) -> None:
    assert set(refused_fields(AcceptBody, accept(**changes))) == {field}


def test_several_bad_fields_give_one_entry_each() -> None:
    fields = refused_fields(
        AcceptBody, {"estimatedValue": -5, "currency": "XXX1", "estimatedCloseDate": "soon"}
    )
    assert set(fields) == {"dealName", "estimatedValue", "currency", "estimatedCloseDate", "notes"}
    assert "greater than or equal to 0" in fields["estimatedValue"]


@pytest.mark.parametrize("value", [float("inf"), 1e16])
def test_huge_values_are_refused(value: float) -> None:
    assert set(refused_fields(AcceptBody, accept(estimatedValue=value))) == {"estimatedValue"}


@pytest.mark.parametrize("reason", list(DeclineReason))
def test_every_decline_reason(reason: DeclineReason) -> None:
    body = parse_body(request({"reason": reason.value, "notes": "why"}), DeclineBody)
    assert body.reason is reason


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "TooExpensive"}, "reason"),
        ({"reason": "budgetnotadequate"}, "reason"),
        ({}, "reason"),
        ({"reason": "Other"}, "notes"),
        ({"reason": "Other", "notes": "  "}, "notes"),
        ({"reason": "Spam", "notes": 5}, "notes"),
    ],
)
def test_bad_decline_bodies(body: dict[str, Any], field: str) -> None:
    assert set(refused_fields(DeclineBody, body)) == {field}


def test_decline_without_notes_unless_other() -> None:
    assert parse_body(request({"reason": "Spam"}), DeclineBody).notes is None


def test_deal_edit_takes_any_subset() -> None:
    body = parse_body(request({"crmId": "crm-1", "estimatedValue": 0}), DealUpdateBody)
    assert body.model_fields_set == {"crm_id", "estimated_value"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"body"}),
        ({"dealName": None, "notes": None}, {"dealName", "notes"}),
        ({"estimatedValue": -0.01}, {"estimatedValue"}),
        ({"currency": "eur"}, {"currency"}),
        ({"estimatedCloseDate": "tomorrow"}, {"estimatedCloseDate"}),
        ({"stage": "Archived"}, {"stage"}),
    ],
)
def test_bad_deal_edits(body: dict[str, Any], fields: set[str]) -> None:
    assert set(refused_fields(DealUpdateBody, body)) == fields


def test_team_member_body() -> None:
    body = parse_body(request({"name": "Ann", "email": "ann@partner.example"}), TeamMemberBody)
    assert (body.name, body.phone) == ("Ann", None)
    assert set(refused_fields(TeamMemberBody, {"name": "", "email": "x"})) == {"name", "email"}


def test_close_bodies() -> None:
    won = parse_body(request({"outcome": "Won", "finalValue": 10.5, "notes": "Signed"}), CloseBody)
    assert (won.outcome, won.final_value) == (Outcome.WON, Decimal("10.5"))
    lost = parse_body(request({"outcome": "Lost", "reason": "TimelineTooShort"}), CloseBody)
    assert lost.reason is DeclineReason.TIMELINE_TOO_SHORT


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"outcome": "Won", "reason": "Spam"}, {"reason"}),
        ({"outcome": "Maybe"}, {"outcome"}),
        ({}, {"outcome"}),
        ({"outcome": "Lost", "reason": "Whatever", "finalValue": -1}, {"reason", "finalValue"}),
    ],
)
def test_bad_close_bodies(body: dict[str, Any], fields: set[str]) -> None:
    assert set(refused_fields(CloseBody, body)) == fields


def test_hostile_text_is_kept_exactly() -> None:
    notes = "\"'<script>alert(1)</script> \u202eRTL\u202c 👩‍💻 ü " + "é" * 3900
    body = parse_body(request(accept(notes=notes, dealName="Ωmega \u200f<b>")), AcceptBody)
    assert body.notes == notes
    assert body.deal_name == "Ωmega \u200f<b>"


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"reason": "Spam"}', "text/plain", 415),
        (b"{" + b" " * 70_000 + b"}", "application/json", 413),
    ],
)
def test_bodies_that_are_not_a_json_object(raw: bytes, content_type: str, status: int) -> None:
    with pytest.raises(ServiceError) as refused:
        parse_body(request(raw, content_type), DeclineBody)
    assert refused.value.status == status
