"""Owners, routing and related leads on real Azurite, through intake as the queue runs it."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from shared.domain.customer_keys import customer_keys
from shared.domain.enums import HistoryAction, Role
from shared.domain.lead import Owner
from shared.domain.principal import Principal
from shared.domain.routing import RoutingSettingsBody, rule_key
from shared.services import intake, leads, related, routing
from shared.services.container import Services
from tests.conftest import Clock
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner
from tests.support.queues import HeldQueues


@pytest.fixture
def services(services: Services) -> Services:
    """In-process services whose pipeline messages stay here: the session's host would validate
    the test's leads while the test changes them."""
    services.queues = HeldQueues()
    return services


def stranger(partner: str, **extra: Any) -> dict[str, Any]:
    """A lead of a customer no other lead shares (its own email, phone, company and domain)."""
    return marketplace_lead(partner, **(distinct_customer() | extra))


def set_rules(services: Services, partner: str, rules: list[dict[str, Any]]) -> None:
    routing.replace(services, partner, RoutingSettingsBody.model_validate({"rules": rules}))


def rule(users: list[str], **when: list[str]) -> dict[str, Any]:
    return {"when": when, "assignTo": [{"userId": user, "name": user.title()} for user in users]}


def ingest(services: Services, body: dict[str, Any]) -> str:
    return intake.ingest(services, json.dumps(body), intake.MARKETPLACE).lead_id


def owner_of(services: Services, partner: str, lead_id: str) -> Owner | None:
    stored = services.leads.get(partner, lead_id)
    assert stored is not None
    return stored.lead.owner


def caller(partner: str, user_id: str = "u-1") -> Principal:
    return Principal(user_id, partner, frozenset({Role.REFERRALS_ADMIN}), "u1@partner.example", "Una")


# --- routing -------------------------------------------------------------------------------


