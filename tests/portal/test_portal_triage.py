"""The portal as a sales team's triage tool: each defect found in use, driven in real Chromium.

Honest warnings, conflicts that say what the colleague did, a skip link that stays put, local-day
date filters, a country chosen by name, errors that name their field, "Back to the list" that keeps
its place, a page for users without a role, closed leads without an expiry, readable phone numbers,
touch targets, headings, tab names, contrast, plurals and page titles."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Download, Page, Route, expect

from shared.services.container import Services
from tests.portal.conftest import NewContext, open_lead, send_marketplace, validated_lead_ids, wait_for_list
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header

NOW = datetime.now(UTC)
# Created at 03:00 UTC yesterday: in Los Angeles that is the evening of the day before.
NIGHT = datetime.combine(NOW.date() - timedelta(days=1), time(3), tzinfo=UTC)
LEADS: dict[str, dict[str, Any]] = {
    "Flame Co": {"phone": "+33 1 42 68 53 00", "country": "FR"},
    "Role Co": {"email": "info@rolefirm.nl"},
    "Typo Co": {"email": "eva@@typo.nl"},
    "Spam Co": {"email": "deals@mailinator.com"},
    "Test Co": {"email": "msft_test@testco.nl"},
    "Race Co": {},
    "Deal Race Co": {},
    "Won Co": {},
    "Night Co": {"created": NIGHT},
}
ACCEPT = {
    "dealName": "Rollout",
    "estimatedValue": 1000,
    "currency": "EUR",
    "estimatedCloseDate": "2027-03-31",
    "notes": "Demo booked.",
}


@pytest.fixture(scope="module")
def partner(intake: Services, portal_api: httpx.Client) -> dict[str, Any]:
    partner_id = unique_partner("triage")
    for index, (company, fields) in enumerate(LEADS.items()):
        fields = {"created": NOW - timedelta(minutes=5 + index), **fields}
        send_marketplace(intake, marketplace_lead(partner_id, company=company, **fields))

    ids = validated_lead_ids(portal_api, partner_id, len(LEADS))
    headers = principal_header(partner_id=partner_id, user_id="colleague", name="Chris Colleague")
    for company in ("Deal Race Co", "Won Co"):
        portal_api.post(f"/api/leads/{ids[company]}/accept", json=ACCEPT, headers=headers).raise_for_status()
    close = {"outcome": "Won", "finalValue": 1500}
    portal_api.post(f"/api/leads/{ids['Won Co']}/close", json=close, headers=headers).raise_for_status()
    return {"id": partner_id, "leads": ids, "headers": headers}


def row(page: Page, company: str) -> Any:
    return page.locator("#lead-table tbody tr", has_text=company)


def test_possible_spam_only_for_spam_and_test_signals(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    for company in ("Spam Co", "Test Co"):
        expect(row(page, company).locator(".flag.spam")).to_have_text("Possible spam")
    # A role address and a mistyped address are not spam, and say what they are.
    expect(row(page, "Role Co").locator(".flag.spam")).to_have_count(0)
    expect(row(page, "Role Co").locator(".flag.role-address")).to_have_text("Role address, not a person")
    expect(row(page, "Typo Co").locator(".flag.spam")).to_have_count(0)
    expect(row(page, "Typo Co").locator(".flag.invalid-contact")).to_have_text("Invalid email address")
    expect(
        row(page, "Flame Co").locator(".flag.spam, .flag.role-address, .flag.invalid-contact")
    ).to_have_count(0)

    open_lead(page, portal_url, partner["leads"]["Role Co"])
    expect(page.locator(".badges .flag.spam")).to_have_count(0)
    flags = page.locator("dt", has_text="Spam flags").locator("xpath=following-sibling::dd[1]")
    expect(flags).to_have_text("Role address such as info@ or sales@")
    assert "role_address" not in page.locator("main").inner_text()


def test_a_conflict_on_decline_says_the_colleague_already_declined(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    lead_id = partner["leads"]["Race Co"]
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, lead_id)
    page.get_by_role("button", name="Decline").click()
    dialog = page.get_by_role("dialog", name="Decline lead")
    dialog.get_by_label("Reason").select_option("NotACustomer")
    body = {"reason": "Spam"}
    portal_api.post(f"/api/leads/{lead_id}/decline", json=body, headers=partner["headers"]).raise_for_status()
    dialog.get_by_role("button", name="Decline").click()
    expect(dialog.locator(".dialog-message")).to_have_text(
        re.compile(r"already declined this lead \(Spam\)\. Nothing was changed\.$")
    )
    expect(dialog.get_by_role("button", name="Decline")).to_be_disabled()
    expect(page.locator(".badges .status-declined")).to_have_text("Declined")


def test_a_conflict_on_a_deal_edit_shows_the_colleagues_value_and_history_shows_the_change(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    lead_id = partner["leads"]["Deal Race Co"]
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, lead_id)
    page.get_by_role("button", name="Edit deal").click()
    edit = page.get_by_role("dialog", name="Edit deal")
    expect(edit.get_by_label("Estimated value")).to_have_value("1000")
    edit.get_by_label("Notes").fill("Call on Monday.")
    changed = {"estimatedValue": 2500}
    portal_api.patch(
        f"/api/leads/{lead_id}/deal", json=changed, headers=partner["headers"]
    ).raise_for_status()
    edit.get_by_role("button", name="Save").click()
    expect(edit.locator(".dialog-message")).to_contain_text(
        "changed this deal in the meantime (Estimated value)"
    )
    expect(edit.get_by_label("Estimated value")).to_have_value("2500")
    expect(edit.get_by_label("Notes")).to_have_value("Call on Monday.")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    stored = portal_api.get(f"/api/leads/{lead_id}", headers=partner["headers"]).json()["deal"]
    assert (stored["value"], stored["notes"]) == (2500, "Call on Monday.")

    # History: before and after of each deal edit, names rather than user ids, no non-transitions.
    history = page.locator(".history")
    value_changes = history.locator("li[data-action=DealUpdated] li[data-field=estimatedValue]")
    expect(value_changes.first).to_have_text("Estimated value: 1,000 → 2,500")
    expect(history.locator("li[data-action=DealUpdated] li[data-field=notes]")).to_have_text(
        "Notes: Demo booked. → Call on Monday."
    )
    text = history.inner_text()
    assert "By: colleague" not in text and "By: user-1" not in text  # user ids, never shown
    assert not re.search(r"\((\w+) → \1\)", text), text


def test_skip_link_focuses_the_main_content_and_stays_on_the_page(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    lead_url = f"{portal_url}/#/leads/{partner['leads']['Flame Co']}"
    open_lead(page, portal_url, partner["leads"]["Flame Co"])
    skip = page.get_by_role("link", name="Skip to content")
    skip.focus()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert page.url == lead_url
    expect(page.get_by_role("heading", name="Flame Co", level=1)).to_be_visible()


def test_date_filters_are_the_users_local_days(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], timezone_id="America/Los_Angeles").new_page()
    local_day = (NIGHT - timedelta(hours=8)).date().isoformat()
    page.goto(f"{portal_url}/#/leads?createdFrom={local_day}&createdUntil={local_day}")
    wait_for_list(page)
    expect(page.locator("#lead-table tbody tr")).to_have_count(1)
    expect(row(page, "Night Co")).to_be_visible()


def test_country_is_a_choice_of_names_and_a_wrong_one_cannot_be_entered(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    page.get_by_role("button", name="Filters", exact=True).click()
    country = page.get_by_label("Country")
    options = page.locator("#filter-country-list option")
    assert options.count() > 200
    assert "France" in options.evaluate_all("options => options.map(o => o.value)")
    country.fill("Atlantis")
    country.press("Enter")
    expect(page.locator(".country-field .field-error")).to_have_text("Choose a country from the list.")
    expect(country).to_have_attribute("aria-invalid", "true")
    assert "country=" not in page.url
    country.fill("France")
    country.press("Enter")
    expect(page).to_have_url(re.compile(r"country=FR$"))
    wait_for_list(page)
    expect(page.locator("#lead-table tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("country-chips")).to_contain_text("France")
    # A hand-edited link with a code that is not two letters is dropped, not sent to the API.
    page.goto(f"{portal_url}/#/leads?country=XYZ")
    wait_for_list(page)
    expect(page.locator("#lead-table tbody tr")).to_have_count(len(LEADS))


def test_a_400_names_its_field_and_export_never_saves_an_error(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    refusal = {
        "error": {
            "code": "BadRequest",
            "message": "The query is not valid.",
            "details": [{"field": "country", "code": "invalid", "message": "must be two letters"}],
        }
    }

    def refuse(route: Route) -> None:
        route.fulfill(status=400, content_type="application/json", body=json.dumps(refusal))

    page.route(re.compile(r"/api/leads(/export)?\?.*country=NL"), refuse)
    downloads: list[Download] = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(f"{portal_url}/#/leads?country=NL")
    expect(page.locator(".list-status")).to_have_text("Country: This value is not valid.")
    page.get_by_role("link", name="Export").click()
    expect(page.locator(".list-status")).to_have_text("Country: This value is not valid.")
    page.wait_for_timeout(500)
    assert downloads == []


def test_back_to_the_list_keeps_the_loaded_rows_and_the_scroll_position(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], viewport={"width": 390, "height": 500}).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    expect(page.locator("#lead-table tbody tr")).to_have_count(len(LEADS))
    target = row(page, "Night Co")
    target.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 200
    list_requests: list[str] = []
    page.on(
        "request", lambda request: list_requests.append(request.url) if "/api/leads?" in request.url else None
    )
    target.get_by_role("link", name="Night Co").click()
    expect(page.get_by_role("heading", name="Night Co", level=1)).to_be_visible()
    page.get_by_role("link", name="Back to the list").click()
    expect(page.locator("#lead-table tbody tr")).to_have_count(len(LEADS))
    page.wait_for_function("y => Math.abs(window.scrollY - y) < 5", arg=scrolled)
    assert list_requests == []


def test_a_user_without_a_role_is_told_why_instead_of_filters_and_counts(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], user_id="nobody", roles=(), name="Nora Nobody").new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("no-role")).to_contain_text("You are signed in as Nora Nobody")
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to leads yet")
    expect(page.get_by_role("button", name="Filters")).to_have_count(0)
    expect(page.get_by_role("link", name="Export")).to_have_count(0)
    expect(page.get_by_role("tab")).to_have_count(0)
    assert "?" not in page.locator("main").inner_text()


def test_accepted_and_won_leads_show_no_expiry_and_won_shows_the_final_value(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, partner["leads"]["Won Co"])
    expect(page.locator("dt", has_text="Expires")).to_have_count(0)
    deal = page.get_by_test_id("deal")
    expect(deal.locator("dt", has_text="Final value")).to_have_count(1)
    expect(deal.locator("dt", has_text="Estimated value")).to_have_count(0)
    expect(deal).to_contain_text("€1,500.00")
    open_lead(page, portal_url, partner["leads"]["Deal Race Co"])
    expect(page.get_by_role("heading", name="Deal Race Co", level=1)).to_be_visible()
    expect(page.locator("dt", has_text="Expires")).to_have_count(0)
    open_lead(page, portal_url, partner["leads"]["Flame Co"])
    expect(page.locator("dt", has_text="Expires")).to_have_count(1)


def test_phone_is_grouped_for_reading_and_links_and_copies_keep_e164(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    context = new_context(partner["id"])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal_url)
    page = context.new_page()
    open_lead(page, portal_url, partner["leads"]["Flame Co"])
    link = page.locator(".copyable a[href^='tel:']")
    expect(link).to_have_text("+33 1 42 68 53 00")
    expect(link).to_have_attribute("href", "tel:+33142685300")
    page.get_by_role("button", name="Copy phone number").click()
    assert page.evaluate("navigator.clipboard.readText()") == "+33142685300"
    page.get_by_role("button", name="Copy email address").click()
    assert page.evaluate("navigator.clipboard.readText()") == "eva@fabrikam.nl"


def test_touch_targets_are_44_px_at_phone_width(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    sizes = page.locator("#lead-table .heart, #lead-table .lead-link").evaluate_all(
        "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert len(sizes) == 2 * len(LEADS)
    assert all(width >= 44 and height >= 44 for width, height in sizes), sizes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_heading_tab_names_plurals_and_page_titles(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    expect(page.get_by_test_id("count-marketplace")).to_have_text(str(len(LEADS)))
    for tab in page.get_by_role("tab").all():
        text = " ".join(tab.inner_text().split())
        expect(page.get_by_role("tab", name=text, exact=True)).to_have_count(1)
    expect(page).to_have_title("Marketplace leads — Partner leads")
    page.goto(f"{portal_url}/#/leads?country=FR")
    expect(page.locator(".list-status")).to_have_text("1 lead shown")
    page.goto(f"{portal_url}/#/leads/{partner['leads']['Flame Co']}")
    expect(page).to_have_title("Flame Co — Partner leads")
    page.goto(f"{portal_url}/#/settings")
    expect(page).to_have_title("Notification settings — Partner leads")


CONTRAST = """
(element) => {
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = (rgb) => { const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).map(Number);
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
  let node = element, background = null;
  while (node && !background) {
    const color = getComputedStyle(node).backgroundColor;
    if (color && !/rgba\\(.*, 0\\)$/.test(color) && color !== "transparent") background = color;
    node = node.parentElement;
  }
  const [a, b] = [luminance(getComputedStyle(element).color), luminance(background || "rgb(255,255,255)")];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


def test_flame_badges_have_enough_contrast_also_on_a_hovered_row(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    wait_for_list(page)
    flame_row = row(page, "Flame Co")
    flame_row.hover()
    assert flame_row.locator(".flag.flame").evaluate(CONTRAST) >= 4.5
    open_lead(page, portal_url, partner["leads"]["Flame Co"])
    assert page.locator(".badges .flag.flame").evaluate(CONTRAST) >= 4.5
