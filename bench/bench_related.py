"""Related leads: the storage requests and time of finding a lead's related leads, by leads stored.

Run: .venv/bin/python bench/bench_related.py [--sizes 1000,20000] [--requests 50]

All sizes on one Azurite: for each, one partner holds that many leads of distinct customers (seeded
with batched transactions: each lead's entity and its email key's `cust|<key>|<leadId>` index row, as
the repository writes them), plus one customer with four leads stored through the repository itself.
Then, in rounds interleaving the sizes (so the shared machine's drift hits them alike),
`leads.related_leads` for one of those four is counted (requests on the wire through the SDK's
request hook, rows in the answers through its response hook), checked (the customer's other three
leads, no other) and timed. Target: the same number of requests at every size (the lookup reads the
lead, its at most three keys' index rows and the related leads by id, never a scan).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ServiceResponseError
from azure.core.pipeline import PipelineResponse
from azure.data.tables import TableClient, TableServiceClient
from common import (
    CountingPolicy,
    CountingStorageClients,
    Stack,
    azurite_stack,
    percentile,
    print_table,
    timed,
)

from shared.adapters.lead_repository import lead_entity
from shared.domain import lifecycle
from shared.domain.customer_keys import RelatedLeads
from shared.domain.enums import Role
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.principal import Principal
from shared.services import leads
from tests.support.leads import distinct_customer, marketplace_lead

BATCH_LEADS = 50  # a lead and its email key's index row: 100 operations per transaction
SEED_ATTEMPTS = 40
SEED_READ_TIMEOUT = 600  # seconds


def seed(stack: Stack, partner: str, count: int, index_rows: bool) -> None:
    # The emulator takes longer per write the more rows the partition holds (over 10 s for a batch
    # past 15,000 on a busy machine): a batch resent after the service's 10 s timeout only queues
    # behind the first, so the seeding waits as long as it takes.
    stack.services().clients.table("Leads")  # creates the table
    table = TableClient.from_connection_string(
        stack.azurite.connection_string, "Leads", read_timeout=SEED_READ_TIMEOUT
    )
    now = datetime.now(UTC)
    template = map_marketplace_lead(marketplace_lead(partner))
    contributor = RelatedLeads()

    def make_lead(index: int) -> Lead:
        created = now - timedelta(minutes=index + 10)
        lead = template.to_lead(new_lead_id(created), now=now, expiry_days=14)
        return lead.model_copy(
            update={
                "created_date_time": created,
                "customer": lead.customer.model_copy(update=distinct_customer()),
            }
        )

    def store(first: int) -> None:
        operations = []
        for index in range(first, min(first + BATCH_LEADS, count)):
            lead = make_lead(index)
            operations.append(("upsert", lead_entity(lead)))
            # One of its index rows (the email key's): the emulator slows as a table grows, and what
            # the lookup's cost could depend on is the other rows in the partition, not their kind.
            if index_rows:
                first_row = next(iter(contributor.index_rows(lead)))
                operations.append(("upsert", {"PartitionKey": partner, "RowKey": first_row.row_key}))
        # Azurite drops or stalls a request under load; upserts repeat safely.
        for attempt in range(SEED_ATTEMPTS):
            try:
                table.submit_transaction(operations)
                return
            except ServiceResponseError:
                if attempt == SEED_ATTEMPTS - 1:
                    raise
                time.sleep(5.0)

    started = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        for done, _ in enumerate(pool.map(store, range(0, count, BATCH_LEADS)), start=1):
            if done % 50 == 0 or done * BATCH_LEADS >= count:
                stored = min(done * BATCH_LEADS, count)
                print(f"  {partner}: {stored:,} leads, {time.perf_counter() - started:.0f} s", flush=True)


def customer_leads(stack: Stack, partner: str) -> list[str]:
    """One customer's four leads, stored as intake stores them."""
    services = stack.services()
    customer = distinct_customer()
    ids = []
    for minutes in range(4):
        new = map_marketplace_lead(marketplace_lead(partner, **customer))
        created = datetime.now(UTC) - timedelta(minutes=minutes)
        lead = new.to_lead(new_lead_id(created), now=datetime.now(UTC), expiry_days=14)
        services.leads.create(lifecycle.created(lead), f"bench-{uuid.uuid4().hex}")
        ids.append(lead.id)
    return ids


