"""Reads that should not grow with stored leads: each request the portal makes, at two sizes.

Run: .venv/bin/python bench/bench_scale_reads.py [--small 1000] [--large 20000] [--repeat 7]
                                                 [--export-leads 0]

Two partners in one Azurite: `small` and `large` leads with every row `LeadRepository.create`
writes (the lead, its key, history, event and derived rows: search words, expiry order, whatever
else is registered), in parallel threads (see `seed_with_repository`). Then, in process through
the service layer (what each HTTP function calls), every request the portal makes: the list
(unfiltered, under two rare filters, searched, sorted by expiry), each tab's count, the
action center, one lead and its history. For each: storage requests and entity rows read (counted
by azure-core request/response hooks on the Table client), and the median latency of `--repeat`
runs. The first-paint requests (the list, the three counts, the action center) are summed at
both sizes. Last, the large partner is exported (time and the peak of Python memory traced while
the CSV is built); `--export-leads N` adds a third partner of N leads (seeded in batched lead rows,
no derived rows: the export reads only lead rows) and exports that too.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ServiceRequestError, ServiceResponseError, ServiceResponseTimeoutError
from azure.data.tables import TableClient
from common import azurite_stack, print_table, seed_leads

from shared.adapters.lead_repository import DuplicateLead, LeadRepository, _change_operations, lead_entity
from shared.domain import lead_rows, lifecycle
from shared.domain.derived_rows import derived_change
from shared.domain.enums import Qualification, Role, Tab
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
# Operations per seeding transaction (Azure allows 100; smaller batches time out less on a loaded box).
SEED_BATCH_OPERATIONS = 50
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


def _operations(partner: str, n: int) -> list[Any] | None:
    """A new lead's rows as `LeadRepository.create` writes them (its key, the lead, its first history
    entry and event, its index rows), or None when a contributor keeps tallies (read then merged:
    only `create` may write those)."""
    lead = make_lead(partner, n)
    change = lifecycle.created(lead)
    derived = derived_change(None, lead, lead_rows.CONTRIBUTORS)
    if derived.tallies:
        return None
    key = {"PartitionKey": partner, "RowKey": f"key|bench:{lead.id}", "LeadId": lead.id}
    operations: list[Any] = [("upsert", key), ("upsert", lead_entity(lead))]
    operations += [("upsert", operation[1]) for operation in _change_operations(change)]
    operations += [
        ("upsert", {"PartitionKey": partner, "RowKey": row.row_key, **row.columns}) for row in derived.put
    ]
    return operations


def seed_with_repository(
    services: Services, connection_string: str, partner: str, count: int, threads: int = 3
) -> float:
    """Store `count` leads with every row `create` writes, in parallel threads.

    Leads whose rows are only index rows are packed several to a transaction of at most 100
    upserts (the same rows `create` writes, ~10x fewer round trips: on a loaded shared machine
    one `create` per lead took 0.4 s); with a tally-keeping contributor registered, each lead
    goes through `LeadRepository.create`. Upserts, so a batch whose answer a loaded Azurite
    dropped is simply sent again.
    """
    started = time.perf_counter()
    # The SDK's own timeouts, not the service's 10 s: a loaded emulator takes its time with a batch.
    table = TableClient.from_connection_string(connection_string, "Leads")

    def send(operations: list[Any]) -> None:
        for attempt in range(5):
            try:
                table.submit_transaction(operations)
                return
            except (ServiceResponseError, ServiceResponseTimeoutError, ServiceRequestError):
                if attempt == 4:
                    raise
                time.sleep(1.0)

    def create(n: int) -> None:
        lead = make_lead(partner, n)
        for attempt in range(5):
            try:
                services.leads.create(lifecycle.created(lead), f"bench:{lead.id}")
                return
            except DuplicateLead:
                return  # an earlier attempt landed; Azurite lost only its answer
            except ServiceResponseError:
                if attempt == 4:
                    raise
                time.sleep(0.5)

    def store(first: int) -> None:
        batch: list[Any] = []
        for n in range(first, min(first + 50, count)):
            operations = _operations(partner, n)
            if operations is None:
                create(n)
                continue
            if len(batch) + len(operations) > SEED_BATCH_OPERATIONS:
                send(batch)
                batch = []
            batch += operations
        if batch:
            send(batch)

    with ThreadPoolExecutor(threads) as pool:
        for done, _ in enumerate(pool.map(store, range(0, count, 50)), start=1):
            if done % 20 == 0:
                print(f"  {partner}: {done * 50} stored in {time.perf_counter() - started:.0f} s", flush=True)
    return time.perf_counter() - started


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
        "action center": lambda: lead_service.recommended_actions(services, who),
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


def measure(action: Callable[[], Any], counter: StorageCounter, repeat: int) -> Measure:
    counter.reset()
    action()
    requests, rows = counter.snapshot()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return Measure(requests, rows, statistics.median(samples))


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
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--export-leads", type=int, default=0)
    args = parser.parse_args()

    with azurite_stack() as stack:
        plain = stack.services()
        counter = StorageCounter()
        table = counted_table(stack.env["AzureWebJobsStorage"], "Leads", counter)
        services = dataclasses.replace(plain, leads=LeadRepository(table))
        sizes = {"small": args.small, "large": args.large}
        for partner, count in sizes.items():
            seconds = seed_with_repository(plain, stack.env["AzureWebJobsStorage"], partner, count)
            print(f"seeded {count} leads in partner {partner} in {seconds:.0f} s", flush=True)
        # A few favorites, as a user has.
        for partner in sizes:
            for stored in list(plain.leads.query(partner, LeadQuery(tab=None), page_size=20))[:12]:
                plain.leads.set_favorite(partner, "bench-user", stored.lead.id, NOW)

        results: dict[str, dict[str, Measure]] = {}
        for partner in sizes:
            results[partner] = {
                name: measure(action, counter, args.repeat)
                for name, action in requests_of(services, partner).items()
            }
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

        exports = [("large", args.large)]
        if args.export_leads:
            seconds = seed_leads(
                plain.leads._table, args.export_leads, lambda n: make_lead("export", n), threads=4
            )
            print(f"seeded {args.export_leads} lead rows in partner export in {seconds:.0f} s", flush=True)
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
