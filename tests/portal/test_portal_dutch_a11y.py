"""Every page and dialog of the portal, walked in Dutch and in English: no English in the Dutch
portal (catalog texts, the API's messages, the browser's), axe-core finds no serious or critical
violation in either language, and the README's screenshots (Dutch) come from the same walk."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from shared.services.container import Services
from tests.conftest import REPO_ROOT
from tests.portal.conftest import SCREENSHOTS, NewContext, send_marketplace, validated_lead_ids
from tests.portal.test_portal_api_drift import portal
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header

NOW = datetime.now(UTC)
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The API's and the browser's own English, and machine names (`role_address`), which must never
# reach the page.
FOREIGN_ENGLISH = re.compile(
    r"Field required|Failed to fetch|must be|is not valid|Input should|not a valid|HTTP \d{3}|"
    r"The request|Something went wrong|Not Found|Bad Request|\b[a-z]+(_[a-z]+)+\b",
)


@pytest.fixture(scope="module")
def partner(intake: Services, portal_api: httpx.Client) -> dict[str, Any]:
    partner_id = unique_partner("nl")
    companies = {
        "Vlam BV": {"phone": "+31 20 794 0000"},
        "Spam BV": {"email": "deals@mailinator.com"},
        "Rol BV": {"email": "info@rolbv.nl"},
        "Getekend BV": {},
    }
    for index, (company, fields) in enumerate(companies.items()):
        lead = marketplace_lead(
            partner_id, company=company, created=NOW - timedelta(minutes=5 + index), **fields
        )
        send_marketplace(intake, lead)

    ids = validated_lead_ids(portal_api, partner_id, len(companies))
    headers = principal_header(partner_id=partner_id)
    accept = {
        "dealName": "Uitrol",
        "estimatedValue": 12000,
        "currency": "EUR",
        "estimatedCloseDate": "2027-03-31",
        "notes": "Demo gepland.",
        "team": [{"name": "Jan Jansen", "email": "jan@partner.example", "phone": "+31612345678"}],
    }
    portal_api.post(
        f"/api/leads/{ids['Getekend BV']}/accept", json=accept, headers=headers
    ).raise_for_status()
    recipients = {"recipients": [{"email": "leads@partner.example", "name": "Leadbalie"}]}
    portal_api.put("/api/settings/notifications", json=recipients, headers=headers).raise_for_status()
    return {"id": partner_id, "leads": ids}


Visit = Callable[[Page, str], None]


def open_dialog(page: Page, button_index: int) -> None:
    page.locator(".actions button").nth(button_index).click()
    expect(page.locator("dialog[open]")).to_be_visible()


def close_dialog(page: Page) -> None:
    page.keyboard.press("Escape")
    expect(page.locator("dialog[open]")).to_have_count(0)


def walk(page: Page, portal_url: str, partner: dict, visit: Visit) -> None:
    """Every page and dialog, each handed to `visit` once it is on screen."""
    page.goto(f"{portal_url}/#/leads")
    expect(page.locator(".list-status")).not_to_have_text(re.compile("…$"))
    expect(page.get_by_test_id("count-marketplace")).to_have_text("4")
    visit(page, "list")
    page.locator("[aria-controls=filter-panel]").click()
    visit(page, "list-filters")

    page.goto(f"{portal_url}/#/leads/{partner['leads']['Vlam BV']}")
    expect(page.locator(".history li").first).to_be_visible()
    visit(page, "lead")
    open_dialog(page, 0)
    visit(page, "dialog-accept")
    page.locator("dialog[open] button[type=submit]").click()
    expect(page.locator("dialog[open] .field-error:visible").first).to_be_visible()
    visit(page, "dialog-accept-errors")
    close_dialog(page)
    open_dialog(page, 1)
    visit(page, "dialog-decline")
    close_dialog(page)

    page.goto(f"{portal_url}/#/leads/{partner['leads']['Getekend BV']}")
    expect(page.get_by_test_id("deal")).to_be_visible()
    visit(page, "lead-accepted")
    for index, name in enumerate(("dialog-deal", "dialog-team", "dialog-won", "dialog-lost")):
        open_dialog(page, index)
        visit(page, name)
        close_dialog(page)

    page.goto(f"{portal_url}/#/leads/{partner['leads']['Spam BV']}")
    expect(page.locator(".badges .flag.spam")).to_be_visible()
    visit(page, "lead-spam")
    page.goto(f"{portal_url}/#/leads/{partner['leads']['Rol BV']}")
    expect(page.get_by_role("heading", name="Rol BV", level=1)).to_be_visible()
    visit(page, "lead-role-address")

    page.goto(f"{portal_url}/#/leads")
    page.reload()  # the filter panel closed again
    expect(page.locator("#filter-panel")).to_be_hidden()
    page.locator("#action-bell").click()
    expect(page.locator("dialog.action-center li").first).to_be_visible()
    visit(page, "action-center")
    close_dialog(page)

    page.goto(f"{portal_url}/#/settings")
    expect(page.locator(".recipients input").first).to_be_visible()
    visit(page, "settings")


def english_only_texts() -> list[str]:
    """The English catalog's texts that differ in Dutch (the same word in both is no leak)."""
    messages = portal()["messages"]
    return sorted(
        {text for key, text in messages["en"].items() if text != messages["nl"][key] and "{" not in text}
    )


