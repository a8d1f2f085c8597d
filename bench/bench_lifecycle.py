"""Lifecycle costs: the expiry sweep against the number of stored leads, and one transition's latency.

Run: .venv/bin/python bench/bench_lifecycle.py [--due 50] [--small 1000] [--large 20000] [--accepts 200]

1. `expire_leads` with `--due` due leads among `--small` stored leads, and the same
   number due among `--large` stored leads, each on its own fresh Azurite, side by
   side: seconds and storage round trips (counted by an azure-core per-call policy).
   Target: the large case within 1.5x of the small one, because the sweep reads the
   due index, never the stored leads.
2. Accept through the local host (HTTP, principal header, If-Match-free path with
   its read, decision, entity-group transaction and event send) next to a raw SDK
   read plus conditional update of the same entity: p50 and p95 of each.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from azure.core import MatchConditions
from azure.core.pipeline.transport import HttpRequest, HttpResponse, HttpTransport, RequestsTransport
from azure.data.tables import TableServiceClient, UpdateMode
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from devhost.azurite import Azurite
from devhost.process import HostProcess
from shared.adapters.due_index import DueIndex, DueKind
from shared.adapters.lead_repository import LeadRepository, lead_entity, lead_row_key
from shared.adapters.message_queues import EventPublisher, MessageQueues
from shared.adapters.storage_clients import DUE_TABLE, LEADS_TABLE, StorageClients
from shared.config import DEFAULT_SCHEDULES, load_settings
from shared.domain.enums import LeadType, Qualification, Stage, Status
from shared.domain.lead import Customer, Lead
from shared.domain.lead_ids import new_lead_id
from shared.services import sweeps
from shared.services.container import Services

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
BATCH = 100  # Azurite breaks on larger entity-group transactions


class RequestCounter:
    """Counts storage round trips, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1


class CountingTransport(HttpTransport):
    """The SDK's own transport, counting each request it sends (retries included).

    A transport wrapper rather than a per-call policy: the tables client does not
    take `per_call_policies`, and this counts queues and tables the same way.
    """

    def __init__(self, counter: RequestCounter) -> None:
        self._inner = RequestsTransport()
        self._counter = counter

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self._counter.add()
        return self._inner.send(request, **kwargs)

    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        self._inner.close()

    def __exit__(self, *args: object) -> None:
        self._inner.__exit__(*args)


class CountingClients(StorageClients):
    def __init__(self, connection_string: str, counter: RequestCounter) -> None:
        super().__init__(load_settings({"AzureWebJobsStorage": connection_string}).storage)
        self._connection_string = connection_string
        self._counter = counter

    def table_service(self) -> TableServiceClient:
        return TableServiceClient.from_connection_string(
            self._connection_string, transport=CountingTransport(self._counter)
        )

    def _new_queue_client(self, name: str) -> QueueClient:
        return QueueClient.from_connection_string(
            self._connection_string,
            name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
            transport=CountingTransport(self._counter),
        )


def counting_services(connection_string: str, counter: RequestCounter) -> Services:
    app_settings = load_settings({"AzureWebJobsStorage": connection_string})
    clients = CountingClients(connection_string, counter)
    leads = LeadRepository(clients.table(LEADS_TABLE))
    queues = MessageQueues(clients)
    return Services(
        settings=app_settings,
        clients=clients,
        leads=leads,
        due=DueIndex(clients.table(DUE_TABLE)),
        queues=queues,
        events=EventPublisher(leads, queues),
    )


def make_lead(partner_id: str, created: datetime, now: datetime) -> Lead:
    return Lead(
        id=new_lead_id(created),
        partner_id=partner_id,
        lead_type=LeadType.PROFILE,
        qualification=Qualification.SALES_QUALIFIED,
        customer=Customer(
            company="Northwind Traders", first_name="Jonas", last_name="Weber", email="jonas@northwind.de"
        ),
        customer_need="Migrating 40 servers to Azure.",
        stage=Stage.RECEIVED,
        status=Status.RECEIVED,
        created_date_time=created,
        updated_date_time=now,
        expiration_date_time=created + timedelta(days=14),
        history_count=1,
    )


ROUNDS = 3


