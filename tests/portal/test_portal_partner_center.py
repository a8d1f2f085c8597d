"""A Partner Center lead's page: where it came from, its sync state (synced, pending, failed with
the reason) and the link to its referral in Partner Center, in English and Dutch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared.domain import lifecycle
from shared.domain.enums import SyncState
from shared.domain.intake_mapping import map_referral
from shared.domain.lead import PartnerCenterLink
from shared.domain.lead_ids import new_lead_id
from shared.services.container import Services
from tests.portal.conftest import SCREENSHOTS, NewContext
from tests.support.leads import referral, unique_partner

NOW = datetime.now(UTC)
REFUSAL = "400: details.dealValue must not be negative"
LINKS = {
    "Synced Co": PartnerCenterLink(
        referral_id="ref-synced-1", sync_state=SyncState.SYNCED, synced_date_time=NOW - timedelta(minutes=3)
    ),
    "Pending Co": PartnerCenterLink(referral_id="ref-pending-1", sync_state=SyncState.PENDING),
    "Failed Co": PartnerCenterLink(
        referral_id="ref-failed-1", sync_state=SyncState.FAILED, sync_error=REFUSAL
    ),
}


@pytest.fixture(scope="module")
def partner(intake: Services) -> dict[str, Any]:
    """Leads pulled from Partner Center, one per sync state, and one from the marketplace's queue."""
    partner_id = unique_partner("pcp")
    ids: dict[str, str] = {}
    for index, (company, link) in enumerate([*LINKS.items(), ("Queue Co", None)]):
        new = map_referral(referral(partner_id, company=company, created=NOW - timedelta(minutes=10 + index)))
        lead = new.to_lead(new_lead_id(new.created_date_time or NOW), now=NOW, expiry_days=14)
        lead = lead.model_copy(update={"partner_center": link})
        intake.leads.create(lifecycle.created(lead), new.idempotency_key)
        ids[company] = lead.id
    return {"id": partner_id, "leads": ids}


def open_lead(page: Page, portal_url: str, lead_id: str) -> None:
    page.goto(f"{portal_url}/#/leads/{lead_id}")
    expect(page.locator(".actions")).to_be_visible()


def test_a_synced_lead_shows_its_origin_state_and_link(
    new_context: NewContext, portal_url: str, partner: dict[str, Any]
) -> None:
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, partner["leads"]["Synced Co"])
    card = page.get_by_test_id("partner-center")
    expect(card.get_by_role("heading", name="Partner Center")).to_be_visible()
    expect(card).to_contain_text("A referral in Partner Center")
    expect(card.get_by_test_id("pc-sync-state")).to_have_text("Synced")
    expect(card).to_contain_text("Last synced")
    link = card.get_by_test_id("pc-link")
    expect(link).to_have_attribute(
        "href", "https://partner.microsoft.com/dashboard/referrals/v2/leads/ref-synced-1"
    )
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(card.get_by_test_id("pc-sync-error")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "partner-center-lead.png"), full_page=True)


def test_a_pending_lead_says_it_waits_to_be_sent(
    new_context: NewContext, portal_url: str, partner: dict[str, Any]
) -> None:
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, partner["leads"]["Pending Co"])
    card = page.get_by_test_id("partner-center")
    expect(card.get_by_test_id("pc-sync-state")).to_have_text("Waiting to be sent")
    expect(card).not_to_contain_text("Last synced")


def test_a_failed_lead_shows_partner_centers_reason_in_dutch_too(
    new_context: NewContext, portal_url: str, partner: dict[str, Any]
) -> None:
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, partner["leads"]["Failed Co"])
    card = page.get_by_test_id("partner-center")
    expect(card.get_by_test_id("pc-sync-state")).to_have_text("Failed")
    expect(card.get_by_test_id("pc-sync-error")).to_have_text(REFUSAL)

    dutch = new_context(partner["id"], locale="nl-NL").new_page()
    open_lead(dutch, portal_url, partner["leads"]["Failed Co"])
    card = dutch.get_by_test_id("partner-center")
    expect(card.get_by_test_id("pc-sync-state")).to_have_text("Mislukt")
    expect(card).to_contain_text("Een verwijzing in Partner Center")
    expect(card).to_contain_text("Reden")
    expect(card.get_by_test_id("pc-sync-error")).to_have_text(REFUSAL)


def test_a_lead_from_elsewhere_has_no_partner_center_card(
    new_context: NewContext, portal_url: str, partner: dict[str, Any]
) -> None:
    page = new_context(partner["id"]).new_page()
    open_lead(page, portal_url, partner["leads"]["Queue Co"])
    expect(page.get_by_role("heading", name="Queue Co", level=1)).to_be_visible()
    expect(page.get_by_test_id("partner-center")).to_have_count(0)
