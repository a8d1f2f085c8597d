"""A lead's page in a real browser: fields, copy buttons, history, every action by stage, the
If-Match conflict between two browsers, expired leads, the action center and notification settings."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Route, expect

from shared.services.container import Services
from shared.services.intake import MARKETPLACE, REFERRAL, ingest
from tests.conftest import wait_for
from tests.portal.conftest import NewContext, api_leads, open_lead, send_marketplace, send_referral
from tests.support.leads import marketplace_lead, referral, unique_partner
from tests.support.principals import principal_header

NOW = datetime.now(UTC)
COMPANIES = ["Accept Co", "Decline Co", "Conflict Co", "Deal Co"]


@pytest.fixture(scope="module")
def partner(intake: Services, portal_api: httpx.Client) -> dict[str, Any]:
    partner_id = unique_partner("lead")
    for index, company in enumerate(COMPANIES):
        send_marketplace(
            intake, marketplace_lead(partner_id, company=company, created=NOW - timedelta(minutes=5 + index))
        )
    send_referral(intake, referral(partner_id, company="Expiring Co", created=NOW - timedelta(days=15)))

    def ready() -> dict[str, str] | None:
        leads = api_leads(portal_api, partner_id, tab="marketplace") + api_leads(
            portal_api, partner_id, tab="qualified"
        )
        if len(leads) != 5 or not all(lead["validatedDateTime"] for lead in leads):
            return None
        return {lead["customer"]["company"]: lead["id"] for lead in leads}

    ids = wait_for(ready, timeout=30)
    return {"id": partner_id, "leads": ids}


def api_lead(client: httpx.Client, partner_id: str, lead_id: str) -> dict[str, Any]:
    response = client.get(f"/api/leads/{lead_id}", headers=principal_header(partner_id=partner_id))
    response.raise_for_status()
    return response.json()


def test_lead_page_shows_every_field_and_copies_contact_details(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    context = new_context(partner["id"])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal_url)
    page = context.new_page()
    # From the list, as a user would.
    page.goto(f"{portal_url}/#/leads")
    page.get_by_role("link", name="Decline Co").click()
    expect(page).to_have_url(f"{portal_url}/#/leads/{partner['leads']['Decline Co']}")
    expect(page.get_by_role("heading", name="Decline Co", level=1)).to_be_visible()
    for text in (
        "Eva de Vries",
        "eva@fabrikam.nl",
        "+31 20 794 0000",
        "CIO",
        "Netherlands (NL)",
        "Contoso CRM",
    ):
        expect(page.locator(".detail-grid")).to_contain_text(text)
    expect(page.locator(".history li[data-action=LeadCreated]")).to_have_count(1)
    expect(page.locator(".history li[data-action=ContactValidated]")).to_have_count(1)
    page.get_by_test_id("copy-email").click()
    assert page.evaluate("navigator.clipboard.readText()") == "eva@fabrikam.nl"
    page.get_by_test_id("copy-phone").click()
    assert page.evaluate("navigator.clipboard.readText()") == "+31207940000"
    expect(page.locator("#toast")).to_contain_text("Copied")


def test_accept_shows_field_errors_then_accepts_then_deal_team_and_won(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    lead_id = partner["leads"]["Accept Co"]
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, lead_id)
    page.get_by_role("button", name="Accept", exact=True).click()
    dialog = page.get_by_role("dialog", name="Accept lead")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Deal name").fill("Accept Co rollout")
    dialog.get_by_label("Estimated value").fill("25000")
    dialog.get_by_label("Currency").select_option("EUR")
    dialog.get_by_label("Estimated close date").fill("2027-03-31")
    dialog.get_by_role("button", name="Add member").click()
    dialog.locator("[data-field='team.0.name'] input").fill("Jan Jansen")
    dialog.locator("[data-field='team.0.email'] input").fill("not-an-email")
    dialog.get_by_role("button", name="Accept").click()
    # The API's 400 details, next to their fields; the dialog stays open with the typed values.
    notes_error = dialog.locator("[data-field=notes] .field-error")
    expect(notes_error).to_be_visible()
    expect(dialog.get_by_label("Notes")).to_have_attribute("aria-invalid", "true")
    # Worded by the portal from the detail's code, not the API's English message.
    expect(dialog.locator("[data-field='team.0.email'] .field-error")).to_have_text(
        re.compile(r"^This value ")
    )
    expect(dialog.get_by_label("Deal name")).to_have_value("Accept Co rollout")
    assert api_lead(portal_api, partner["id"], lead_id)["status"] == "Received"

    dialog.get_by_label("Notes").fill("Demo booked for next week.")
    dialog.locator("[data-field='team.0.email'] input").fill("jan@partner.example")
    dialog.get_by_role("button", name="Accept").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".badges .status-accepted")).to_have_text("Accepted")
    deal = page.get_by_test_id("deal")
    expect(deal).to_contain_text("Accept Co rollout")
    expect(deal).to_contain_text("€25,000.00")
    expect(page.locator(".team")).to_contain_text("Jan Jansen")

    # Edit the deal: only the changed field is sent.
    page.get_by_role("button", name="Edit deal").click()
    edit = page.get_by_role("dialog", name="Edit deal")
    expect(edit.get_by_label("Deal name")).to_have_value("Accept Co rollout")
    edit.get_by_label("Estimated value").fill("30000")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    expect(deal).to_contain_text("€30,000.00")

    page.get_by_role("button", name="Add team member").click()
    team = page.get_by_role("dialog", name="Add team member")
    team.get_by_label("Name").fill("Pieter Post")
    team.get_by_label("Email").fill("pieter@partner.example")
    team.get_by_role("button", name="Add team member").click()
    expect(team).to_be_hidden()
    expect(page.locator(".team")).to_contain_text("Pieter Post")

    page.get_by_role("button", name="Mark won").click()
    won = page.get_by_role("dialog", name="Mark as won")
    won.get_by_label("Notes").fill("Signed.")
    won.get_by_role("button", name="Mark won").click()
    expect(won).to_be_hidden()
    expect(page.locator(".badges .status-won")).to_have_text("Won")
    expect(page.locator(".actions")).to_contain_text("archived and read-only")
    expect(page.get_by_role("button", name="Mark won")).to_have_count(0)
    actions = page.locator(".history > li").evaluate_all("items => items.map(i => i.dataset.action)")
    assert actions[-4:] == ["LeadAccepted", "DealUpdated", "TeamMemberAdded", "LeadWon"]
    stored = api_lead(portal_api, partner["id"], lead_id)
    assert stored["deal"]["value"] == 30000 and stored["status"] == "Won"
    assert [member["name"] for member in stored["team"]] == ["Jan Jansen", "Pieter Post"]


def test_decline_with_a_reason_and_notes(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    lead_id = partner["leads"]["Decline Co"]
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, lead_id)
    page.get_by_role("button", name="Decline").click()
    dialog = page.get_by_role("dialog", name="Decline lead")
    dialog.get_by_label("Reason").select_option("Other")
    dialog.get_by_role("button", name="Decline").click()
    expect(dialog.locator("[data-field=notes] .field-error")).to_have_text(re.compile(r"^This "))
    dialog.get_by_label("Notes").fill("Reseller, not an end customer.")
    dialog.get_by_role("button", name="Decline").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".badges .status-declined")).to_have_text("Declined")
    expect(page.locator(".detail-grid")).to_contain_text("Reseller, not an end customer.")
    expect(page.get_by_role("button", name="Accept", exact=True)).to_have_count(0)
    stored = api_lead(portal_api, partner["id"], lead_id)
    assert (stored["status"], stored["statusReason"]) == ("Declined", "Other")


def test_conflict_between_two_browsers_keeps_what_was_typed(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    lead_id = partner["leads"]["Conflict Co"]
    first = new_context(partner["id"], user_id="first").new_page()
    second = new_context(partner["id"], user_id="second").new_page()
    dialogs = []
    for name, page in (("first", first), ("second", second)):
        open_lead(page, portal_url, lead_id)
        page.get_by_role("button", name="Accept", exact=True).click()
        dialog = page.get_by_role("dialog", name="Accept lead")
        dialog.get_by_label("Deal name").fill(f"Deal of {name}")
        dialog.get_by_label("Estimated value").fill("1000")
        dialog.get_by_label("Estimated close date").fill("2027-01-15")
        dialog.get_by_label("Notes").fill("Typed with care.")
        dialogs.append(dialog)
    dialogs[0].get_by_role("button", name="Accept").click()
    expect(dialogs[0]).to_be_hidden()
    dialogs[1].get_by_role("button", name="Accept").click()
    # It says what happened: the colleague (by name) got there first; nothing was changed.
    expect(dialogs[1].locator(".dialog-message")).to_have_text(
        re.compile(r"already changed this lead: it is now Accepted\. Nothing was changed\.$")
    )
    expect(dialogs[1].get_by_role("button", name="Accept")).to_be_disabled()
    # The page behind was reloaded (the lead is now Accepted); the dialog kept every value.
    expect(second.locator(".badges .status-accepted")).to_have_text("Accepted")
    expect(dialogs[1].get_by_label("Deal name")).to_have_value("Deal of second")
    expect(dialogs[1].get_by_label("Notes")).to_have_value("Typed with care.")
    expect(dialogs[1].get_by_label("Estimated close date")).to_have_value("2027-01-15")
    assert api_lead(portal_api, partner["id"], lead_id)["deal"]["name"] == "Deal of first"


def test_expired_lead_is_read_only_without_contact_details(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    lead_id = partner["leads"]["Expiring Co"]
    assert portal_api.post("/admin/functions/expire_leads", json={"input": ""}).status_code == 202
    wait_for(lambda: api_lead(portal_api, partner["id"], lead_id)["status"] == "Expired", timeout=20)
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, lead_id)
    expect(page.get_by_test_id("contact-removed")).to_be_visible()
    expect(page.locator(".badges .status-expired")).to_have_text("Expired")
    details = page.locator(".detail-grid").inner_text()
    assert "Jonas" not in details and "jonas@northwind.de" not in details and "+49" not in details
    expect(page.get_by_test_id("copy-email")).to_have_count(0)
    expect(page.get_by_role("button", name="Accept", exact=True)).to_have_count(0)
    expect(page.locator(".actions")).to_contain_text("read-only")


def test_action_center_lists_the_api_items_with_links(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    expected = portal_api.get("/api/actions", headers=principal_header(partner_id=partner["id"])).json()
    assert expected["value"]
    page = new_context(partner["id"]).new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("action-count")).to_have_text(str(sum(expected["summary"].values())))
    page.locator("#action-bell").click()
    center = page.get_by_role("dialog", name="Action center")
    expect(center.locator(".action-list li")).to_have_count(len(expected["value"]))
    first = expected["value"][0]
    center.get_by_role("link", name=first["customerName"]).first.click()
    expect(center).to_be_hidden()
    expect(page).to_have_url(f"{portal_url}/#/leads/{first['leadId']}")
    # Esc closes the dialog and focus returns to the page.
    page.locator("#action-bell").click()
    expect(page.get_by_role("dialog", name="Action center")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Action center")).to_have_count(0)


@pytest.fixture(scope="module")
def busy_partner(intake: Services) -> str:
    """A partner with more to do than one page of the action center shows: 22 fresh requests
    for contact and one overdue, stored the way intake stores them."""
    partner_id = unique_partner("busy")
    bodies = [
        (
            marketplace_lead(partner_id, company=f"Open {n:02d}", created=NOW - timedelta(hours=1 + n)),
            MARKETPLACE,
        )
        for n in range(22)
    ]
    bodies.append((referral(partner_id, company="Overdue Co", created=NOW - timedelta(hours=80)), REFERRAL))
    for body, mapper in bodies:
        ingest(intake, json.dumps(body), mapper)
    return partner_id


def test_the_bell_counts_every_item_shows_no_number_while_loading_and_pages_with_more(
    new_context: NewContext, portal_url: str, busy_partner: str
) -> None:
    page = new_context(busy_partner).new_page()
    held: list[Route] = []
    holding = [True]

    def hold(route: Route) -> None:
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/actions?*", hold)
    page.goto(f"{portal_url}/#/leads")
    badge = page.get_by_test_id("action-count")
    wait_for(lambda: held or page.wait_for_timeout(100), timeout=15)
    expect(badge).to_be_hidden()
    assert badge.text_content() != "0"
    holding[0] = False
    for route in held:
        route.continue_()
    expect(badge).to_have_text("23")
    expect(page.locator("#action-bell")).to_have_attribute("aria-label", "Action center: 23 items")

    page.locator("#action-bell").click()
    center = page.get_by_role("dialog", name="Action center")
    items = center.locator(".action-list li")
    expect(items).to_have_count(20)
    expect(items.first).to_have_attribute("data-kind", "ContactOverdue")
    expect(center.get_by_test_id("action-summary")).to_contain_text("Contact request overdue 1")
    expect(center.get_by_test_id("action-summary")).to_contain_text("Customer asked for contact 22")
    center.get_by_role("button", name="Show more").click()
    expect(items).to_have_count(23)
    expect(center.get_by_role("button", name="Show more")).to_be_hidden()
    companies = items.locator("a").all_text_contents()
    assert len(set(companies)) == 23


def test_action_items_are_worded_in_dutch(
    new_context: NewContext, portal_url: str, busy_partner: str
) -> None:
    page = new_context(busy_partner, locale="nl-NL").new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("action-count")).to_have_text("23")
    page.locator("#action-bell").click()
    center = page.get_by_role("dialog", name="Actiecentrum")
    first = center.locator(".action-list li").first
    expect(first).to_contain_text("Contactverzoek te laat")
    expect(first).to_contain_text("Overdue Co vroeg om contact en wacht nog steeds")
    expect(center.locator(".action-list li").nth(1)).to_contain_text("Klant wil contact")
    assert "asked" not in center.inner_text()


def test_notification_settings_editable_by_referrals_admin_only(
    new_context: NewContext, portal_url: str, partner: dict, portal_api: httpx.Client
) -> None:
    admin = new_context(partner["id"]).new_page()
    admin.goto(f"{portal_url}/#/settings")
    admin.get_by_role("button", name="Add recipient").click()
    admin.get_by_label("Email 1").fill("leads@partner.example")
    admin.get_by_label("Name 1").fill("Lead desk")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".dialog-message")).to_have_text("Saved")
    stored = portal_api.get("/api/settings/notifications", headers=principal_header(partner_id=partner["id"]))
    assert [(r["email"], r["name"]) for r in stored.json()["recipients"]] == [
        ("leads@partner.example", "Lead desk")
    ]

    reader = new_context(partner["id"], user_id="profile", roles=("BusinessProfileAdmin",)).new_page()
    reader.goto(f"{portal_url}/#/settings")
    expect(reader.get_by_test_id("settings-read-only")).to_be_visible()
    expect(reader.locator(".recipients")).to_contain_text("leads@partner.example")
    expect(reader.get_by_role("button", name="Save")).to_have_count(0)
