"""Listing latency: `GET /api/leads?top=50` with 10,000 leads in one partner, next to a raw SDK query.

Run: .venv/bin/python bench/bench_listing.py [--leads 10000] [--requests 200]

The leads are seeded with batched `submit_transaction` calls (100 rows each) in the
repository's own entity format. The raw query is what the list asks storage for: the
same filter (partition, lead rows, qualification Direct), `results_per_page=50`, the
first page only, parsed by the SDK but not into leads. Both are timed in the same run
against the same Azurite. Target: list p50 <= 2 x raw p50.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from common import Stack, azurite_stack, percentile, print_table, seed_leads, timed

from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from tests.support.leads import marketplace_lead
from tests.support.principals import principal_header

BATCH = 100


def seed(stack: Stack, partner: str, count: int) -> None:
    table = stack.services().clients.table("Leads")
    now = datetime.now(UTC)
    template = map_marketplace_lead(marketplace_lead(partner))

    def make_lead(index: int) -> Lead:
        created = now - timedelta(minutes=index)
        lead = template.to_lead(new_lead_id(created), now=now, expiry_days=14)
        return lead.model_copy(
            update={
                "created_date_time": created,
                "customer": lead.customer.model_copy(update={"company": f"Fabrikam {index}"}),
            }
        )

    seed_leads(table, count, make_lead)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    partner = f"list-{uuid.uuid4().hex[:8]}"
    with azurite_stack() as stack:
        seed(stack, partner, arguments.leads)
        table = stack.services().clients.table("Leads")

        def raw_first_page() -> None:
            pages = table.query_entities(
                "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi and ( Qualification eq @q )",
                parameters={"pk": partner, "lo": "lead|", "hi": "lead}", "q": "Direct"},
                results_per_page=50,
            ).by_page()
            rows = list(next(pages))
            assert len(rows) == 50

        with stack.host() as host, httpx.Client(base_url=host.base_url, trust_env=False, timeout=30) as api:
            headers = principal_header(partner_id=partner)

            def list_page() -> None:
                response = api.get("/api/leads", params={"top": 50}, headers=headers)
                assert response.status_code == 200 and len(response.json()["value"]) == 50

            timed(list_page, 10)  # warm both
            timed(raw_first_page, 10)
            listing: list[float] = []
            raw: list[float] = []
            for _ in range(arguments.requests // 10):  # interleaved, so drift hits both alike
                listing += timed(list_page, 10)
                raw += timed(raw_first_page, 10)
    rows = [
        ("GET /api/leads?top=50", f"{percentile(listing, 0.5):.1f}", f"{percentile(listing, 0.95):.1f}"),
        (
            "raw query_entities, first page of 50",
            f"{percentile(raw, 0.5):.1f}",
            f"{percentile(raw, 0.95):.1f}",
        ),
    ]
    print_table(
        f"Listing with {arguments.leads} leads in one partner ({len(listing)} requests each)",
        ["measure", "p50 ms", "p95 ms"],
        rows,
    )
    print(f"\nlist p50 / raw p50 = {percentile(listing, 0.5) / percentile(raw, 0.5):.2f} (target <= 2)")


if __name__ == "__main__":
    main()
