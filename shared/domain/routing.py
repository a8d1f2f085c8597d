"""Routing rules (contract §11): which user of the partner a new lifecycle lead goes to.

Rules are ordered; the first whose every condition holds assigns the lead. A condition left
out (or empty) holds for every lead; one with values holds when the lead's value is one of
them. Several users in a rule take turns: the rule's n-th lead goes to user n mod len. The
turn is counted per rule version (`rule_key`, a hash of the rule), so a changed rule starts
its turns again, and only leads arriving after the change are routed by it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from shared.domain.commands import Name, UserId
from shared.domain.countries import alpha2_codes, is_alpha2
from shared.domain.enums import CallToAction, LeadSource, Qualification
from shared.domain.lead import Lead, Owner

MAX_RULES = 50
MAX_USERS_PER_RULE = 20
MAX_VALUES_PER_CONDITION = 100
TURN_ROW_PREFIX = "turn|"


def _country(value: str) -> str:
    if len(value) != 2 or not is_alpha2(value):
        raise ValueError("must be an ISO 3166-1 alpha-2 code such as NL")
    return value.upper()


Country = Annotated[
    StrictStr,
    AfterValidator(_country),
    Field(json_schema_extra={"enum": sorted(alpha2_codes())}),
]
OfferId = Annotated[StrictStr, Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True, defer_build=True)


class RuleConditions(_Body):
    country: list[Country] = Field(default_factory=list, max_length=MAX_VALUES_PER_CONDITION)
    lead_source: list[LeadSource] = Field(
        default_factory=list, alias="leadSource", max_length=MAX_VALUES_PER_CONDITION
    )
    call_to_action: list[CallToAction] = Field(
        default_factory=list, alias="callToAction", max_length=MAX_VALUES_PER_CONDITION
    )
    offer_id: list[OfferId] = Field(
        default_factory=list, alias="offerId", max_length=MAX_VALUES_PER_CONDITION
    )
    qualification: list[Qualification] = Field(default_factory=list, max_length=MAX_VALUES_PER_CONDITION)

    def hold_for(self, lead: Lead) -> bool:
        offer_id = lead.offer.id if lead.offer else None
        country = (lead.customer.country or "").upper()
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.country, country),
                (self.lead_source, lead.lead_source),
                (self.call_to_action, lead.call_to_action),
                (self.offer_id, offer_id),
                (self.qualification, lead.qualification),
            )
        )


class RuleUser(_Body):
    user_id: UserId = Field(alias="userId")
    name: Name | None = None

    def as_owner(self) -> Owner:
        return Owner(user_id=self.user_id, name=self.name)


class RoutingRule(_Body):
    """A user listed twice takes two turns of every round: a rule can weigh its users."""

    when: RuleConditions = Field(default_factory=RuleConditions)
    assign_to: list[RuleUser] = Field(alias="assignTo", min_length=1, max_length=MAX_USERS_PER_RULE)

    def owner_for_turn(self, turn: int) -> Owner:
        return self.assign_to[turn % len(self.assign_to)].as_owner()


class RoutingSettingsBody(_Body):
    """`GET` / `PUT /api/settings/routing`."""

    rules: list[RoutingRule] = Field(max_length=MAX_RULES)


def first_match(rules: list[RoutingRule], lead: Lead) -> RoutingRule | None:
    """The rule that routes a new lead: the first that matches; None for an informational lead."""
    if lead.is_informational:
        return None
    return next((rule for rule in rules if rule.when.hold_for(lead)), None)


def rule_key(rule: RoutingRule) -> str:
    """The row key of the rule's turn counter: the rule's content, hashed (a changed rule counts anew)."""
    content = json.dumps(rule.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))
    return TURN_ROW_PREFIX + hashlib.sha256(content.encode()).hexdigest()[:32]


def users_of(rules: list[RoutingRule]) -> list[Owner]:
    """Every user the rules name, each once, in order of appearance."""
    seen: dict[str, Owner] = {}
    for rule in rules:
        for user in rule.assign_to:
            seen.setdefault(user.user_id, user.as_owner())
    return list(seen.values())
