"""The list in a real browser: sign-in, tabs and counts, every filter, marks, favorites, export, paging."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from devhost.process import HostProcess
from shared.services.container import Services
from tests.portal.conftest import (
    NewContext,
    api_leads,
    send_marketplace,
    send_referral,
    wait_for_list,
    wait_until_validated,
)
from tests.support.leads import marketplace_lead, referral, unique_partner
from tests.support.principals import principal_header

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def partner(intake: Services, portal_api: httpx.Client) -> dict[str, Any]:
    """One partner: four marketplace leads (spam, informational, overdue among them), two qualified."""
    partner_id = unique_partner("portal")
    send_marketplace(intake, marketplace_lead(partner_id, company="Fabrikam BV", country="NL"))
    send_marketplace(
        intake,
        marketplace_lead(
            partner_id,
            company="Contoso Spam Ltd",
            email="deals@mailinator.com",
            country="DE",
            phone="12",
            source="AzureMarketplace",
            created=NOW - timedelta(days=2),
        ),
    )
    send_marketplace(
        intake,
        marketplace_lead(
            partner_id,
            company="Litware Inc",
            action_code="FreeTrial",
            country="BE",
            source="AzurePortal",
            created=NOW - timedelta(days=3),
        ),
    )
    send_marketplace(
        intake,
        marketplace_lead(partner_id, company="Tailspin Toys", country="NL", created=NOW - timedelta(days=4)),
    )
    send_referral(intake, referral(partner_id, company="Northwind Traders", country="DE"))
    send_referral(
        intake,
        referral(
            partner_id,
            company="Adventure Works",
            country="NL",
            qualification="MarketingQualified",
            requested_contact=False,
            created=NOW - timedelta(days=1),
        ),
    )
    wait_until_validated(portal_api, partner_id, {"marketplace": 4, "qualified": 2})
    return {"id": partner_id}


def companies(page: Page) -> list[str]:
    return page.locator("#lead-table tbody a.lead-link").all_inner_texts()


def test_sign_in_through_the_local_form_comes_back_to_the_page(browser: Any, portal_url: str) -> None:
    partner_id = unique_partner("signin")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{portal_url}/#/leads?tab=qualified")
        expect(page).to_have_url(re.compile(r"/\.auth/login"))
        page.get_by_label("Partner id").fill(partner_id)
        page.get_by_label("User id").fill("first-user")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("tab", name="Qualified leads")).to_have_attribute("aria-selected", "true")
        expect(page.locator(".list-status")).to_have_text("No leads match.")
        assert page.url.endswith("#/leads?tab=qualified")
    finally:
        context.close()


def test_a_count_that_stopped_early_shows_as_a_lower_bound(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()

    def lower_bound(route: Route) -> None:
        # The service's own answer, marked as a count that stopped after its bounded read.
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "exact": False})

    page.route("**/api/leads/count?*", lower_bound)
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("count-marketplace")).to_have_text("4+")
    expect(page.get_by_test_id("count-qualified")).to_have_text("2+")


def test_tabs_show_their_leads_and_counts(new_context: NewContext, portal_url: str, partner: dict) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("count-marketplace")).to_have_text("4")
    expect(page.get_by_test_id("count-qualified")).to_have_text("2")
    expect(page.get_by_test_id("count-favorites")).to_have_text("0")
    wait_for_list(page)
    assert companies(page) == ["Fabrikam BV", "Contoso Spam Ltd", "Litware Inc", "Tailspin Toys"]

    page.get_by_role("tab", name="Qualified leads").click()
    expect(page).to_have_url(re.compile(r"#/leads\?tab=qualified$"))
    expect(page.locator("#lead-table tbody tr")).to_have_count(2)
    assert companies(page) == ["Northwind Traders", "Adventure Works"]

    page.get_by_role("tab", name="Favorites").click()
    expect(page.locator(".list-status")).to_have_text("No leads match.")


def test_marks_flame_overdue_spam_quality_and_validity(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    fresh = page.locator("tr", has_text="Fabrikam BV")
    expect(fresh.get_by_role("img", name="The customer asked to be contacted", exact=True)).to_be_visible()
    expect(fresh.locator("[data-quality=High]")).to_be_visible()
    expect(fresh.locator("[data-validity='email:Unknown']")).to_be_visible()
    expect(fresh.locator("[data-validity='phone:Valid']")).to_be_visible()
    expect(fresh.locator(".flag.spam")).to_have_count(0)

    overdue = page.locator("tr", has_text="Tailspin Toys")
    expect(overdue.get_by_role("img", name="The customer asked to be contacted: overdue")).to_be_visible()
    expect(overdue.locator(".flame.overdue")).to_have_count(1)

    spam = page.locator("tr", has_text="Contoso Spam Ltd")
    expect(spam.locator(".flag.spam")).to_contain_text("Possible spam")
    expect(spam.locator("[data-quality=Low]")).to_be_visible()
    expect(spam.locator("[data-validity='email:Spam']")).to_be_visible()
    expect(spam.locator("[data-validity='phone:Invalid']")).to_be_visible()
    expect(page.locator("tr", has_text="Litware Inc").locator(".status-informational")).to_have_text(
        "Informational"
    )


# filter name -> (URL value, companies expected on the marketplace tab, or on the tab given)
FILTER_CASES: list[tuple[str, str, list[str], str]] = [
    ("callToAction", "FreeTrial", ["Litware Inc"], "marketplace"),
    ("country", "nl,BE", ["Fabrikam BV", "Litware Inc", "Tailspin Toys"], "marketplace"),
    ("customerName", "spam", ["Contoso Spam Ltd"], "marketplace"),
    ("leadSource", "AzureMarketplace,AzurePortal", ["Contoso Spam Ltd", "Litware Inc"], "marketplace"),
    ("leadType", "Profile", ["Northwind Traders", "Adventure Works"], "qualified"),
    ("quality", "Low", ["Contoso Spam Ltd"], "marketplace"),
    ("stage", "Informational", ["Litware Inc"], "marketplace"),
    ("status", "Received", ["Fabrikam BV", "Contoso Spam Ltd", "Tailspin Toys"], "marketplace"),
    ("emailValidity", "Spam", ["Contoso Spam Ltd"], "marketplace"),
    ("phoneValidity", "Invalid", ["Contoso Spam Ltd"], "marketplace"),
]


def test_every_filter_narrows_the_list_and_lives_in_the_url(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    for name, value, expected, tab in FILTER_CASES:
        page.goto(f"{portal_url}/#/leads?tab={tab}&{name}={value}")
        wait_for_list(page)
        expect(page.locator("#lead-table tbody tr")).to_have_count(len(expected))
        assert companies(page) == expected, name
    # The created-date range: the inclusive "until" day is sent as the API's exclusive end.
    two_days_ago = (NOW - timedelta(days=2)).date().isoformat()
    three_days_ago = (NOW - timedelta(days=3)).date().isoformat()
    page.goto(f"{portal_url}/#/leads?createdFrom={three_days_ago}&createdUntil={two_days_ago}")
    wait_for_list(page)
    expect(page.locator("#lead-table tbody tr")).to_have_count(2)
    assert companies(page) == ["Contoso Spam Ltd", "Litware Inc"]


def test_filters_set_in_the_panel_combine_and_update_url_and_counts(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    page.get_by_role("button", name="Filters", exact=True).click()
    panel = page.locator("#filter-panel")
    panel.locator("[data-filter=quality]").get_by_label("High").check()
    expect(page).to_have_url(re.compile(re.escape("quality=High")))
    panel.locator("[data-filter=phoneValidity]").get_by_label("Valid", exact=True).check()
    expect(page).to_have_url(re.compile(re.escape("phoneValidity=Valid")))
    panel.get_by_label("Country").fill("NL")
    panel.get_by_label("Country").press("Enter")
    expect(page).to_have_url(re.compile(re.escape("country=NL")))
    wait_for_list(page)
    expect(page.locator("#lead-table tbody tr")).to_have_count(2)
    assert companies(page) == ["Fabrikam BV", "Tailspin Toys"]
    expect(page.get_by_test_id("count-marketplace")).to_have_text("2")
    expect(page.get_by_test_id("count-qualified")).to_have_text("1")  # Adventure Works (NL)
    # A bookmarked view opens with the same filters ticked.
    bookmarked = page.url
    other = page.context.new_page()
    other.goto(bookmarked)
    expect(other.locator("[data-filter=quality]").get_by_label("High")).to_be_checked()
    expect(other.locator("#lead-table tbody tr")).to_have_count(2)


def test_heart_toggles_the_callers_favorite(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    # A user of its own: favorites are per user, so the other tests' counts stay as they are.
    page = new_context(partner["id"], user_id="fan").new_page()
    page.goto(f"{portal_url}/#/leads?tab=qualified")
    wait_for_list(page)
    heart = page.locator("tr", has_text="Adventure Works").get_by_role("button", name="Add to favorites")
    heart.click()
    expect(
        page.locator("tr", has_text="Adventure Works").get_by_role("button", name="Remove from favorites")
    ).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("count-favorites")).to_have_text("1")
    page.get_by_role("tab", name="Favorites").click()
    expect(page.locator("#lead-table tbody tr")).to_have_count(1)
    assert companies(page) == ["Adventure Works"]
    page.get_by_role("button", name="Remove from favorites").click()
    expect(page.get_by_test_id("count-favorites")).to_have_text("0")
    response = portal_api.get(
        "/api/leads",
        params={"tab": "favorites"},
        headers=principal_header(partner_id=partner["id"], user_id="fan"),
    )
    assert response.json()["value"] == []


def test_export_downloads_exactly_the_filtered_list(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads?status=Received&country=NL,DE")
    wait_for_list(page)
    shown = page.locator("#lead-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.leadId)")
    assert len(shown) == 3
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("leads-") and download.suggested_filename.endswith(".csv")
    text = download.path().read_text(encoding="utf-8-sig")
    exported = [row["LeadId"] for row in csv.DictReader(io.StringIO(text))]
    assert exported == shown


def test_dutch_texts_follow_the_browser_language(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], locale="nl-NL").new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_role("tab", name="Marketplace-leads")).to_be_visible()
    expect(page.get_by_role("tab", name="Gekwalificeerde leads")).to_be_visible()
    expect(page.get_by_role("link", name="Exporteren")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("tr", has_text="Contoso Spam Ltd").locator(".flag.spam")).to_contain_text(
        "Mogelijk spam"
    )
    # Dates in the Dutch way (day before month name), e.g. "27 nov 2026".
    created = page.locator("tr", has_text="Fabrikam BV").locator("time").inner_text()
    assert any(
        month in created
        for month in ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
    )
    # The switch is remembered.
    page.get_by_label("Taal").select_option("en")
    expect(page.get_by_role("tab", name="Qualified leads")).to_be_visible()
    page.reload()
    expect(page.get_by_role("tab", name="Qualified leads")).to_be_visible()


def test_phone_sized_screen_shows_cards(new_context: NewContext, portal_url: str, partner: dict) -> None:
    page = new_context(partner["id"], viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    first_row = page.locator("#lead-table tbody tr").first
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#lead-table tbody tr')).display") == "block"
    )
    box = first_row.bounding_box()
    assert box is not None and box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_search_sort_and_the_qualified_tabs_qualification(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    links = page.locator("#lead-table tbody a.lead-link")
    page.goto(f"{portal_url}/#/leads")
    expect(links).to_have_count(4)

    page.locator("#list-search").fill("TAIL toy")
    page.locator("#list-search").press("Enter")
    expect(links).to_have_text(["Tailspin Toys"])
    assert "q=TAIL+toy" in page.url

    # Time left: the soonest expiry first, the free trial (no expiry) last.
    page.goto(f"{portal_url}/#/leads")
    page.select_option("#list-sort", "expiry")
    expect(links).to_have_text(["Tailspin Toys", "Contoso Spam Ltd", "Fabrikam BV", "Litware Inc"])
    assert "sort=expiry" in page.url
    expect(page.locator('[data-col="colQualification"]')).to_be_hidden()

    page.goto(f"{portal_url}/#/leads?tab=qualified")
    expect(links).to_have_text(["Northwind Traders", "Adventure Works"])
    expect(page.locator('[data-col="colQualification"]')).to_be_visible()
    expect(page.locator(".cell-qualification")).to_have_text(["Sales qualified", "Marketing qualified"])
    page.get_by_role("button", name="Filters", exact=True).click()
    group = page.locator('[data-filter="qualification"]')
    expect(group.locator("label:visible")).to_have_text(["Marketing qualified", "Sales qualified"])
    group.get_by_label("Marketing qualified").check()
    expect(links).to_have_text(["Adventure Works"])
    assert "qualification=MarketingQualified" in page.url


def test_paging_loads_more_as_you_scroll(
    new_context: NewContext, portal_url: str, intake: Services, portal_api: httpx.Client
) -> None:
    partner_id = unique_partner("paging")
    for index in range(60):
        send_marketplace(
            intake,
            marketplace_lead(
                partner_id, company=f"Company {index:02d}", created=NOW - timedelta(minutes=10 + index)
            ),
        )
    wait_until_validated(portal_api, partner_id, {"marketplace": 60})
    page = new_context(partner_id).new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("count-marketplace")).to_have_text("60")
    expect(page.locator("#lead-table tbody tr")).to_have_count(50)
    page.locator(".sentinel").scroll_into_view_if_needed()
    expect(page.locator("#lead-table tbody tr")).to_have_count(60)
    ids = page.locator("#lead-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.leadId)")
    assert ids == [lead["id"] for lead in api_leads(portal_api, partner_id, tab="marketplace")]


def test_host_serves_the_portal_with_its_policy(portal_host: HostProcess, portal_api: httpx.Client) -> None:
    page = portal_api.get("/")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.text and "script-src 'self'" in page.text
    assert "<script>" not in page.text