# Visible text nodes and the names, titles and placeholders of visible elements: each is cut at the
# portal's separators, and a piece that is an English-only catalog text, or any text holding a
# phrase of several English words from the catalog or the API's English, is reported.
FIND_ENGLISH = r"""
([english, foreign]) => {
  const exact = new Set(english);
  const phrases = english.filter((text) => text.includes(" ") && text.length >= 10);
  const foreignPattern = new RegExp(foreign);
  const seen = [];
  const visible = (element) =>
    element && element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
  const check = (text, where) => {
    const whole = text.replace(/\s+/g, " ").trim();
    if (!whole) return;
    const pieces = whole.split(/\s*[:·()—–,;|→*]\s*/).map((piece) => piece.trim()).filter(Boolean);
    const english = pieces.some((piece) => exact.has(piece)) || exact.has(whole)
      || phrases.some((phrase) => whole.includes(phrase)) || foreignPattern.test(whole);
    if (english) {
      seen.push(`${where}: ${whole}`);
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (visible(parent) && !parent.closest("script, style, datalist")) {
      check(node.textContent, parent.tagName);
    }
  }
  for (const element of document.querySelectorAll("[aria-label], [title], [placeholder]")) {
    if (!visible(element) && !element.closest("svg")) continue;
    for (const name of ["aria-label", "title", "placeholder"]) {
      if (element.hasAttribute(name)) check(element.getAttribute(name), `${element.tagName}@${name}`);
    }
  }
  check(document.title, "title");
  return seen;
}
"""


def english_on(page: Page) -> list[str]:
    return page.evaluate(FIND_ENGLISH, [english_only_texts(), FOREIGN_ENGLISH.pattern])


SCREENSHOT_OF = {
    "list": "list.png",
    "lead": "lead.png",
    "action-center": "action-center.png",
    "dialog-accept": "dialog.png",
}


def test_the_dutch_portal_shows_no_english_anywhere(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], locale="nl-NL").new_page()
    found: dict[str, list[str]] = {}

    def visit(page: Page, name: str) -> None:
        if name in SCREENSHOT_OF:
            page.screenshot(path=str(SCREENSHOTS / SCREENSHOT_OF[name]))
        english = english_on(page)
        if english:
            found[name] = english

    walk(page, portal_url, partner, visit)
    assert found == {}


def test_errors_are_worded_from_the_dutch_catalog_by_their_code(
    new_context: NewContext, portal_url: str, partner: dict
) -> None:
    page = new_context(partner["id"], locale="nl-NL").new_page()
    refusal = {
        "error": {
            "code": "BadRequest",
            "message": "The request is not valid.",
            "details": [
                {"field": "dealName", "code": "required", "message": "Field required"},
                {"field": "estimatedValue", "code": "out_of_range", "message": "must be >= 0"},
                {"field": "team.0.email", "code": "invalid", "message": "not an email"},
                {"field": "mystery", "code": "something_new", "message": "who knows"},
            ],
        }
    }

    def refuse(route: Route) -> None:
        route.fulfill(status=400, content_type="application/json", body=json.dumps(refusal))

    page.route("**/accept", refuse)
    page.goto(f"{portal_url}/#/leads/{partner['leads']['Vlam BV']}")
    open_dialog(page, 0)
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name="Lid toevoegen").click()
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator("[data-field=dealName] .field-error")).to_have_text("Dit veld is verplicht.")
    expect(dialog.locator("[data-field=estimatedValue] .field-error")).to_have_text(
        "Deze waarde valt buiten het toegestane bereik."
    )
    expect(dialog.locator("[data-field='team.0.email'] .field-error")).to_have_text(
        "Deze waarde is ongeldig."
    )
    expect(dialog.locator(".dialog-message")).to_have_text(
        "Verbeter de gemarkeerde velden. Een veld: Deze waarde is niet geaccepteerd."
    )
    assert english_on(page) == []
    close_dialog(page)

    # No connection: the browser's "Failed to fetch" becomes the catalog's network error.
    page.route(re.compile(r"/api/leads\?"), lambda route: route.abort())
    page.goto(f"{portal_url}/#/leads?tab=qualified")
    expect(page.locator(".list-status")).to_have_text(
        "De server is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw."
    )
    assert english_on(page) == []


def test_a_user_without_a_role_reads_dutch(new_context: NewContext, portal_url: str, partner: dict) -> None:
    page = new_context(partner["id"], user_id="nobody", roles=(), locale="nl-NL").new_page()
    page.goto(f"{portal_url}/#/leads")
    expect(page.get_by_test_id("no-role")).to_contain_text("U bent aangemeld als Sam Sales")
    assert english_on(page) == []


AXE_RUN = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}
"""


@pytest.mark.parametrize("locale", ["nl-NL", "en-US"])
def test_axe_finds_no_serious_or_critical_violation(
    new_context: NewContext, portal_url: str, partner: dict, locale: str
) -> None:
    assert AXE_SCRIPT.is_file(), "axe-core is missing: run make bootstrap"
    script = AXE_SCRIPT.read_text(encoding="utf-8")
    page = new_context(partner["id"], locale=locale, bypass_csp=True).new_page()
    found: dict[str, list[str]] = {}

    def visit(page: Page, name: str) -> None:
        if not page.evaluate("typeof window.axe === 'object'"):
            page.add_script_tag(content=script)
        violations = page.evaluate(AXE_RUN)
        if violations:
            found[name] = violations

    walk(page, portal_url, partner, visit)
    assert found == {}
