"""Shared benchmark helpers: a private Azurite and local host, request counting, result tables.

Every benchmark starts its own in-memory Azurite on free ports (and, when it needs one,
the local functions host on a free port), so runs never disturb `make run` or the tests.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from azure.core.pipeline import PipelineRequest  # noqa: E402
from azure.data.tables import TableServiceClient  # noqa: E402
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy  # noqa: E402

from devhost.azurite import Azurite  # noqa: E402
from devhost.process import HostProcess  # noqa: E402
from shared.adapters.storage_clients import StorageClients  # noqa: E402
from shared.config import DEFAULT_SCHEDULES, load_settings  # noqa: E402
from shared.services.container import Services  # noqa: E402


def app_environment(azurite: Azurite, outbox: Path) -> dict[str, str]:
    """The settings the service runs with in a benchmark, as in the tests."""
    return {
        "AzureWebJobsStorage": azurite.connection_string,
        "OUTBOX_DIR": str(outbox),
        "EMAIL_DELIVERABILITY_CHECK": "off",
        "PORTAL_BASE_URL": "http://127.0.0.1:7071",
        **DEFAULT_SCHEDULES,
    }


@dataclass
class Stack:
    azurite: Azurite
    env: dict[str, str]
    workdir: Path

    def services(self, clients: StorageClients | None = None) -> Services:
        built = Services.build(load_settings(self.env))
        if clients is not None:
            return rebuilt_on(built, clients)
        return built

    @contextlib.contextmanager
    def host(self, disabled: Sequence[str] = ()) -> Iterator[HostProcess]:
        """The local host on this stack; `disabled` functions are switched off as in Azure."""
        log_path = self.workdir / "host.log"
        switches = {f"AzureWebJobs.{name}.Disabled": "true" for name in disabled}
        with HostProcess(
            cwd=REPO_ROOT, env={**self.env, **switches, "PYTHONDONTWRITEBYTECODE": "1"}, log_path=log_path
        ) as host:
            yield host


@contextlib.contextmanager
def azurite_stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir, Azurite() as azurite:
        path = Path(workdir)
        yield Stack(azurite, app_environment(azurite, path / "outbox"), path)


class CountingPolicy:
    """Counts every HTTP request an SDK client sends, by operation (method and resource kind).

    Installed as the clients' `raw_request_hook`, which azure-core calls once per request
    sent on the wire (retries included).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        path = http.url.split("?", 1)[0].rstrip("/")
        resource = path.rsplit("/", 1)[-1]
        if resource == "$batch":
            kind = "table batch"
        elif resource == "messages":
            kind = "queue messages"
        elif "(" in resource and not resource.endswith("()"):
            kind = "table entity"  # `Leads(PartitionKey=..,RowKey=..)`; `Leads()` is a query
        elif "/messages/" in path:
            kind = "queue message"
        else:
            kind = "table query"
        with self._lock:
            self.counts[f"{http.method} {kind}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()


class CountingStorageClients(StorageClients):
    """StorageClients whose table and queue clients count their requests; otherwise the product's
    (its connection pool, timeouts and retries: a retried request is counted too)."""

    def __init__(self, storage: Any, policy: CountingPolicy) -> None:
        super().__init__(storage)
        self.policy = policy

    def table_service(self) -> TableServiceClient:
        assert self._storage.connection_string
        return TableServiceClient.from_connection_string(
            self._storage.connection_string,
            transport=self._transport(),
            raw_request_hook=self.policy,
            **self._table_retry(),
        )

    def _new_queue_client(self, name: str) -> QueueClient:
        assert self._storage.connection_string
        return QueueClient.from_connection_string(
            self._storage.connection_string,
            name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
            raw_request_hook=self.policy,
            **self._queue_retry(),
        )


def rebuilt_on(built: Services, clients: StorageClients) -> Services:
    """The same services, on other storage clients."""
    from shared.adapters.due_index import DueIndex
    from shared.adapters.lead_repository import LeadRepository
    from shared.adapters.message_queues import EventPublisher, MessageQueues
    from shared.adapters.storage_clients import DUE_TABLE, LEADS_TABLE

    leads = LeadRepository(clients.table(LEADS_TABLE))
    queues = MessageQueues(clients)
    return Services(
        settings=built.settings,
        clients=clients,
        leads=leads,
        due=DueIndex(clients.table(DUE_TABLE)),
        queues=queues,
        events=EventPublisher(leads, queues),
        clock=built.clock,
    )


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(fraction * 100) - 1]


