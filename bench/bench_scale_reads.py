"""Reads that should not grow with stored leads: each request the portal makes, at two sizes.

Run: .venv/bin/python bench/bench_scale_reads.py [--small 1000] [--large 20000] [--repeat 9]
                                                 [--export-leads 0]

Two partners in one Azurite: `small` and `large` leads, each stored with exactly the rows
`LeadRepository.create` writes (its key, the lead, its first history entry and event, every
contributor's index rows) and the tallies those creates would have summed to
(`common.seed_created_leads`: several leads per transaction, tallies written once). The small
partner is then checked against a full read of its leads: each tab count and the action center
the service answers must equal what counting the leads themselves gives (the recount's way).

Then, in process through the service layer (what each HTTP function calls), every request the
portal makes: the list (unfiltered, its next page, under two rare filters, searched, sorted by
expiry), each tab's count, the action center, one lead and its history. For each: storage requests
and entity rows read (counted by azure-core request/response hooks on the Table client), and the
median latency of `--repeat` runs, the two sizes taking turns request by request so that the
machine's load hits both alike. The first-paint requests (the list, the three counts, the action
center) are summed at both sizes. Last, the large partner is exported (time and the peak of Python
memory traced while the CSV is built); `--export-leads N` adds a third partner of N leads, seeded
the same way, and exports that too.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from common import azurite_stack, print_table, seed_created_leads

from shared.adapters.lead_repository import LeadRepository
from shared.domain import action_center, lead_counters
from shared.domain.enums import Qualification, Role, Stage, Tab
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_query import LeadQuery, encode_continuation, parse_lead_query, parse_list_request
from shared.domain.principal import Principal
from shared.services import export
from shared.services import leads as lead_service
from shared.services.container import Services
from tests.support.leads import marketplace_lead
from tests.support.storage_count import StorageCounter, counted_table

NOW = datetime.now(UTC).replace(microsecond=0)
COMPANIES = ("Fabrikam", "Northwind", "Contoso", "Tailspin", "Wingtip", "Litware", "Adatum", "Proseware")
FIRST = ("Eva", "Jonas", "Sanne", "Pieter", "Mila", "Daan", "Julia", "Bram", "Noor", "Lucas")
LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos")
COUNTRIES = ("NL", "DE", "BE", "FR", "GB", "US")
RARE_COUNTRY = "IS"  # one lead in 200
RARE_COMPANY = "Zeldzaam"  # one lead in 500, found only by testing each lead (customerName)


def make_lead(partner: str, n: int) -> Lead:
    rng = random.Random(f"{partner}:{n}")
    created = NOW - timedelta(minutes=30 * n + rng.randrange(30))  # spread over the last weeks
    company = f"{rng.choice(COMPANIES)} {rng.choice(('BV', 'GmbH', 'Ltd', 'Group'))} {n}"
    if n % 500 == 250:
        company = f"{RARE_COMPANY} {n}"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    body = marketplace_lead(
        partner,
        created=created,
        company=company,
        country=RARE_COUNTRY if n % 200 == 100 else rng.choice(COUNTRIES),
        email=f"{first.lower()}.{last.split()[-1].lower()}{n}@{company.split()[0].lower()}.example.org",
        action_code=rng.choice(("PLT", "PLT", "PLT", "FreeTrial")),
    )
    lead = map_marketplace_lead(body).to_lead(new_lead_id(created), now=created, expiry_days=14)
    # A quarter are qualified leads (the Qualified tab), as Partner Center referrals would be.
    if n % 4 == 3:
        lead = lead.model_copy(update={"qualification": rng.choice(list(Qualification)[1:])})
    customer = lead.customer.model_copy(update={"first_name": first, "last_name": last})
    return lead.model_copy(update={"customer": customer})


# The portal asks the action center for 20 items (`ACTION_PAGE` in portal/public/js/app.js).
ACTION_PAGE = 20


def check_seeded(services: Services, partner: str) -> None:
    """Each tab count and the action center as the service answers them (from tally and index
    rows) against a full read of the partner's leads, counted as the recount counts them: a seed
    that left a tally or an index row out or wrong fails here."""
    now = services.clock()
    services = dataclasses.replace(services, clock=lambda: now)  # one moment for both sides
    who = principal(partner)
    leads = [stored.lead for stored in services.leads.query(partner, LeadQuery(tab=None))]
    for tab in (Tab.MARKETPLACE, Tab.QUALIFIED):
        of_tab = [lead for lead in leads if lead_counters.tab_of(lead.qualification) is tab]
        counted = lead_service.count_leads(services, who, filters({"tab": tab.value}))
        assert counted == lead_service.LeadCount(len(of_tab), True), (tab, counted, len(of_tab))
        for stage in Stage:
            counted = lead_service.count_leads(
                services, who, filters({"tab": tab.value, "stage": stage.value})
            )
            assert counted.count == sum(lead.stage is stage for lead in of_tab), (tab, stage, counted)
    favorites = services.leads.favorite_ids(partner, who.user_id)
    assert lead_service.count_leads(services, who, filters({"tab": Tab.FAVORITES.value})).count == len(
        favorites
    )
    items: list[action_center.ActionItem] = []
    after: action_center.SortKey | None = None
    while True:
        page = lead_service.recommended_actions(services, who, top=action_center.MAX_TOP, after=after)
        items += page.items
        if page.next_after is None:
            break
        after = page.next_after
    due = {
        lead.id
        for lead in leads
        if (lead.stage is Stage.RECEIVED and lead.expiration_date_time and lead.expiration_date_time > now)
        or (lead.stage is Stage.ACCEPTED and lead.deal and lead.deal.estimated_close_date <= now.date())
    }
    assert {item.lead_id for item in items} == due and len(items) == len(due), (len(items), len(due))
    rows = [
        {"RowKey": row.row_key, **row.columns}
        for lead in leads
        for row in action_center.ActionIndex().index_rows(lead)
    ]
    expected = action_center.action_page(rows, now=now, urgency_hours=services.settings.urgency_hours)
    assert page.summary == expected.summary, (page.summary, expected.summary)
    print(f"  {partner}: counts and action center equal a full read of its {len(leads)} leads", flush=True)


def principal(partner: str) -> Principal:
    return Principal("bench-user", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)


def list_request(params: dict[str, str]) -> Any:
    request, errors = parse_list_request(params)
    assert not errors, errors
    return request


def filters(params: dict[str, str]) -> LeadQuery:
    query, errors = parse_lead_query(params)
    assert not errors, errors
    return query


def requests_of(services: Services, partner: str) -> dict[str, Callable[[], Any]]:
    """Each request the portal makes, as the HTTP function calls the service."""
    who = principal(partner)
    some_lead = next(services.leads.query(partner, LeadQuery(tab=None), page_size=1)).lead.id
    page = lead_service.list_leads(services, who, list_request({"top": "50"}))
    assert page.resume is not None
    token = encode_continuation(page.resume)

    def listing(params: dict[str, str]) -> Callable[[], Any]:
        return lambda: lead_service.list_leads(services, who, list_request({"top": "50", **params}))

    def count(tab: Tab) -> Callable[[], Any]:
        return lambda: lead_service.count_leads(services, who, filters({"tab": tab.value}))

    return {
        "list (first page)": listing({}),
        "list, next page": listing({"continuationToken": token}),
        f"list country={RARE_COUNTRY} (1 in 200)": listing({"country": RARE_COUNTRY}),
        f"list customerName={RARE_COMPANY} (1 in 500)": listing({"customerName": RARE_COMPANY}),
        "list q=fabrikam": listing({"q": "fabrikam"}),
        "list q=zeldz (1 in 500)": listing({"q": "zeldz"}),
        "list q=eva fabrikam": listing({"q": "eva fabrikam"}),
        "list sort=expiry": listing({"sort": "expiry"}),
        "list sort=expiry, stage=Received": listing({"sort": "expiry", "stage": "Received"}),
        "count tab=marketplace": count(Tab.MARKETPLACE),
        "count tab=qualified": count(Tab.QUALIFIED),
        "count tab=favorites": count(Tab.FAVORITES),
        "action center": lambda: lead_service.recommended_actions(services, who, top=ACTION_PAGE, after=None),
        "one lead": lambda: lead_service.get_lead(services, who, some_lead),
        "its history": lambda: lead_service.history(services, who, some_lead),
    }


FIRST_PAINT = (
    "list (first page)",
    "count tab=marketplace",
    "count tab=qualified",
    "count tab=favorites",
    "action center",
)


@dataclasses.dataclass
class Measure:
    requests: int
    rows: int
    median_ms: float


def measure(
    plans: dict[str, dict[str, Callable[[], Any]]], counter: StorageCounter, repeat: int
) -> dict[str, dict[str, Measure]]:
    """Storage requests and rows of each request's first run, then `repeat` timed runs, the
    partners taking turns request by request (who goes first alternates), so that a burst of
    load on the shared machine hits both sizes alike."""
    counted: dict[str, dict[str, tuple[int, int]]] = {partner: {} for partner in plans}
    for partner, actions in plans.items():
        for name, action in actions.items():
            counter.reset()
            action()
            counted[partner][name] = counter.snapshot()
    samples: dict[str, dict[str, list[float]]] = {
        partner: {name: [] for name in plans[partner]} for partner in plans
    }
    partners = list(plans)
    for round_ in range(repeat):
        print(f"  timing round {round_ + 1} of {repeat}", flush=True)
        for name in plans[partners[0]]:
            for partner in partners if round_ % 2 == 0 else reversed(partners):
                started = time.perf_counter()
                plans[partner][name]()
                samples[partner][name].append((time.perf_counter() - started) * 1000)
    return {
        partner: {
            name: Measure(*counted[partner][name], statistics.median(samples[partner][name]))
            for name in plans[partner]
        }
        for partner in plans
    }


def measure_export(services: Services, partner: str) -> tuple[float, float, int, int]:
    """Seconds, peak traced MiB, rows and bytes of exporting every Marketplace lead of `partner`."""
    who = principal(partner)
    query = LeadQuery(tab=Tab.MARKETPLACE)
    started = time.perf_counter()
    document = export.export_csv(services, who, query)
    seconds = time.perf_counter() - started
    del document
    tracemalloc.start()
    document = export.export_csv(services, who, query)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, document.rows, len(document.body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--export-leads", type=int, default=0)
    args = parser.parse_args()

    with azurite_stack() as stack:
        plain = stack.services()
        counter = StorageCounter()
        table = counted_table(stack.env["AzureWebJobsStorage"], "Leads", counter)
        services = dataclasses.replace(plain, leads=LeadRepository(table))
        sizes = {"small": args.small, "large": args.large}
        for partner, count in sizes.items():
            seconds = seed_created_leads(
                plain.leads._table, partner, count, lambda n, p=partner: make_lead(p, n)
            )
            print(
                f"seeded {count} leads in partner {partner} in {seconds:.0f} s ({count / seconds:.0f}/s)",
                flush=True,
            )
        # A few favorites, as a user has.
        for partner in sizes:
            for stored in list(plain.leads.query(partner, LeadQuery(tab=None), page_size=20))[:12]:
                plain.leads.set_favorite(partner, "bench-user", stored.lead.id, NOW)
        check_seeded(plain, "small")

        plans = {partner: requests_of(services, partner) for partner in sizes}
        results = measure(plans, counter, args.repeat)
        rows = []
        for name in results["small"]:
            small, large = results["small"][name], results["large"][name]
            rows.append(
                [
                    name,
                    f"{small.requests} / {large.requests}",
                    f"{small.rows} / {large.rows}",
                    f"{small.median_ms:.1f} / {large.median_ms:.1f}",
                    f"{large.median_ms / small.median_ms:.2f}",
                ]
            )
        print_table(
            f"Per request at {args.small:,} / {args.large:,} leads (median of {args.repeat})",
            ["request", "storage requests", "rows read", "ms", "ratio"],
            rows,
        )
        paint = {partner: sum(results[partner][name].median_ms for name in FIRST_PAINT) for partner in sizes}
        print(
            f"\nfirst paint (list + 3 counts + action center): {paint['small']:.1f} ms"
            f" / {paint['large']:.1f} ms = {paint['large'] / paint['small']:.2f}x (goal <= 1.3x)"
        )
        grown = [
            name for name in results["small"] if results["small"][name].rows != results["large"][name].rows
        ]
        print(
            f"requests reading more or fewer rows at {args.large:,} than at {args.small:,}: {grown or 'none'}"
        )

        exports = [("large", args.large)]
        if args.export_leads:
            seconds = seed_created_leads(
                plain.leads._table,
                "export",
                args.export_leads,
                lambda n: make_lead("export", n),
                progress=10000,
            )
            print(f"seeded {args.export_leads} leads in partner export in {seconds:.0f} s", flush=True)
            exports.append(("export", args.export_leads))
        export_rows = []
        for partner, count in exports:
            seconds, peak, exported, size = measure_export(plain, partner)
            export_rows.append(
                [
                    f"{count:,}",
                    f"{exported:,}",
                    f"{size / 2**20:.1f}",
                    f"{seconds:.1f}",
                    f"{exported / seconds:,.0f}",
                    f"{peak:.1f}",
                ]
            )
        print_table(
            "Export of the Marketplace tab (in process)",
            ["leads stored", "rows exported", "CSV MiB", "seconds", "rows/s", "peak traced MiB"],
            export_rows,
        )


if __name__ == "__main__":
    main()