class RowCounter:
    """Counts the rows the storage answers carry (a query's `value` list, or one entity read by
    key), as the clients' `raw_response_hook`."""

    def __init__(self) -> None:
        self.rows = 0

    def __call__(self, response: PipelineResponse[Any, Any]) -> None:
        http = response.http_response
        if http.request.method != "GET" or http.status_code != 200:
            return
        body = json.loads(http.text())
        self.rows += len(body["value"]) if "value" in body else 1


class RowCountingClients(CountingStorageClients):
    """Storage clients that count both their requests and the rows read."""

    def __init__(self, storage: Any, policy: CountingPolicy, rows: RowCounter) -> None:
        super().__init__(storage, policy)
        self.rows = rows

    def table_service(self) -> TableServiceClient:
        assert self._storage.connection_string
        return TableServiceClient.from_connection_string(
            self._storage.connection_string, raw_request_hook=self.policy, raw_response_hook=self.rows
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--no-index-rows",
        action="store_true",
        help="seed the other customers' leads without their email key's index row: faster on the emulator",
    )
    arguments = parser.parse_args()
    sizes = [int(part) for part in arguments.sizes.split(",")]
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    with azurite_stack() as stack:
        targets: dict[int, tuple[Principal, str, list[str]]] = {}
        for size in sizes:  # every size in the same emulator, side by side
            partner = f"related-{size}-{uuid.uuid4().hex[:6]}"
            seed(stack, partner, size, index_rows=not arguments.no_index_rows)
            lead_ids = customer_leads(stack, partner)
            caller = Principal("bench", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)
            targets[size] = (caller, lead_ids[0], sorted(lead_ids[1:]))
        policy, rows = CountingPolicy(), RowCounter()
        plain = stack.services()
        counted = stack.services(RowCountingClients(plain.clients._storage, policy, rows))
        requests: dict[int, list[int]] = {size: [] for size in sizes}
        read: dict[int, list[int]] = {size: [] for size in sizes}
        kinds: dict[int, dict[str, int]] = {}
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        for caller, target, _ in targets.values():  # warm: tables and clients created
            leads.related_leads(plain, caller, target)
            leads.related_leads(counted, caller, target)
        for _ in range(arguments.requests):
            for size, (caller, target, others) in targets.items():  # interleaved: drift hits all alike
                policy.reset()
                rows.rows = 0
                found = leads.related_leads(counted, caller, target)
                if sorted(lead["id"] for lead in found) != others:
                    raise SystemExit(f"{size:,} leads: found {[lead['id'] for lead in found]}, not {others}")
                requests[size].append(policy.total)
                read[size].append(rows.rows)
                kinds[size] = dict(policy.counts)
                samples[size].extend(
                    timed(lambda caller=caller, target=target: leads.related_leads(plain, caller, target), 1)
                )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print_table(
        f"Related leads of one lead (its customer's 3 other leads), {arguments.requests} rounds interleaved",
        ("leads stored", "requests", "by kind", "rows read", "p50 ms", "p95 ms"),
        [
            (
                f"{size + 4:,}",
                "/".join(str(n) for n in sorted(set(requests[size]))),
                ", ".join(f"{kind} {n}" for kind, n in sorted(kinds[size].items())),
                "/".join(str(n) for n in sorted(set(read[size]))),
                f"{percentile(samples[size], 0.5):.1f}",
                f"{percentile(samples[size], 0.95):.1f}",
            )
            for size in sizes
        ],
    )
    small, large = sizes[0], sizes[-1]
    ratio = percentile(samples[large], 0.5) / percentile(samples[small], 0.5)
    print(f"\nlatency ratio (p50, {large + 4:,} / {small + 4:,} leads): {ratio:.2f}")
    print("the related leads found: the customer's other 3 leads, at every call")
    if len({n for size in sizes for n in requests[size]}) != 1:
        raise SystemExit("finding related leads made a different number of storage requests by leads stored")


if __name__ == "__main__":
    main()