def timed(action: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds per call of `action`, `repeat` times."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(cell) for cell in header], *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


SEED_BATCH_ROWS = 100  # Azurite breaks on batches of more than 100 operations
SEED_ATTEMPTS = 5


def seed_leads(table: Any, count: int, make_lead: Callable[[int], Any], *, threads: int = 4) -> float:
    """Store `make_lead(0..count-1)` in batched upserts of 100; returns the seconds taken.

    Each lead goes with its derived rows (index rows, and its share of the tallies, summed
    here and written once at the end into shard 0), as the repository would have written them,
    so counts and the action center see the seeded leads. Upserts, so a batch whose answer was
    lost (Azurite drops a connection now and then under load) can simply be sent again. Leads
    are built in the worker threads, so a large seed never holds more than a few batches in memory.
    """
    import threading
    from collections import defaultdict
    from concurrent.futures import ThreadPoolExecutor

    from azure.core.exceptions import ServiceResponseError
    from azure.data.tables import EdmType, EntityProperty

    from shared.adapters.lead_repository import lead_entity
    from shared.domain import lead_rows
    from shared.domain.derived_rows import derived_change

    started = time.perf_counter()
    lock = threading.Lock()
    tallies: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def submit(batch: list[Any]) -> None:
        for attempt in range(SEED_ATTEMPTS):
            try:
                table.submit_transaction(batch)
                return
            except ServiceResponseError:
                if attempt == SEED_ATTEMPTS - 1:
                    raise
                time.sleep(0.5)

    def store(first: int) -> None:
        rows: dict[str, list[Any]] = defaultdict(list)
        for n in range(first, min(first + SEED_BATCH_ROWS, count)):
            lead = make_lead(n)
            derived = derived_change(None, lead, lead_rows.CONTRIBUTORS)
            rows[lead.partner_id].append(("upsert", lead_entity(lead)))
            for row in derived.put:
                entity = {"PartitionKey": lead.partner_id, "RowKey": row.row_key, **row.columns}
                rows[lead.partner_id].append(("upsert", entity))
            with lock:
                for tally in derived.tallies:
                    for column, amount in tally.amounts.items():
                        tallies[(lead.partner_id, tally.key)][column] += int(amount)
        for operations in rows.values():
            for start in range(0, len(operations), SEED_BATCH_ROWS):
                submit(operations[start : start + SEED_BATCH_ROWS])

    with ThreadPoolExecutor(threads) as pool:
        for done, _ in enumerate(pool.map(store, range(0, count, SEED_BATCH_ROWS)), start=1):
            if done % 100 == 0:
                print(
                    f"  seeded {done * SEED_BATCH_ROWS} in {time.perf_counter() - started:.0f} s", flush=True
                )
    for (partner_id, key), amounts in tallies.items():
        columns = {column: EntityProperty(amount, EdmType.INT64) for column, amount in amounts.items()}
        table.upsert_entity({"PartitionKey": partner_id, "RowKey": f"{key}|0", **columns})
    return time.perf_counter() - started


def seed_created_leads(
    table: Any,
    partner_id: str,
    count: int,
    make_lead: Callable[[int], Any],
    *,
    threads: int = 3,
    progress: int = 2000,
) -> float:
    """Store `make_lead(0..count-1)` (leads of one new partner) with exactly the rows
    `LeadRepository.create` would have written for them; returns the seconds taken.

    Per lead: its idempotency key row (`key|bench:<id>`), the lead, its first history entry and
    `LeadCreated` outbox event (`lifecycle.created`), and every contributor's index rows. Several
    leads go in one entity-group transaction of at most 100 operations (a lead's rows are never
    split), instead of one `create` each: `create` reads the tally shards it adds to first, which
    makes it one lead per round trip and a few leads a second on the emulator. The tallies (tab
    counters, insights figures, ...) are summed here over every seeded lead and written once at
    the end as each tally's shard 0 (Int64 columns), as the recount leaves them. So the partner
    must be new (its rows are created, so a second seed into it fails). A batch whose answer a
    loaded Azurite dropped is sent again, and one that then finds its rows there had landed. Leads
    are built in the worker threads, so a large seed holds only a few batches in memory.
    """
    from collections import defaultdict
    from concurrent.futures import ThreadPoolExecutor

    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    from azure.data.tables import TableTransactionError

    from shared.adapters.lead_repository import _change_operations, _stored_amount, lead_entity
    from shared.domain import lead_rows, lifecycle
    from shared.domain.derived_rows import derived_change

    started = time.perf_counter()
    lock = threading.Lock()
    tallies: dict[str, dict[str, int | float]] = defaultdict(lambda: defaultdict(int))
    stored = 0

    def submit(batch: list[Any]) -> None:
        for attempt in range(SEED_ATTEMPTS):
            try:
                table.submit_transaction(batch)
                return
            except TableTransactionError as error:
                # Sent again after a lost answer: the first send landed (a transaction is atomic).
                if attempt == 0 or getattr(error, "status_code", None) != 409:
                    raise
                return
            except (ServiceResponseError, ServiceRequestError):
                if attempt == SEED_ATTEMPTS - 1:
                    raise
                time.sleep(1.0)

    def rows_of(lead: Any) -> list[Any]:
        assert lead.partner_id == partner_id, "one partner per seed: a transaction holds one partition"
        change = lifecycle.created(lead)
        lead = change.lead
        derived = derived_change(None, lead, lead_rows.CONTRIBUTORS)
        key = {"PartitionKey": partner_id, "RowKey": f"key|bench:{lead.id}", "LeadId": lead.id}
        rows = [key, lead_entity(lead), *(entity for _, entity in _change_operations(change))]
        rows += [{"PartitionKey": partner_id, "RowKey": row.row_key, **row.columns} for row in derived.put]
        with lock:
            for tally in derived.tallies:
                for column, amount in tally.amounts.items():
                    tallies[tally.key][column] += amount
        # Creates, as `create` sends them; the emulator looks an upsert's row up twice, a create's once.
        return [("create", row) for row in rows]

    def store(first: int) -> None:
        nonlocal stored
        batch: list[Any] = []
        last = min(first + 100, count)
        for n in range(first, last):
            operations = rows_of(make_lead(n))
            if len(batch) + len(operations) > SEED_BATCH_ROWS:
                submit(batch)
                batch = []
            batch += operations
        if batch:
            submit(batch)
        with lock:
            before, stored = stored, stored + last - first
            if stored // progress > before // progress:
                print(f"  {partner_id}: {stored} leads in {time.perf_counter() - started:.0f} s", flush=True)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(store, range(0, count, 100)))
    shards = [
        {
            "PartitionKey": partner_id,
            "RowKey": f"{key}|0",
            **{column: _stored_amount(amount) for column, amount in sorted(amounts.items())},
        }
        for key, amounts in sorted(tallies.items())
    ]
    for start in range(0, len(shards), SEED_BATCH_ROWS):
        submit([("create", row) for row in shards[start : start + SEED_BATCH_ROWS]])
    return time.perf_counter() - started
