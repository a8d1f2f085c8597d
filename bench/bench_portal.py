"""The portal's first paint and page weight over 10,000 leads, next to a bare page on the same API.

Run: .venv/bin/python bench/bench_portal.py [--leads 10000] [--runs 5]

Starts Azurite (in memory) and two local hosts with `--dev-auth`: one serving `portal/public`, one
serving a bare HTML page that fetches `/api/leads?top=50` and writes 50 table rows. Seeds one partner
with `--leads` leads in the repository's own entity format (batched transactions of 100 rows),
validated, then opens each page `--runs` times in Debian's Chromium, each in a fresh browser
context (cold cache), and reads from the browser's Performance API:

- first paint: the `performance.mark` each page sets once its 50 rows are in the DOM, in ms from
  navigation start;
- page weight at that moment: Resource Timing `transferSize` of the document plus every resource
  (scripts, styles, API JSON);
- page weight once the network is idle (the portal then has also fetched its tab counts and the
  action center).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from azure.data.tables import TableServiceClient
from common import seed_leads
from playwright.sync_api import Browser, sync_playwright

from devhost.azurite import Azurite
from devhost.dev_auth import COOKIE_NAME, DevPrincipal
from devhost.process import HostProcess
from shared.adapters.storage_clients import LEADS_TABLE
from shared.config import DEFAULT_SCHEDULES
from shared.domain.enums import (
    CallToAction,
    EmailValidity,
    LeadSource,
    LeadType,
    PhoneValidity,
    Qualification,
    Quality,
    Stage,
    Status,
)
from shared.domain.lead import Customer, Lead, Offer
from shared.domain.lead_ids import new_lead_id

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
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
PARTNER = "bench-portal"
BATCH_ROWS = 100
SEED_ATTEMPTS = 5
COUNTRIES = ("NL", "DE", "BE", "GB", "FR", "US")

# The comparison page: the same JSON, written as 50 rows with DOM calls and nothing else.
BARE_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>bare</title>
<script src="bare.js" defer></script></head><body><table><tbody id="rows"></tbody></table></body></html>
"""
BARE_JS = """
fetch("/api/leads?top=50").then((r) => r.json()).then((page) => {
  const body = document.getElementById("rows");
  for (const lead of page.value) {
    const row = document.createElement("tr");
    const c = lead.customer;
    for (const text of [c.company, c.country, lead.quality, lead.status, lead.createdDateTime]) {
      const cell = document.createElement("td");
      cell.textContent = text ?? "";
      row.append(cell);
    }
    body.append(row);
  }
  performance.mark("bare:rendered");
});
"""

WEIGHT_JS = """() => {
  const entries = [
    ...performance.getEntriesByType("navigation"),
    ...performance.getEntriesByType("resource"),
  ];
  return {
    transfer: entries.reduce((sum, e) => sum + (e.transferSize || 0), 0),
    encoded: entries.reduce((sum, e) => sum + (e.encodedBodySize || 0), 0),
    requests: entries.length,
  };
}"""


def bench_lead(n: int, now: datetime) -> Lead:
    created = now - timedelta(seconds=11 * n + 1)
    valid = n % 7 != 0
    return Lead(
        id=new_lead_id(created),
        partner_id=PARTNER,
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        lead_source=LeadSource.APPSOURCE,
        call_to_action=CallToAction.CONTACT_ME,
        offer=Offer(id="contoso-crm", title="Contoso CRM"),
        customer=Customer(
            company=f"Customer {n}",
            first_name="Eva",
            last_name="de Vries",
            email=f"contact{n}@example.com",
            phone="+31207940000",
            title="CIO",
            country=COUNTRIES[n % len(COUNTRIES)],
            size="51to500employees",
        ),
        customer_need="We want a demo for 200 seats.",
        customer_requested_contact=n % 3 == 0,
        stage=Stage.RECEIVED,
        status=Status.RECEIVED,
        created_date_time=created,
        updated_date_time=created,
        expiration_date_time=created + timedelta(days=14),
        validated_date_time=created,
        email_validity=EmailValidity.VALID if valid else EmailValidity.SPAM,
        phone_validity=PhoneValidity.VALID,
        quality=Quality.HIGH if valid else Quality.LOW,
        spam_flags=[] if valid else ["spam_domain"],
    )


