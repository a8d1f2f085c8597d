"""Owners in a real browser, in English and Dutch: the owner picker, "My leads", the owner column,
the related-leads panel and the list's marker, and the routing rules editor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from shared.services.container import Services
from tests.conftest import wait_for
from tests.portal.conftest import NewContext, api_leads, send_marketplace
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner
from tests.support.principals import principal_header

NOW = datetime.now(UTC)
TEXTS = {
    "en": {"unassigned": "Unassigned", "my": "My leads", "related": "Related leads", "assign": "Assign"},
    "nl": {
        "unassigned": "Niet toegewezen",
        "my": "Mijn leads",
        "related": "Verwante leads",
        "assign": "Toewijzen",
    },
}


@pytest.fixture
def partner(intake: Services, portal_api: httpx.Client) -> dict[str, Any]:
    """Three leads: two of one customer (same email), and a stranger."""
    partner_id = unique_partner("own")
    customer = distinct_customer()
    send_marketplace(intake, marketplace_lead(partner_id, created=NOW - timedelta(minutes=9), **customer))
    send_marketplace(
        intake,
        marketplace_lead(
            partner_id, created=NOW - timedelta(minutes=8), **(customer | {"company": "Second Visit"})
        ),
    )
    send_marketplace(
        intake,
        marketplace_lead(
            partner_id, created=NOW - timedelta(minutes=7), **(distinct_customer() | {"company": "Stranger"})
        ),
    )

    def ready() -> dict[str, str] | None:
        leads = api_leads(portal_api, partner_id)
        if len(leads) != 3 or not all(lead["validatedDateTime"] for lead in leads):
            return None
        return {lead["customer"]["company"]: lead["id"] for lead in leads}

    ids = wait_for(ready, timeout=60)
    return {"id": partner_id, "leads": ids, "first": customer["company"]}


def row(page: Page, lead_id: str) -> Any:
    return page.locator(f'tr[data-lead-id="{lead_id}"]')


@pytest.mark.parametrize("language", ["en", "nl"])
def test_assigning_an_owner_my_leads_and_related_leads(
    new_context: NewContext, portal_url: str, portal_api: httpx.Client, partner: dict[str, Any], language: str
) -> None:
    texts = TEXTS[language]
    page = new_context(
        partner["id"], user_id="user-1", locale="nl-NL" if language == "nl" else "en-US"
    ).new_page()
    page.goto(f"{portal_url}/#/leads")
    leads = partner["leads"]
    first, second, stranger = leads[partner["first"]], leads["Second Visit"], leads["Stranger"]

    # The list: nobody owns anything yet; the two leads of one customer are marked.
    expect(row(page, first).locator('[data-testid="owner-cell"]')).to_have_text(texts["unassigned"])
    expect(row(page, first).locator('[data-testid="related-marker"]')).to_have_count(1)
    expect(row(page, second).locator('[data-testid="related-marker"]')).to_have_count(1)
    expect(row(page, stranger).locator('[data-testid="related-marker"]')).to_have_count(0)

    # The lead page: the related panel lists the other lead; the picker offers the signed-in user.
    row(page, first).locator("a.lead-link").click()
    panel = page.locator('[data-testid="related-leads"]')
    expect(panel.locator("h2")).to_have_text(texts["related"])
    expect(panel.locator("li")).to_have_count(1)
    expect(panel.locator(f'li[data-lead-id="{second}"] a')).to_have_text("Second Visit")
    picker = page.locator("#owner-picker")
    expect(picker.locator('option[value="user-1"]')).to_have_count(1)
    picker.select_option("user-1")
    page.locator("#owner-save").click()
    expect(page.locator('[data-testid="owner-name"]')).to_have_text("Sam Sales")
    answer = portal_api.get(f"/api/leads/{first}", headers=principal_header(partner_id=partner["id"])).json()
    assert answer["owner"] == {"userId": "user-1", "name": "Sam Sales"}

    # The second lead's related panel shows the first with its owner.
    page.goto(f"{portal_url}/#/leads/{second}")
    expect(page.locator('[data-testid="related-owner"]')).to_have_text("Sam Sales")

    # "My leads": one click shows only the caller's leads; another shows them all again.
    page.goto(f"{portal_url}/#/leads")
    expect(row(page, stranger)).to_have_count(1)
    my_leads = page.locator("#my-leads")
    expect(my_leads).to_have_text(texts["my"])
    my_leads.click()
    expect(page).to_have_url(f"{portal_url}/#/leads?owner=me")
    expect(row(page, stranger)).to_have_count(0)
    expect(row(page, first).locator('[data-testid="owner-cell"]')).to_have_text("Sam Sales")
    expect(page.locator("#lead-table tbody tr")).to_have_count(1)
    page.locator("#my-leads").click()
    expect(row(page, stranger)).to_have_count(1)

    # Unassign again from the lead page.
    page.goto(f"{portal_url}/#/leads/{first}")
    page.locator("#owner-picker").select_option("")
    page.locator("#owner-save").click()
    expect(page.locator('[data-testid="owner-name"]')).to_have_text(texts["unassigned"])


def test_routing_rules_are_edited_in_the_settings(
    new_context: NewContext, portal_url: str, portal_api: httpx.Client
) -> None:
    partner_id = unique_partner("rules")
    page = new_context(partner_id).new_page()
    page.goto(f"{portal_url}/#/settings")
    rules = page.locator('[data-testid="routing-rules"]')
    expect(rules.locator('[data-testid="no-rules"]')).to_be_visible()
    page.locator("#add-rule").click()
    rule = rules.locator("li.rule").first
    rule.locator('[data-part="country"]').fill("nl, be")
    rule.locator('[data-part="assignTo"]').fill("ann=Ann, bob")
    page.locator("#save-rules").click()
    expect(rules.locator(".routing-message.success")).to_be_visible()
    stored = portal_api.get("/api/settings/routing", headers=principal_header(partner_id=partner_id)).json()
    assert stored["rules"][0]["when"]["country"] == ["NL", "BE"]
    assert stored["rules"][0]["assignTo"] == [
        {"userId": "ann", "name": "Ann"},
        {"userId": "bob", "name": None},
    ]

    # A bad value is refused with the field named.
    rule.locator('[data-part="country"]').fill("Netherlands")
    page.locator("#save-rules").click()
    expect(rules.locator(".routing-message.error")).to_contain_text("country")
