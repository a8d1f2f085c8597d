"""CSV export speed and memory through the local host, next to a raw SDK scan of the same rows.

Run: .venv/bin/python bench/bench_export.py [--leads 100000] [--keep-csv PATH]

Starts Azurite (in memory) and the local host, seeds one partner with `--leads` leads
in the repository's own entity format (batched transactions of 100 rows, not the
queue), then measures in the same run:

- the raw scan: `query_entities` over the partner's lead rows, iterating every entity;
- the export: `GET /api/leads/export` for that partner (every lead matches), the body
  read as it arrives;
- the host's memory: peak RSS (VmHWM) during the export over its idle RSS (VmRSS)
  just before, read from /proc of the host process.

Targets: the export at least 50% of the raw scan's rows/s; peak memory over idle
under 2x the CSV's size.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from azure.data.tables import TableClient
from common import seed_leads

from devhost.azurite import Azurite
from devhost.process import HostProcess
from shared.adapters.lead_repository import LEAD_PREFIX
from shared.adapters.storage_clients import LEADS_TABLE, StorageClients
from shared.config import DEFAULT_SCHEDULES, load_settings
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
from shared.domain.lead import Customer, Deal, Lead, Offer
from shared.domain.lead_ids import new_lead_id
from tests.support.principals import principal_header

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE_SHARE = 0.5
TARGET_MEMORY_FACTOR = 2.0
BATCH_ROWS = 100
SEED_THREADS = 4
SEED_ATTEMPTS = 5

COMPANIES = ["Ĳsselmeer Beheer", "Müller Straße GmbH", "Şişli İnşaat", "Fabrikam BV", "Northwind Traders"]
FIRST_NAMES = ["Eva", "Jürgen", "Ayşe", "Liam", "Sophie", "Yuki"]
LAST_NAMES = ["de Vries", "Müller", "Öztürk", "Smith", "Jansen", "Tanaka"]
COUNTRIES = ["NL", "DE", "TR", "US", "GB", "FR"]


@dataclass(frozen=True)
class Measure:
    rows: int
    seconds: float
    size: int = 0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def bench_lead(partner_id: str, n: int, now: datetime) -> Lead:
    """A realistic marketplace lead; about one in five accepted with a deal."""
    created = now - timedelta(seconds=17 * n + 1)
    accepted = n % 5 == 0
    valid_email = n % 7 != 0
    return Lead(
        id=new_lead_id(created),
        partner_id=partner_id,
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        lead_source=LeadSource.APPSOURCE,
        call_to_action=CallToAction.CONTACT_ME,
        offer=Offer(id="contoso-crm", title="Contoso CRM"),
        customer=Customer(
            company=f"{COMPANIES[n % len(COMPANIES)]} {n}",
            first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
            last_name=LAST_NAMES[n % len(LAST_NAMES)],
            email=f"contact{n}@example.com",
            phone="+31207940000" if n % 3 else "020 794 0000",
            title="Head of IT",
            country=COUNTRIES[n % len(COUNTRIES)],
            size="51to500employees",
        ),
        customer_need='We want a demo for 200 seats.\nPlease call us on "Tuesday", or email.',
        customer_requested_contact=True,
        stage=Stage.ACCEPTED if accepted else Stage.RECEIVED,
        status=Status.ACCEPTED if accepted else Status.RECEIVED,
        created_date_time=created,
        updated_date_time=created,
        expiration_date_time=created + timedelta(days=14),
        validated_date_time=created,
        email_validity=EmailValidity.VALID if valid_email else EmailValidity.SPAM,
        phone_validity=PhoneValidity.VALID,
        quality=Quality.HIGH if valid_email else Quality.LOW,
        spam_flags=[] if valid_email else ["spam_domain", "role_address"],
        deal=Deal(
            name=f"Rollout {n}",
            value=Decimal("25000") if n % 2 else Decimal("1234.5"),
            currency="EUR",
            estimated_close_date=date(2027, 3, 31),
            notes="Demo booked for next week.",
            campaign_id="spring-2027",
        )
        if accepted
        else None,
    )


def seed(table: TableClient, partner_id: str, count: int) -> float:
    """Store `count` leads in batched transactions; returns the seconds taken."""
    now = datetime.now(UTC)
    return seed_leads(table, count, lambda n: bench_lead(partner_id, n, now), threads=SEED_THREADS)


def raw_scan(table: TableClient, partner_id: str) -> Measure:
    """The SDK alone: every lead row of the partition, each entity deserialized and touched."""
    started = time.perf_counter()
    rows = 0
    size = 0
    entities = table.query_entities(
        "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
        parameters={"pk": partner_id, "lo": LEAD_PREFIX, "hi": "lead}"},
        results_per_page=1000,
    )
    for entity in entities:
        rows += 1
        size += len(entity["Data0"])
    return Measure(rows, time.perf_counter() - started, size)


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def export(api: httpx.Client, partner_id: str, params: dict[str, str] | None = None) -> tuple[Measure, bytes]:
    started = time.perf_counter()
    chunks: list[bytes] = []
    with api.stream(
        "GET", "/api/leads/export", params=params or {}, headers=principal_header(partner_id=partner_id)
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_raw(1 << 20):
            chunks.append(chunk)
    seconds = time.perf_counter() - started
    body = b"".join(chunks)
    rows = body.count(b"\r\n") - 1  # a close estimate: quoted notes hold CRLFs too
    return Measure(rows, seconds, len(body)), body


def count_rows(body: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(body[3:].decode("utf-8"), newline=""))) - 1


def mib(size: float) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--keep-csv", type=Path, help="write the export here (e.g. for bench/xlsx_check.py)")
    args = parser.parse_args()

    with Azurite() as azurite:
        env = {
            "AzureWebJobsStorage": azurite.connection_string,
            "EMAIL_DELIVERABILITY_CHECK": "off",
            "PORTAL_BASE_URL": "http://127.0.0.1:7071",
            **DEFAULT_SCHEDULES,
        }
        table = StorageClients(load_settings(env).storage).table(LEADS_TABLE)
        partner_id = "bench-export"
        seconds = seed(table, partner_id, args.leads)
        print(f"seeded {args.leads} leads in {seconds:.1f} s ({args.leads / seconds:,.0f} rows/s)")
        seed(table, "bench-warmup", 50)

        with (
            HostProcess(cwd=REPO_ROOT, env=env) as host,
            httpx.Client(base_url=host.base_url, timeout=600, trust_env=False) as api,
        ):
            assert host.process is not None
            pid = host.process.pid
            export(api, "bench-warmup")  # loads the code paths; the memory baseline follows
            time.sleep(0.5)
            idle_kib = proc_status_kib(pid, "VmRSS")
            reset_peak_rss(pid)

            scan = raw_scan(table, partner_id)
            timed, body = export(api, partner_id)
            peak_kib = proc_status_kib(pid, "VmHWM")
            rows = count_rows(body)
            assert rows == args.leads, f"exported {rows} rows, expected {args.leads}"
            scan_again = raw_scan(table, partner_id)
            timed_again, _ = export(api, partner_id)
            filtered, filtered_body = export(api, partner_id, {"quality": "high", "emailValidity": "valid"})

        if args.keep_csv:
            args.keep_csv.write_bytes(body)

    export_rate = rows / timed.seconds
    export_rate_again = rows / timed_again.seconds
    scan_rate = max(scan.rate, scan_again.rate)
    share = max(export_rate, export_rate_again) / scan_rate
    grown = (peak_kib - idle_kib) * 1024
    factor = grown / len(body)
    filtered_rows = count_rows(filtered_body)

    print(
        f"raw SDK scan:  {scan.rows} rows in {scan.seconds:.2f} s ({scan.rate:,.0f} rows/s), "
        f"again {scan_again.seconds:.2f} s ({scan_again.rate:,.0f} rows/s)"
    )
    print(
        f"export:        {rows} rows, {mib(len(body))} in {timed.seconds:.2f} s ({export_rate:,.0f} rows/s), "
        f"again {timed_again.seconds:.2f} s ({export_rate_again:,.0f} rows/s)"
    )
    print(f"filtered:      {filtered_rows} rows, {mib(filtered.size)} in {filtered.seconds:.2f} s")
    print(f"rate share:    {share:.0%} of the raw scan (target >= {TARGET_RATE_SHARE:.0%})")
    print(
        f"host memory:   idle {mib(idle_kib * 1024)}, peak {mib(peak_kib * 1024)}, "
        f"+{mib(grown)} = {factor:.2f}x the CSV (target < {TARGET_MEMORY_FACTOR:.1f}x)"
    )
    ok = share >= TARGET_RATE_SHARE and factor < TARGET_MEMORY_FACTOR
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
