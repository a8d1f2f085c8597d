"""Related leads: the storage requests and time of finding a lead's related leads, by leads stored.

Run: .venv/bin/python bench/bench_related.py [--sizes 1000,20000] [--requests 50]

For each size, one partner holds that many leads of distinct customers (seeded with batched
transactions: each lead's entity and its email key's `cust|<key>|<leadId>` index row, as the
repository writes them), plus one customer with four leads stored through the repository itself. Then
`leads.related_leads` for one of those four is counted (requests on the wire, through the SDK's
request hook) and timed. Target: the same number of requests at every size (the lookup reads the
lead, its at most three keys' index rows and the related leads by id, never a scan).
"""

from __future__ import annotations

import argparse
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ServiceResponseError
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


def seed(stack: Stack, partner: str, count: int) -> None:
    table = stack.services().clients.table("Leads")
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

    with ThreadPoolExecutor(1) as pool:
        list(pool.map(store, range(0, count, BATCH_LEADS)))


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--requests", type=int, default=50)
    arguments = parser.parse_args()
    rows = []
    with azurite_stack() as stack:
        policy = CountingPolicy()
        counted = stack.services(CountingStorageClients(stack.services().clients._storage, policy))
        for size in (int(part) for part in arguments.sizes.split(",")):
            partner = f"related-{size}-{uuid.uuid4().hex[:6]}"
            seed(stack, partner, size)
            lead_ids = customer_leads(stack, partner)
            caller = Principal("bench", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)
            found = leads.related_leads(counted, caller, lead_ids[0])  # warm: tables and clients created
            assert sorted(lead["id"] for lead in found) == sorted(lead_ids[1:]), found
            policy.reset()
            leads.related_leads(counted, caller, lead_ids[0])
            requests = dict(policy.counts)
            target = lead_ids[0]
            samples = timed(
                lambda caller=caller, target=target: leads.related_leads(counted, caller, target),
                arguments.requests,
            )
            rows.append(
                (
                    f"{size + 4:,}",
                    sum(requests.values()),
                    ", ".join(f"{kind} {n}" for kind, n in sorted(requests.items())),
                    f"{percentile(samples, 0.5):.1f}",
                    f"{percentile(samples, 0.95):.1f}",
                )
            )
    print_table(
        "Related leads of one lead (3 related), by leads stored in the partner",
        ("leads stored", "requests", "by kind", "p50 ms", "p95 ms"),
        rows,
    )


if __name__ == "__main__":
    main()
