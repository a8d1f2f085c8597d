"""Owners: the `OwnerAssigned` change, the owner body, and the `owner` list filter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.domain import lifecycle
from shared.domain.commands import OwnerBody
from shared.domain.enums import HistoryAction, Stage
from shared.domain.lead import Owner
from shared.domain.lead_query import OWNER_NONE, LeadQuery, parse_lead_query
from tests.unit.test_lifecycle import T0, make_lead

ANN = Owner(user_id="ann", name="Ann")
BOB = Owner(user_id="bob", name="Bob")


@pytest.mark.parametrize("stage", [Stage.RECEIVED, Stage.ACCEPTED, Stage.INFORMATIONAL])
def test_an_owner_is_assigned_with_history(stage: Stage) -> None:
    lead = make_lead(stage)
    change = lifecycle.assign_owner(lead, ANN, actor="u-1", actor_name="Una", now=T0 + timedelta(hours=1))
    assert change is not None
    assert change.lead.owner == ANN
    assert change.lead.stage is stage and change.lead.status == lead.status
    assert change.event is None  # Microsoft is not told who works a lead
    entry = change.history
    assert (entry.action, entry.actor, entry.at) == (
        HistoryAction.OWNER_ASSIGNED,
        "u-1",
        T0 + timedelta(hours=1),
    )
    assert entry.sequence == lead.history_count and change.lead.history_count == lead.history_count + 1
    assert entry.details == {"from": None, "to": {"userId": "ann", "name": "Ann"}, "actorName": "Una"}


def test_reassigning_and_clearing_record_from_and_to() -> None:
    first = lifecycle.assign_owner(make_lead(), ANN, actor="u", actor_name=None, now=T0)
    assert first is not None
    second = lifecycle.assign_owner(first.lead, BOB, actor="u", actor_name=None, now=T0)
    assert second is not None and second.history.details["from"] == {"userId": "ann", "name": "Ann"}
    cleared = lifecycle.assign_owner(second.lead, None, actor="u", actor_name=None, now=T0)
    assert cleared is not None and cleared.lead.owner is None
    assert cleared.history.details["to"] is None


def test_the_same_owner_again_changes_nothing() -> None:
    first = lifecycle.assign_owner(make_lead(), ANN, actor="u", actor_name=None, now=T0)
    assert first is not None
    assert lifecycle.assign_owner(first.lead, ANN, actor="u", actor_name=None, now=T0) is None
    assert lifecycle.assign_owner(make_lead(), None, actor="u", actor_name=None, now=T0) is None


def test_an_archived_lead_takes_no_owner() -> None:
    with pytest.raises(lifecycle.ChangeRefused, match="archived"):
        lifecycle.assign_owner(make_lead(Stage.ARCHIVED), ANN, actor="u", actor_name=None, now=T0)


def test_a_routed_lead_is_created_with_its_owner_in_the_first_entry() -> None:
    lead = make_lead().model_copy(update={"owner": ANN, "history_count": 0})
    assert lifecycle.created(lead).history.details == {"owner": {"userId": "ann", "name": "Ann"}}
    assert lifecycle.created(make_lead().model_copy(update={"history_count": 0})).history.details == {}


@pytest.mark.parametrize(
    ("body", "owner"),
    [
        ({"userId": "ann", "name": "Ann"}, ANN),
        ({"userId": "ann"}, Owner(user_id="ann")),
        ({"userId": None}, None),
    ],
)
def test_owner_bodies(body: dict[str, Any], owner: Owner | None) -> None:
    parsed = OwnerBody.model_validate(body)
    assert (None if parsed.user_id is None else Owner(user_id=parsed.user_id, name=parsed.name)) == owner


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "userId"),
        ({"userId": ""}, "userId"),
        ({"userId": "   "}, "userId"),
        ({"userId": 7}, "userId"),
        ({"userId": "x" * 129}, "userId"),
        ({"userId": "ann", "name": ""}, "name"),
        ({"userId": "ann", "name": "x" * 201}, "name"),
        ({"userId": "ann", "colour": "red"}, "colour"),
    ],
)
def test_bad_owner_bodies_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        OwnerBody.model_validate(body)
    assert field in {str(error["loc"][0]) for error in raised.value.errors() if error["loc"]}


def test_a_name_without_a_user_is_refused() -> None:
    with pytest.raises(ValidationError, match="name: only allowed with a userId"):
        OwnerBody.model_validate({"userId": None, "name": "Ann"})


def _query(owner: str) -> LeadQuery:
    query, errors = parse_lead_query({"owner": owner, "tab": "qualified"})
    assert errors == []
    return query


@pytest.mark.parametrize(
    ("owner", "caller", "stored_owner", "matches"),
    [
        ("ann", "x", "ann", True),
        ("ann", "x", "bob", False),
        ("ann", "x", None, False),
        ("me", "ann", "ann", True),
        ("ME", "ann", "bob", False),
        ("me", "ann", None, False),
        ("none", "ann", None, True),
        ("None", "ann", "ann", False),
    ],
)
def test_the_owner_filter(owner: str, caller: str, stored_owner: str | None, matches: bool) -> None:
    query = _query(owner).for_caller(caller)
    lead = make_lead()
    assert query.matches(lead, {"Qualification": lead.qualification.value, "Owner": stored_owner}) is matches


def test_a_user_owner_filter_goes_to_storage_and_none_does_not() -> None:
    assert _query("ann").storage_filters(10)["Owner"] == frozenset({"ann"})
    assert _query("me").for_caller("bob").column_filters()["Owner"] == frozenset({"bob"})
    none = _query("none")
    assert none.owner == OWNER_NONE and "Owner" not in none.column_filters()


@pytest.mark.parametrize("raw", ["", "  ", "x" * 129])
def test_a_bad_owner_filter_is_refused(raw: str) -> None:
    _unused, errors = parse_lead_query({"owner": raw})
    assert [error.field for error in errors] == ["owner"]
