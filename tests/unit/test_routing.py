"""Routing rules: validation of the settings body, the first matching rule, turns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.domain.enums import CallToAction, LeadSource, LeadType, Qualification, Stage, Status
from shared.domain.lead import Customer, Lead, Offer, Owner
from shared.domain.routing import (
    MAX_RULES,
    MAX_USERS_PER_RULE,
    RoutingSettingsBody,
    first_match,
    rule_key,
    users_of,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def lead(**fields: Any) -> Lead:
    values: dict[str, Any] = {
        "id": "1" * 13 + "a" * 10,
        "partner_id": "contoso",
        "lead_type": LeadType.OFFER,
        "qualification": Qualification.DIRECT,
        "lead_source": LeadSource.APPSOURCE,
        "call_to_action": CallToAction.CONTACT_ME,
        "offer": Offer(id="contoso-crm", title="CRM"),
        "customer": Customer(company="Fabrikam", country="NL"),
        "stage": Stage.RECEIVED,
        "status": Status.RECEIVED,
        "created_date_time": NOW,
        "updated_date_time": NOW,
        **fields,
    }
    return Lead(**values)


def rules(*specs: tuple[dict[str, Any], list[str]]) -> RoutingSettingsBody:
    return RoutingSettingsBody.model_validate(
        {
            "rules": [
                {"when": when, "assignTo": [{"userId": u, "name": u.title()} for u in users]}
                for when, users in specs
            ]
        }
    )


@pytest.mark.parametrize(
    ("when", "subject", "matches"),
    [
        ({}, lead(), True),
        ({"country": ["NL"]}, lead(), True),
        ({"country": ["nl"]}, lead(), True),
        ({"country": ["DE", "BE"]}, lead(), False),
        ({"country": ["NL"]}, lead(customer=Customer(company="F", country=None)), False),
        ({"leadSource": ["AppSource"]}, lead(), True),
        ({"leadSource": ["AzureMarketplace"]}, lead(), False),
        ({"callToAction": ["ContactMe"]}, lead(), True),
        ({"callToAction": ["FreeTrial"]}, lead(), False),
        ({"offerId": ["contoso-crm"]}, lead(), True),
        ({"offerId": ["other"]}, lead(), False),
        ({"offerId": ["contoso-crm"]}, lead(offer=None), False),
        ({"qualification": ["Direct"]}, lead(), True),
        ({"qualification": ["SalesQualified"]}, lead(), False),
        ({"country": ["NL"], "leadSource": ["AppSource"], "offerId": ["contoso-crm"]}, lead(), True),
        ({"country": ["NL"], "leadSource": ["AzurePortal"]}, lead(), False),
        ({"country": [], "offerId": []}, lead(), True),
    ],
)
def test_a_rule_matches_when_every_condition_it_states_holds(
    when: dict[str, Any], subject: Lead, matches: bool
) -> None:
    body = rules((when, ["ann"]))
    assert (first_match(body.rules, subject) is not None) is matches


def test_the_first_matching_rule_wins() -> None:
    body = rules(({"country": ["DE"]}, ["de"]), ({"country": ["NL"]}, ["nl"]), ({}, ["anyone"]))
    assert first_match(body.rules, lead()) is body.rules[1]
    assert first_match(body.rules, lead(customer=Customer(company="F", country="FR"))) is body.rules[2]


def test_no_rules_or_no_match_routes_nothing() -> None:
    assert first_match([], lead()) is None
    assert first_match(rules(({"country": ["DE"]}, ["de"])).rules, lead()) is None


def test_informational_leads_are_not_routed() -> None:
    informational = lead(call_to_action=CallToAction.FREE_TRIAL, stage=Stage.INFORMATIONAL, status=None)
    assert first_match(rules(({}, ["ann"])).rules, informational) is None


def test_users_take_turns_in_order() -> None:
    (rule,) = rules(({}, ["ann", "bob", "cy"])).rules
    assert [rule.owner_for_turn(turn).user_id for turn in range(7)] == [
        "ann", "bob", "cy", "ann", "bob", "cy", "ann",
    ]  # fmt: skip
    assert rule.owner_for_turn(1) == Owner(user_id="bob", name="Bob")


def test_a_changed_rule_counts_its_turns_anew() -> None:
    (before,) = rules(({"country": ["NL"]}, ["ann", "bob"])).rules
    (same,) = rules(({"country": ["NL"]}, ["ann", "bob"])).rules
    (changed,) = rules(({"country": ["NL"]}, ["ann", "bob", "cy"])).rules
    assert rule_key(before) == rule_key(same)
    assert rule_key(before) != rule_key(changed)
    assert rule_key(before).startswith("turn|")


def test_a_user_listed_twice_takes_two_turns() -> None:
    (rule,) = rules(({}, ["ann", "ann", "bob"])).rules
    assert [rule.owner_for_turn(turn).user_id for turn in range(6)] == ["ann", "ann", "bob"] * 2


def test_users_of_the_rules_each_once() -> None:
    body = rules(({}, ["ann", "bob"]), ({}, ["bob", "cy"]))
    assert [user.user_id for user in users_of(body.rules)] == ["ann", "bob", "cy"]


def _error_fields(body: Any) -> set[str]:
    with pytest.raises(ValidationError) as raised:
        RoutingSettingsBody.model_validate(body)
    return {".".join(str(part) for part in error["loc"]) for error in raised.value.errors()}


def _rule(**overrides: Any) -> dict[str, Any]:
    return {"when": {}, "assignTo": [{"userId": "ann", "name": "Ann"}], **overrides}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "rules"),
        ({"rules": [_rule(assignTo=[])]}, "rules.0.assignTo"),
        ({"rules": [_rule(assignTo=[{"name": "Ann"}])]}, "rules.0.assignTo.0.userId"),
        ({"rules": [_rule(assignTo=[{"userId": " "}])]}, "rules.0.assignTo.0.userId"),
        ({"rules": [_rule(assignTo=[{"userId": "x" * 129}])]}, "rules.0.assignTo.0.userId"),
        ({"rules": [_rule(when={"country": ["Netherlands"]})]}, "rules.0.when.country.0"),
        ({"rules": [_rule(when={"leadSource": ["Myspace"]})]}, "rules.0.when.leadSource.0"),
        ({"rules": [_rule(when={"callToAction": ["Call"]})]}, "rules.0.when.callToAction.0"),
        ({"rules": [_rule(when={"qualification": ["Hot"]})]}, "rules.0.when.qualification.0"),
        ({"rules": [_rule(when={"offerId": [""]})]}, "rules.0.when.offerId.0"),
        ({"rules": [_rule(when={"colour": ["red"]})]}, "rules.0.when.colour"),
        (
            {"rules": [_rule(assignTo=[{"userId": str(n)} for n in range(MAX_USERS_PER_RULE + 1)])]},
            "rules.0.assignTo",
        ),
        ({"rules": [_rule()] * (MAX_RULES + 1)}, "rules"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(body: Any, field: str) -> None:
    assert field in _error_fields(body)


def test_the_stored_form_is_what_was_sent_with_defaults_filled_in() -> None:
    body = RoutingSettingsBody.model_validate({"rules": [_rule(when={"country": ["nl"]})]})
    assert body.model_dump(mode="json", by_alias=True) == {
        "rules": [
            {
                "when": {
                    "country": ["NL"],
                    "leadSource": [],
                    "callToAction": [],
                    "offerId": [],
                    "qualification": [],
                },
                "assignTo": [{"userId": "ann", "name": "Ann"}],
            }
        ]
    }
