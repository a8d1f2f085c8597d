"""A signed-out user opens the lead link of a notification email, signs in, and lands on that lead.

The same walk as in Azure (App Service Authentication), with the local host's sign-in: the portal
asks `/.auth/me`, gets 401, sends the browser to `/.auth/login/aad` with the page (the lead's hash
included) as `post_login_redirect_uri`, and the sign-in brings it back there.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.services.container import Services
from tests.conftest import wait_for
from tests.integration.test_notifications import read_outbox
from tests.portal.conftest import UI_TIMEOUT_MS, api_leads, send_marketplace
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header

COMPANY = "Walkthrough BV"
# Where `make run` serves the portal, and where the Function App serves it in Azure.
PORTAL_PATHS = {"make run": "/", "as deployed": "/api/portal/"}


@pytest.fixture(scope="module")
def emailed_lead(intake: Services, portal_api: httpx.Client, outbox_dir: Path) -> dict[str, str]:
    """A new lead, and the link to it from the NewLead email its partner's admin got."""
    partner_id = unique_partner("walk")
    recipients = {"recipients": [{"email": "desk@partner.example", "name": "Desk"}]}
    stored = portal_api.put(
        "/api/settings/notifications", json=recipients, headers=principal_header(partner_id=partner_id)
    )
    assert stored.status_code == 200, stored.text
    send_marketplace(intake, marketplace_lead(partner_id, company=COMPANY))
    (lead,) = wait_for(lambda: api_leads(portal_api, partner_id), timeout=30)
    (mail,) = wait_for(
        lambda: [mail for mail in read_outbox(outbox_dir, {lead["id"]}) if mail.kind == "NewLead"], timeout=30
    )
    links = re.findall(r"https?://\S+", mail.text)
    (link,) = [link for link in links if lead["id"] in link]
    return {"partner_id": partner_id, "lead_id": lead["id"], "link": link}


def sign_in_on_the_form(page: Page, partner_id: str) -> None:
    page.get_by_label("User id").fill("walk-user")
    page.get_by_label("Display name").fill("Walk User")
    page.get_by_label("Partner id").fill(partner_id)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("portal_path", PORTAL_PATHS.values(), ids=PORTAL_PATHS.keys())
def test_a_signed_out_lead_link_signs_in_and_lands_on_the_lead(
    browser: Browser, portal_url: str, emailed_lead: dict[str, str], portal_path: str
) -> None:
    # The email's link, on the test host: its page and hash are what matter.
    link = urlsplit(emailed_lead["link"])
    assert (link.path or "/", link.fragment) == ("/", f"/leads/{emailed_lead['lead_id']}")
    lead_page = f"{portal_path}#{link.fragment}"
    context = browser.new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{portal_url}{lead_page}")

        expect(page).to_have_url(re.compile(r"/\.auth/login/aad\?"))
        assert parse_qs(urlsplit(page.url).query)["post_login_redirect_uri"] == [lead_page]
        sign_in_on_the_form(page, emailed_lead["partner_id"])

        expect(page).to_have_url(f"{portal_url}{lead_page}")
        expect(page.get_by_role("heading", name=COMPANY, level=1)).to_be_visible()
        expect(page.locator(".detail-grid")).to_contain_text("eva@fabrikam.nl")
        expect(page.locator("#banner")).to_be_hidden()

        # Signed out while on the page (the session ended): the next API call's 401 sends the
        # browser to sign in again, and back to where it was going.
        context.clear_cookies()
        page.evaluate("location.hash = '#/leads?tab=qualified'")
        expect(page).to_have_url(re.compile(r"/\.auth/login/aad\?"))
        assert parse_qs(urlsplit(page.url).query)["post_login_redirect_uri"] == [
            f"{portal_path}#/leads?tab=qualified"
        ]
        sign_in_on_the_form(page, emailed_lead["partner_id"])
        expect(page.get_by_role("tab", name="Qualified leads")).to_have_attribute("aria-selected", "true")
    finally:
        context.close()
