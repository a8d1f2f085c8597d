"""The Insights page in the browser, in English and Dutch: form, totals, charts with text
alternatives and tables, and the CSV download; its lists are the API's (checked with Node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from shared.domain.insights import GroupBy, Interval
from shared.services import intake as intake_service
from shared.services.container import Services
from tests.conftest import REPO_ROOT
from tests.portal.conftest import SCREENSHOTS, NewContext
from tests.support.leads import accept_body, marketplace_lead, unique_partner
from tests.support.principals import principal_header

JS = REPO_ROOT / "portal" / "public" / "js"
_READ_MODULE = """
globalThis.navigator ??= { languages: ["en"] };
const insights = await import(process.argv[1] + "/insights.js");
console.log(JSON.stringify({
  intervals: insights.INTERVALS,
  groupBys: insights.GROUP_BYS,
  messages: insights.INSIGHTS_MESSAGES,
  cells: ["=SUM(A1)", "+31", "-1", "@x", "\\tx", "a,b", 'say "hi"', 12.5, null].map(insights.csvCell),
}));
"""


def _module() -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "Node is needed"
    result = subprocess.run(
        [node, "--input-type=module", "-e", _READ_MODULE, JS.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_page_offers_the_apis_intervals_and_groupings_in_both_languages() -> None:
    module = _module()
    assert module["intervals"] == [i.value for i in Interval]
    assert module["groupBys"] == [g.value for g in GroupBy]
    messages = module["messages"]
    assert set(messages["en"]) == set(messages["nl"])
    assert all(text.strip() for catalog in messages.values() for text in catalog.values())


def test_csv_cells_are_formula_safe_and_quoted() -> None:
    assert _module()["cells"] == [
        "'=SUM(A1)",
        "'+31",
        "'-1",
        "'@x",
        "'\tx",
        '"a,b"',
        '"say ""hi"""',
        "12.5",
        "",
    ]


@pytest.fixture(scope="module")
def worked(intake: Services, portal_api: httpx.Client) -> dict[str, Any]:
    """Leads received today from two sources; one accepted, one declined, through the real API."""
    partner = unique_partner("insights")
    created = datetime.now(UTC) - timedelta(minutes=30)
    ids = [
        intake_service.ingest(
            intake,
            json.dumps(marketplace_lead(partner, created=created, source=source)),
            intake_service.MARKETPLACE,
        ).lead_id
        for source in ("AppSource", "AppSource", "AzureMarketplace", "AzurePortal")
    ]
    headers = principal_header(partner_id=partner)
    accepted = portal_api.post(f"/api/leads/{ids[0]}/accept", json=accept_body(), headers=headers)
    declined = portal_api.post(
        f"/api/leads/{ids[1]}/decline", json={"reason": "NotACustomer"}, headers=headers
    )
    assert accepted.status_code == declined.status_code == 200
    return {"id": partner, "day": datetime.now(UTC).date(), "created": created.date()}


def _url(portal_url: str, worked: dict[str, Any], **params: str) -> str:
    start = (worked["created"] - timedelta(days=6)).isoformat()
    query = {"from": start, "to": worked["day"].isoformat(), **params}
    return f"{portal_url}/#/insights?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_the_page_shows_the_figures_charts_and_tables(
    new_context: NewContext, portal_url: str, worked: dict
) -> None:
    page = new_context(worked["id"]).new_page()
    page.goto(_url(portal_url, worked, interval="day", groupBy="leadSource"))

    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    expect(page.get_by_test_id("insights-utc")).to_contain_text("UTC")
    totals = page.get_by_test_id("insights-totals")
    expect(totals.locator('[data-figure="received"] dd')).to_have_text("4")
    expect(totals.locator('[data-figure="answered"] dd')).to_have_text("2")
    expect(totals.locator('[data-figure="acceptanceRate"] dd')).to_have_text("50%")
    expect(totals.locator('[data-figure="pipelineValue"] dd')).to_contain_text("25,000")
    for chart in ("volume", "rates", "response", "expired", "reasons", "money", "groups"):
        figure = page.locator(f"#chart-{chart}")
        expect(figure.locator("svg[role=img]")).to_have_attribute(
            "aria-label", figure.locator(".chart-alt").inner_text()
        )
    expect(page.locator("#chart-response svg .ref")).to_have_count(2)  # the 24 h and 72 h lines
    expect(page.locator("#chart-reasons .chart-alt")).to_contain_text("Not a customer")
    page.locator("#chart-groups summary").click()
    rows = page.locator("#chart-groups table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator("th")).to_have_text("AppSource")
    expect(page.locator("#nav-insights")).to_have_attribute("aria-current", "page")

    with page.expect_download() as download:
        page.locator("#insights-csv").click()
    raw = download.value.path().read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Group,Period,received,accepted,declined")
    assert any(line.startswith("AppSource,") and ",2," in line for line in lines[1:])


def test_the_page_in_dutch_and_the_form_changes_the_view(
    new_context: NewContext, portal_url: str, worked: dict
) -> None:
    page = new_context(worked["id"], locale="nl-NL").new_page()
    page.goto(_url(portal_url, worked, interval="week", groupBy="none"))

    expect(page.get_by_role("heading", name="Inzichten", level=1)).to_be_visible()
    expect(page.get_by_test_id("insights-utc")).to_contain_text("UTC")
    expect(page.locator('[data-figure="received"] dt')).to_have_text("Ontvangen")
    expect(page.locator('[data-figure="received"] dd')).to_have_text("4")
    expect(page.locator("#chart-groups")).to_have_count(0)
    expect(page.locator("#chart-volume figcaption")).to_have_text("Leads ontvangen en beantwoord")
    page.screenshot(path=str(SCREENSHOTS / "insights-nl.png"), full_page=False)

    page.get_by_label("Groeperen op").select_option("country")
    page.get_by_role("button", name="Tonen").click()

    expect(page.locator("#chart-groups figcaption")).to_contain_text("Land")
    expect(page.locator("#chart-groups .chart-alt")).to_contain_text("Nederland 4")


def test_a_reversed_range_is_explained_not_sent(
    new_context: NewContext, portal_url: str, worked: dict
) -> None:
    page = new_context(worked["id"]).new_page()
    page.goto(f"{portal_url}/#/insights?from=2026-11-30&to=2026-11-01")

    expect(page.get_by_role("status")).to_contain_text("the end not before the start")