def seed(connection_string: str, count: int) -> float:
    table = TableServiceClient.from_connection_string(connection_string).create_table_if_not_exists(
        LEADS_TABLE
    )
    now = datetime.now(UTC)
    return seed_leads(table, count, lambda n: bench_lead(n, now))


def measure(browser: Browser, url: str, mark: str, runs: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"paint": [], "weight": [], "idle_weight": [], "requests": []}
    principal = DevPrincipal("bench-user", "Bench", "bench@partner.example", PARTNER, ("ReferralsAdmin",))
    for _ in range(runs):
        context = browser.new_context()
        context.add_cookies([{"name": COOKIE_NAME, "value": principal.cookie_value(), "url": url}])
        page = context.new_page()
        page.goto(url)
        # Polled from here: the portal's CSP forbids the string evaluation `wait_for_function` uses.
        deadline = time.monotonic() + 30
        while not page.evaluate(f"performance.getEntriesByName({mark!r}).length > 0"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not set {mark}")
            time.sleep(0.02)
        paint = page.evaluate(f"performance.getEntriesByName({mark!r})[0].startTime")
        at_paint = page.evaluate(
            WEIGHT_JS.replace(
                "=> {", f"=> {{ const until = performance.getEntriesByName({mark!r})[0].startTime;"
            ).replace(
                'getEntriesByType("resource")',
                'getEntriesByType("resource").filter(e => e.responseEnd <= until)',
            )
        )
        page.wait_for_load_state("networkidle")
        idle = page.evaluate(WEIGHT_JS)
        results["paint"].append(paint)
        results["weight"].append(at_paint["transfer"])
        results["idle_weight"].append(idle["transfer"])
        results["requests"].append(idle["requests"])
        context.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-portal-") as workdir, Azurite() as azurite:
        bare_dir = Path(workdir) / "bare"
        bare_dir.mkdir()
        (bare_dir / "index.html").write_text(BARE_HTML)
        (bare_dir / "bare.js").write_text(BARE_JS)
        env = {
            "AzureWebJobsStorage": azurite.connection_string,
            "OUTBOX_DIR": str(Path(workdir) / "outbox"),
            "EMAIL_DELIVERABILITY_CHECK": "off",
            "PYTHONDONTWRITEBYTECODE": "1",
            **DEFAULT_SCHEDULES,
        }
        seconds = seed(azurite.connection_string, arguments.leads)
        print(f"seeded {arguments.leads} leads in {seconds:.1f} s")
        portal_host = HostProcess(
            cwd=REPO_ROOT,
            env=env,
            log_path=Path(workdir) / "portal.log",
            extra_args=["--static", "portal/public", "--dev-auth"],
        )
        bare_host = HostProcess(
            cwd=REPO_ROOT,
            env=env,
            log_path=Path(workdir) / "bare.log",
            extra_args=["--static", str(bare_dir), "--dev-auth"],
        )
        with portal_host, bare_host, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            # One warm-up each: the hosts import the app and open storage connections on first use.
            measure(browser, f"{portal_host.base_url}/", "portal:leads-rendered", 1)
            measure(browser, f"{bare_host.base_url}/", "bare:rendered", 1)
            portal = measure(browser, f"{portal_host.base_url}/", "portal:leads-rendered", arguments.runs)
            bare = measure(browser, f"{bare_host.base_url}/", "bare:rendered", arguments.runs)
            browser.close()

    print(
        f"\n{arguments.leads} leads in the partition, first page of 50,"
        f" {arguments.runs} cold runs each (median)"
    )
    print(f"{'page':<8} {'first paint':>12} {'bytes at paint':>15} {'bytes when idle':>16} {'requests':>9}")
    for name, result in (("portal", portal), ("bare", bare)):
        median = {key: statistics.median(values) for key, values in result.items()}
        print(
            f"{name:<8} {median['paint']:>9.0f} ms {median['weight']:>15,.0f}"
            f" {median['idle_weight']:>16,.0f} {median['requests']:>9.0f}"
        )
    ratio = statistics.median(portal["paint"]) / statistics.median(bare["paint"])
    print(f"portal first paint / bare first paint: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