def seed(services: Services, partner_id: str, stored: int, due: int, rounds: int = 1) -> list[Lead]:
    """`stored` Received leads; `due` of them per round past their expiry, each with a due row.

    Round r's leads expired r + 1 days before the others (newest round first), so a
    sweep whose clock stands just after round r's expiry finds only that round due.
    """
    now = datetime.now(UTC)
    ages = [timedelta(days=15 + rounds - 1 - i // due) for i in range(due * rounds)]
    ages += [timedelta(days=1)] * (stored - len(ages))
    leads = [make_lead(partner_id, now - age, now) for age in ages]
    table = services.clients.table(LEADS_TABLE)
    for start in range(0, len(leads), BATCH):
        table.submit_transaction([("create", lead_entity(lead)) for lead in leads[start : start + BATCH]])
    for lead in leads[: due * rounds]:
        assert lead.expiration_date_time is not None
        services.due.schedule(DueKind.EXPIRE, partner_id, lead.id, lead.expiration_date_time)
    return leads


@dataclass
class SweepCost:
    stored: int
    seconds: float  # median over the rounds
    requests: int  # per round
    point_read_ms: float  # median raw `get_entity` on the same emulator, for scale


def sweep_cost(stored: int, due: int) -> SweepCost:
    with Azurite() as azurite:
        counter = RequestCounter()
        services = counting_services(azurite.connection_string, counter)
        leads = seed(services, "bench-partner", stored, due, ROUNDS)
        services.clients.queue("lead-events")  # create the queue outside the measurement
        table = services.clients.table(LEADS_TABLE)
        reads = []
        for lead in leads[-due:]:
            started = time.perf_counter()
            table.get_entity("bench-partner", lead_row_key(lead.id))
            reads.append((time.perf_counter() - started) * 1000)
        seconds, requests = [], []
        for round_index in range(ROUNDS):
            first = leads[round_index * due]
            assert first.expiration_date_time is not None
            moment = first.expiration_date_time + timedelta(minutes=1)
            services.clock = lambda moment=moment: moment
            counter.count = 0
            started = time.perf_counter()
            result = sweeps.expire_leads(services)
            seconds.append(time.perf_counter() - started)
            requests.append(counter.count)
            assert len(result.changed) == due, (round_index, len(result.changed))
        return SweepCost(stored, statistics.median(seconds), max(requests), statistics.median(reads))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def transition_latency(accepts: int) -> tuple[list[float], list[float]]:
    with Azurite() as azurite:
        env = {"AzureWebJobsStorage": azurite.connection_string, **DEFAULT_SCHEDULES}
        services = counting_services(azurite.connection_string, RequestCounter())
        partner_id = "bench-latency"
        leads = seed(services, partner_id, accepts, 0)
        header = {
            "X-MS-CLIENT-PRINCIPAL": base64.b64encode(
                json.dumps(
                    {
                        "auth_typ": "aad",
                        "claims": [
                            {"typ": "oid", "val": "bench-user"},
                            {"typ": "partner_id", "val": partner_id},
                            {"typ": "roles", "val": "ReferralsAdmin"},
                        ],
                    }
                ).encode()
            ).decode()
        }
        body = {
            "dealName": "Rollout",
            "estimatedValue": 1000,
            "currency": "EUR",
            "estimatedCloseDate": "2027-03-31",
            "notes": "Bench",
        }
        with (
            HostProcess(cwd=REPO_ROOT, env=env) as host,
            httpx.Client(base_url=host.base_url, timeout=30, trust_env=False) as client,
        ):
            client.get(f"/api/leads/{leads[0].id}", headers=header)  # warm up imports and clients
            http_ms: list[float] = []
            for lead in leads:
                started = time.perf_counter()
                response = client.post(f"/api/leads/{lead.id}/accept", json=body, headers=header)
                http_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
        table = services.clients.table(LEADS_TABLE)
        raw_ms: list[float] = []
        for lead in leads:
            started = time.perf_counter()
            entity = table.get_entity(partner_id, lead_row_key(lead.id))
            table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=entity.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            raw_ms.append((time.perf_counter() - started) * 1000)
        return http_ms, raw_ms


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--due", type=int, default=50)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--accepts", type=int, default=200)
    args = parser.parse_args()

    print(f"expire_leads, {args.due} due leads")
    costs = [sweep_cost(stored, args.due) for stored in (args.small, args.large)]
    for cost in costs:
        print(
            f"  {cost.stored:>6} stored: {cost.seconds:6.3f} s (median of {ROUNDS} sweeps)"
            f"  {cost.requests:4d} storage requests per sweep"
            f"  (emulator point read p50 {cost.point_read_ms:.1f} ms)"
        )
    ratio = costs[1].seconds / costs[0].seconds
    print(f"  time ratio large/small: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"  requests large/small: {costs[1].requests} / {costs[0].requests}")

    http_ms, raw_ms = transition_latency(args.accepts)
    print(f"accept, {args.accepts} leads, one after another")
    for label, samples in (("through the local host", http_ms), ("raw SDK read + update ", raw_ms)):
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        print(f"  {label}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