def test_racing_intake_takes_exact_turns(services: Services) -> None:
    partner = unique_partner()
    users = ["ann", "bob", "cy"]
    set_rules(services, partner, [rule(users)])
    bodies = [stranger(partner) for _ in range(24)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        lead_ids = list(pool.map(lambda body: ingest(services, body), bodies))

    owners = [owner_of(services, partner, lead_id) for lead_id in lead_ids]
    assert len(set(lead_ids)) == 24 and all(owner is not None for owner in owners)
    assert Counter(owner.user_id for owner in owners if owner) == {"ann": 8, "bob": 8, "cy": 8}
    (stored_rule,) = routing.rules(services, partner)
    assert services.leads.turn_count(partner, rule_key(stored_rule)) == 24

    # Every message delivered again (racing too): no lead changes owner, no turn is taken.
    with ThreadPoolExecutor(max_workers=6) as pool:
        again = list(pool.map(lambda body: ingest(services, body), bodies))
    assert again == lead_ids
    assert [owner_of(services, partner, lead_id) for lead_id in lead_ids] == owners
    assert services.leads.turn_count(partner, rule_key(stored_rule)) == 24


def test_the_first_matching_rule_routes_and_no_match_leaves_no_owner(services: Services) -> None:
    partner = unique_partner()
    set_rules(services, partner, [rule(["de-desk"], country=["DE"]), rule(["nl-desk"], country=["NL"])])
    dutch = ingest(services, stranger(partner, country="NL"))
    french = ingest(services, stranger(partner, country="FR"))
    trial = ingest(services, stranger(partner, action_code="INS"))  # DownloadNow: informational

    assert owner_of(services, partner, dutch) == Owner(user_id="nl-desk", name="Nl-Desk")
    assert owner_of(services, partner, french) is None
    assert owner_of(services, partner, trial) is None
    history = services.leads.history(partner, dutch)
    assert history[0].action is HistoryAction.LEAD_CREATED
    assert history[0].details == {"owner": {"userId": "nl-desk", "name": "Nl-Desk"}}


def test_a_rule_change_routes_only_leads_that_arrive_afterwards(services: Services) -> None:
    partner = unique_partner()
    assert ingest(services, stranger(partner)) and routing.rules(services, partner) == []
    set_rules(services, partner, [rule(["ann"])])
    before = ingest(services, stranger(partner))
    set_rules(services, partner, [rule(["bob", "cy"])])
    after = [ingest(services, stranger(partner)) for _ in range(2)]

    assert owner_of(services, partner, before) == Owner(user_id="ann", name="Ann")
    assert [owner_of(services, partner, lead_id).user_id for lead_id in after] == ["bob", "cy"]  # type: ignore[union-attr]


# --- owners by hand -----------------------------------------------------------------------


def test_assigning_an_owner_is_stored_with_history_and_found_by_the_list_filter(services: Services) -> None:
    partner = unique_partner()
    lead_ids = [ingest(services, stranger(partner)) for _ in range(3)]
    una = caller(partner, "una")
    view = leads.assign_owner(services, una, lead_ids[0], Owner(user_id="una", name="Una"), if_match=None)
    assert view.body["owner"] == {"userId": "una", "name": "Una"}
    leads.assign_owner(services, una, lead_ids[1], Owner(user_id="bob"), if_match=None)

    history = services.leads.history(partner, lead_ids[0])
    assert history[-1].action is HistoryAction.OWNER_ASSIGNED and history[-1].actor == "una"
    assert history[-1].details["actorName"] == "Una"

    from shared.domain.lead_query import ListRequest, ReadOrder, ReadPlan, parse_lead_query

    def listed(owner: str) -> list[str]:
        query, errors = parse_lead_query({"owner": owner})
        assert not errors
        return [
            body["id"]
            for body in leads.list_leads(
                services, una, ListRequest(query, 50, ReadPlan(ReadOrder.CREATED))
            ).leads
        ]

    assert listed("me") == [lead_ids[0]]
    assert listed("bob") == [lead_ids[1]]
    assert listed("none") == [lead_ids[2]]

    leads.assign_owner(services, una, lead_ids[0], None, if_match=None)
    assert owner_of(services, partner, lead_ids[0]) is None
    assert sorted(listed("none")) == sorted([lead_ids[0], lead_ids[2]])


# --- related leads ------------------------------------------------------------------------


def test_related_leads_are_found_by_email_phone_or_company_and_domain(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner()
    tag = uuid.uuid4().hex[:8]
    base = {"company": f"Fabrikam {tag} BV", "email": f"eva@fab{tag}.nl", "phone": "+31 20 794 0000"}
    first = ingest(services, marketplace_lead(partner, **base))
    clock.advance(minutes=1)
    same_email = ingest(
        services,
        marketplace_lead(partner, company="Other", email=base["email"].upper(), phone="+49 30 901820"),
    )
    clock.advance(minutes=1)
    same_phone = ingest(
        services,
        marketplace_lead(partner, company="Other 2", email="x@elsewhere.example", phone="020-794 0000"),
    )
    clock.advance(minutes=1)
    same_company = ingest(
        services,
        marketplace_lead(
            partner, company=f"FABRIKAM {tag} B.V.", email=f"jan@fab{tag}.nl", phone="+44 20 7946 0000"
        ),
    )
    unrelated = ingest(services, stranger(partner))

    una = caller(partner)
    found = [body["id"] for body in leads.related_leads(services, una, first)]
    assert set(found) == {same_email, same_phone, same_company}
    assert found == sorted(found)  # newest first: lead ids sort newest first
    assert [body["id"] for body in leads.related_leads(services, una, same_email)] == [first]
    assert leads.related_leads(services, una, unrelated) == []

    # Another partner's lead of the same customer is never related.
    other = unique_partner()
    ingest(services, marketplace_lead(other, **base))
    assert set(body["id"] for body in leads.related_leads(services, una, first)) == {
        same_email,
        same_phone,
        same_company,
    }

    # The list marks leads with related leads.
    from shared.domain.lead_query import LeadQuery, ListRequest, ReadOrder, ReadPlan

    page = leads.list_leads(services, una, ListRequest(LeadQuery(), 50, ReadPlan(ReadOrder.CREATED))).leads
    marked = {body["id"]: body["hasRelatedLeads"] for body in page}
    assert marked == {first: True, same_email: True, same_phone: True, same_company: True, unrelated: False}


def test_a_customers_next_lead_within_seven_days_gets_the_first_leads_owner(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner()
    set_rules(services, partner, [rule(["ann", "bob"])])
    customer = stranger(partner)
    first = ingest(services, customer)
    clock.advance(days=2)
    second = ingest(services, stranger(partner) | {"UserDetails": customer["UserDetails"]})
    assert (
        owner_of(services, partner, first)
        == owner_of(services, partner, second)
        == Owner(user_id="ann", name="Ann")
    )
    (stored_rule,) = routing.rules(services, partner)
    assert services.leads.turn_count(partner, rule_key(stored_rule)) == 1  # the second took no turn

    clock.advance(days=8)
    third = ingest(services, stranger(partner) | {"UserDetails": customer["UserDetails"]})
    assert owner_of(services, partner, third) == Owner(user_id="bob", name="Bob")  # routed again


def test_keys_of_an_expired_lead_are_gone_with_its_contact_details(services: Services) -> None:
    partner = unique_partner()
    body = stranger(partner)
    lead_id = ingest(services, body)
    stored = services.leads.get(partner, lead_id)
    assert stored is not None
    keys = customer_keys(stored.lead)
    assert len(keys) == 3
    from shared.domain import lifecycle

    services.leads.save(
        lifecycle.expire(stored.lead, now=stored.lead.created_date_time + timedelta(days=15)), stored
    )
    for key in keys:
        assert services.leads.indexed_lead_ids(partner, f"cust|{key}|", 10) == []
    assert related.with_related(services, partner, [stored.lead]) == set()
