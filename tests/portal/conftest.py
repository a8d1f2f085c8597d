"""Browser tests of the partner portal: the local host with `--static portal/public --dev-auth`,
Debian's Chromium driven by Playwright, and leads fed through the real intake queues."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from devhost.dev_auth import COOKIE_NAME, DevPrincipal
from devhost.process import HostProcess
from shared.config import load_settings
from shared.services.container import Services
from tests.conftest import REPO_ROOT, storage_of_its_own, wait_for
from tests.support.principals import principal_header

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1), so a test
# run never changes tracked files; otherwise they go to a scratch folder.
SCREENSHOTS = (
    REPO_ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "portal-screenshots"
)
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
# Generous for a 2-core machine, still far below a hung page.
UI_TIMEOUT_MS = 10_000


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium; Playwright's own browser download is not used."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/install-browser (apt-get install chromium) first")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="session")
def app_env(outbox_dir: Path) -> Iterator[dict[str, str]]:
    """The portal host's settings, on an Azurite of its own: it is the only host working its queues."""
    with storage_of_its_own(outbox_dir) as env:
        yield env


@pytest.fixture(scope="session")
def portal_host(app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """A local host serving the portal and the local sign-in."""
    log_path = tmp_path_factory.mktemp("portal-host") / "host.log"
    env = {**app_env, "PYTHONDONTWRITEBYTECODE": "1"}
    process = HostProcess(
        cwd=REPO_ROOT, env=env, log_path=log_path, extra_args=["--static", "portal/public", "--dev-auth"]
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def portal_url(portal_host: HostProcess) -> str:
    return portal_host.base_url


@pytest.fixture(scope="session")
def portal_api(portal_host: HostProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal_host.base_url, timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
def intake(app_env: dict[str, str]) -> Services:
    """In-process services on the portal host's Azurite: the queues leads come in through."""
    return Services.build(load_settings(app_env))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


def principal_cookie(base_url: str, principal: DevPrincipal) -> dict[str, Any]:
    return {"name": COOKIE_NAME, "value": principal.cookie_value(), "url": base_url}


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, portal_url: str) -> Iterator[NewContext]:
    """Browser contexts signed in through the devhost's cookie, closed after the test."""
    contexts: list[BrowserContext] = []

    def make(
        partner_id: str,
        *,
        user_id: str = "user-1",
        roles: tuple[str, ...] = ("ReferralsAdmin",),
        locale: str = "en-US",
        viewport: dict[str, int] | None = None,
        timezone_id: str = "Europe/Amsterdam",
        name: str = "Sam Sales",
        bypass_csp: bool = False,
    ) -> BrowserContext:
        context = browser.new_context(
            locale=locale,
            accept_downloads=True,
            viewport=viewport or {"width": 1280, "height": 900},
            timezone_id=timezone_id,
            # Only to inject axe-core into the page; the portal's own policy is tested elsewhere.
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        principal = DevPrincipal(user_id, name, "sam@partner.example", partner_id, roles)
        context.add_cookies([principal_cookie(portal_url, principal)])
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def send_marketplace(intake: Services, body: dict[str, Any]) -> None:
    intake.queues.send_text("marketplace-leads", json.dumps(body))


def send_referral(intake: Services, body: dict[str, Any]) -> None:
    intake.queues.send_text("referrals", json.dumps(body))


def api_leads(client: httpx.Client, partner_id: str, **params: str) -> list[dict[str, Any]]:
    """Every lead of the partner in a tab (through the API, as the test's ground truth)."""
    found: list[dict[str, Any]] = []
    query: dict[str, str] = {"top": "500", **params}
    while True:
        response = client.get("/api/leads", params=query, headers=principal_header(partner_id=partner_id))
        response.raise_for_status()
        found += response.json()["value"]
        token = response.json()["continuationToken"]
        if not token:
            return found
        query["continuationToken"] = token


def wait_until_validated(client: httpx.Client, partner_id: str, expected: dict[str, int]) -> None:
    """Until each tab holds the expected number of leads, every one of them validated."""

    def ready() -> bool:
        for tab, count in expected.items():
            leads = api_leads(client, partner_id, tab=tab)
            if len(leads) != count or not all(lead["validatedDateTime"] for lead in leads):
                return False
        return True

    # Generous: on a loaded CI machine 60 leads take a while through validation.
    wait_for(ready, timeout=90)


def open_portal(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    return page


def validated_lead_ids(client: httpx.Client, partner_id: str, count: int) -> dict[str, str]:
    """Once the partner's marketplace tab holds `count` validated leads: their ids by company."""

    def ready() -> dict[str, str] | None:
        leads = api_leads(client, partner_id, tab="marketplace")
        if len(leads) != count or not all(lead["validatedDateTime"] for lead in leads):
            return None
        return {lead["customer"]["company"]: lead["id"] for lead in leads}

    return wait_for(ready, timeout=60)


def wait_for_list(page: Page) -> None:
    expect(page.locator(".list-status")).not_to_have_text("Loading…")


def open_lead(page: Page, portal_url: str, lead_id: str) -> None:
    page.goto(f"{portal_url}/#/leads/{lead_id}")
    expect(page.locator(".actions")).to_be_visible()
