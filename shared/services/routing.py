"""Routing rules and owners' whereabouts (contract §11): who a new lead goes to, and how to reach them."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from shared.adapters.lead_repository import Turn
from shared.domain import lifecycle
from shared.domain.lead import Lead, Owner
from shared.domain.principal import Principal
from shared.domain.routing import RoutingRule, RoutingSettingsBody, first_match, rule_key, users_of
from shared.services.container import Services

# Claims are bounded by the header's size, but a name or address longer than this is no one's.
_MAX_CLAIM = 254


def rules(services: Services, partner_id: str) -> list[RoutingRule]:
    return RoutingSettingsBody.model_validate({"rules": services.routing.rules(partner_id)}).rules


def get(services: Services, partner_id: str) -> dict[str, Any]:
    return {"rules": services.routing.rules(partner_id)}


def replace(services: Services, partner_id: str, body: RoutingSettingsBody) -> dict[str, Any]:
    stored = body.model_dump(mode="json", by_alias=True)
    services.routing.replace_rules(partner_id, stored["rules"])
    return stored


def route(services: Services, lead: Lead) -> Turn | None:
    """The turn that gives a new lifecycle lead its owner by the first matching rule; None when
    no rule matches (or the partner has none)."""
    if lead.is_informational:
        return None
    rule = first_match(rules(services, lead.partner_id), lead)
    if rule is None:
        return None
    return Turn(
        rule_key(rule),
        lambda taken: lifecycle.created(lead.model_copy(update={"owner": rule.owner_for_turn(taken)})),
    )


def note_caller(services: Services, principal: Principal) -> None:
    """Remember who uses the API: the portal offers them as owners, and their email reaches them."""
    name = principal.name[:_MAX_CLAIM] if principal.name else None
    email = principal.email[:_MAX_CLAIM] if principal.email else None
    services.routing.note_user(principal.partner_id, principal.user_id, name, email, services.clock())


def people(services: Services, partner_id: str) -> list[dict[str, Any]]:
    """Whom a lead can be given to: users seen lately, then the routing rules' other users."""
    found: dict[str, dict[str, Any]] = {}
    for user in services.routing.seen_users(partner_id):
        found.setdefault(user["userId"], {"userId": user["userId"], "name": user.get("name")})
    for owner in users_of(rules(services, partner_id)):
        found.setdefault(owner.user_id, {"userId": owner.user_id, "name": owner.name})
    return list(found.values())


def _address(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def owner_email(services: Services, partner_id: str, owner: Owner) -> str | None:
    """Where an owner's email goes: the address their sign-in carried (seen users), else the
    user id itself when it is an address (a sign-in name); None when neither is known."""
    for user in services.routing.seen_users(partner_id):
        if user.get("userId") == owner.user_id and (address := _address(user.get("email"))):
            return address
    return _address(owner.user_id)
