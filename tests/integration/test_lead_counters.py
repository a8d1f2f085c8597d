"""Tab counters and the action center on Azurite: exact under racing writers, repaired by a recount,
and read at a cost that does not grow with the leads stored."""

from __future__ import annotations

import dataclasses
import json
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from azure.data.tables import TableClient, UpdateMode

from shared.adapters.lead_repository import DERIVED_ROWS_COLUMN, ConcurrentUpdate, LeadRepository
from shared.adapters.storage_clients import LEADS_TABLE
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody, CloseBody, DeclineBody
from shared.domain.enums import Role, Tab
from shared.domain.intake_mapping import UnprocessableLead
from shared.domain.lead import Lead
from shared.domain.lead_counters import SHARDS, tab_counter_key, tab_of
from shared.domain.lead_query import LeadQuery
from shared.domain.principal import Principal
from shared.services import derived_backfill, intake, leads, sweeps
from shared.services.container import Services
from tests.conftest import Clock
from tests.support.leads import accept_body, marketplace_lead, referral, unique_partner

ACCEPT = AcceptBody.model_validate(accept_body())
DECLINE = DeclineBody.model_validate({"reason": "NotACustomer"})
WON = CloseBody.model_validate({"outcome": "Won"})


def principal(partner: str, user: str = "user-1") -> Principal:
    return Principal(user, partner, frozenset({Role.REFERRALS_ADMIN}), None, None)


def truth(services: Services, partner: str) -> dict[str, Counter[str]]:
    """Per tab, how many leads are stored in each stage, by reading every lead."""
    found: dict[str, Counter[str]] = {Tab.MARKETPLACE.value: Counter(), Tab.QUALIFIED.value: Counter()}
    for stored in services.leads.query(partner, LeadQuery(tab=None)):
        found[tab_of(stored.lead.qualification).value][stored.lead.stage.value] += 1
    return found


def assert_counters_exact(services: Services, partner: str) -> None:
    for tab, stages in truth(services, partner).items():
        sums = services.leads.tally(partner, f"count|{tab}")
        assert sums.get("All", 0) == sum(stages.values()), tab
        assert {stage: n for stage, n in sums.items() if stage != "All" and n} == dict(stages), tab
        count = leads.count_leads(services, principal(partner), LeadQuery(tab=Tab(tab)))
        assert (count.count, count.exact) == (sum(stages.values()), True)


def ingest_all(services: Services, partner: str, count: int) -> list[str]:
    bodies = [
        (
            json.dumps(marketplace_lead(partner, action_code="PLT" if n % 4 else "FreeTrial")),
            intake.MARKETPLACE,
        )
        if n % 3
        else (json.dumps(referral(partner, qualification="MarketingQualified")), intake.REFERRAL)
        for n in range(count)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda item: intake.ingest(services, *item), bodies))
    return [result.lead_id for result in results]


def accept(lead: Lead, now: datetime) -> lifecycle.Change:
    return lifecycle.accept(lead, ACCEPT, actor="u", now=now)


def decline(lead: Lead, now: datetime) -> lifecycle.Change:
    return lifecycle.decline(lead, DECLINE, actor="u", now=now)


def win(lead: Lead, now: datetime) -> lifecycle.Change:
    return lifecycle.close(lead, WON, actor="u", now=now)


def change(services: Services, partner: str, lead_id: str, decide: Any) -> None:
    leads.change_lead(services, principal(partner), lead_id, decide, if_match=None)


def test_counters_stay_exact_under_racing_intake_and_transitions(services: Services) -> None:
    partner = unique_partner("cnt")
    lead_ids = ingest_all(services, partner, 30)
    # A redelivery is one lead: counted once.
    assert_counters_exact(services, partner)
    assert sum(truth(services, partner)["marketplace"].values()) == 20

    lifecycle_ids = [
        stored.lead.id
        for stored in services.leads.get_many(partner, lead_ids)
        if stored.lead.stage.value == "Received"
    ]
    to_accept, to_decline = lifecycle_ids[:8], lifecycle_ids[8:12]
    moves = [(lead_id, accept) for lead_id in to_accept] + [(lead_id, decline) for lead_id in to_decline]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda move: change(services, partner, *move), moves))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda lead_id: change(services, partner, lead_id, win), to_accept[:4]))

    assert_counters_exact(services, partner)
    stages = truth(services, partner)
    assert stages["marketplace"]["Accepted"] + stages["qualified"]["Accepted"] == 4
    stage_count = leads.count_leads(
        services,
        principal(partner),
        LeadQuery(tab=Tab.MARKETPLACE, columns={"Stage": frozenset({"Archived"})}),
    )
    assert (stage_count.count, stage_count.exact) == (stages["marketplace"]["Archived"], True)


def test_expiry_moves_leads_out_of_received(services: Services, clock: Clock) -> None:
    partner = unique_partner("exp")
    lead_ids = ingest_all(services, partner, 6)
    clock.advance(days=15)
    for lead_id in lead_ids:
        sweeps.expire_if_due(services, partner, lead_id, now=clock())

    assert_counters_exact(services, partner)
    stages = truth(services, partner)
    assert stages["marketplace"]["Received"] == stages["qualified"]["Received"] == 0
    assert stages["marketplace"]["Archived"] + stages["qualified"]["Archived"] >= 4


def test_favorites_count_once_under_repeated_and_racing_puts_and_deletes(services: Services) -> None:
    partner = unique_partner("fav")
    lead_ids = ingest_all(services, partner, 4)
    caller = principal(partner, "racer")
    leads.set_favorite(services, caller, lead_ids[0], True)
    leads.set_favorite(services, caller, lead_ids[0], True)
    assert leads.count_leads(services, caller, LeadQuery(tab=Tab.FAVORITES)).count == 1
    leads.set_favorite(services, caller, lead_ids[0], False)
    leads.set_favorite(services, caller, lead_ids[0], False)
    assert leads.count_leads(services, caller, LeadQuery(tab=Tab.FAVORITES)).count == 0

    chooser = random.Random(7)
    moves = [(chooser.choice(lead_ids), chooser.random() < 0.6) for _ in range(60)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda move: leads.set_favorite(services, caller, *move), moves))

    marked = services.leads.favorite_ids(partner, "racer")
    counted = leads.count_leads(services, caller, LeadQuery(tab=Tab.FAVORITES))
    assert (counted.count, counted.exact) == (len(marked), True)
    # Another user's favorites are theirs.
    assert leads.count_leads(services, principal(partner, "other"), LeadQuery(tab=Tab.FAVORITES)).count == 0


def test_a_filtered_count_reads_a_bounded_window_and_says_whether_it_is_exact(
    services: Services, monkeypatch: Any
) -> None:
    partner = unique_partner("win")
    ingest_all(services, partner, 12)
    query = LeadQuery(tab=Tab.MARKETPLACE, columns={"CallToAction": frozenset({"ContactMe"})})
    full = leads.count_leads(services, principal(partner), query)
    direct_contact = sum(1 for stored in services.leads.query(partner, query))
    assert (full.count, full.exact) == (direct_contact, True)

    monkeypatch.setattr(leads, "COUNT_BUDGET", 5)
    partial = leads.count_leads(services, principal(partner), query)
    assert partial.exact is False and partial.count <= 5


def strip_derived_rows(services: Services, partner: str) -> None:
    """Make every stored lead look as it did before derived rows existed, and drop the rows."""
    table = services.leads._table
    for row in table.query_entities("PartitionKey eq @pk", parameters={"pk": partner}):
        key = row["RowKey"]
        if key.startswith("lead|"):
            del row[DERIVED_ROWS_COLUMN]
            table.upsert_entity(row, mode=UpdateMode.REPLACE)
        elif key.startswith(("count|marketplace|", "count|qualified|", "open|")):
            table.delete_entity(partner, key)


def counter_rows(services: Services, partner: str) -> dict[str, dict[str, Any]]:
    rows = services.leads._table.query_entities(
        "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
        parameters={"pk": partner, "lo": "count|", "hi": "count}"},
    )
    return {
        row["RowKey"]: {k: v for k, v in row.items() if k not in ("PartitionKey", "RowKey")} for row in rows
    }


def test_the_backfill_and_the_recount_are_idempotent(services: Services) -> None:
    partner = unique_partner("fill")
    lead_ids = ingest_all(services, partner, 9)
    leads.set_favorite(services, principal(partner, "fan"), lead_ids[0], True)
    leads.set_favorite(services, principal(partner, "fan"), lead_ids[1], True)
    strip_derived_rows(services, partner)
    assert services.leads.tally(partner, "count|marketplace") == {}

    for _ in range(2):
        derived_backfill.backfill_chunk(services, partner, None, limit=4)
        derived_backfill.backfill_chunk(services, partner, None, limit=100)
        assert_counters_exact(services, partner)

    # Counters gone wrong (a favorite counted before counters existed, a lost shard): repaired.
    table = services.leads._table
    table.upsert_entity({"PartitionKey": partner, "RowKey": "count|marketplace|3", "All": 40, "Received": 40})
    table.delete_entity(partner, "count|fav|fan|0")
    table.upsert_entity({"PartitionKey": partner, "RowKey": "count|fav|ghost|0", "All": 3})
    first = derived_backfill.run(services, json.dumps({"recount": partner}).encode())
    after_first = counter_rows(services, partner)
    second = derived_backfill.recount(services, partner)

    assert counter_rows(services, partner) == after_first
    assert first.counters == second.counters
    assert_counters_exact(services, partner)
    assert leads.count_leads(services, principal(partner, "fan"), LeadQuery(tab=Tab.FAVORITES)).count == 2
    assert leads.count_leads(services, principal(partner, "ghost"), LeadQuery(tab=Tab.FAVORITES)).count == 0


def test_a_recount_racing_intake_loses_no_lead(services: Services) -> None:
    partner = unique_partner("race")
    ingest_all(services, partner, 5)
    done = threading.Event()

    def keep_ingesting() -> None:
        while not done.is_set():
            ingest_all(services, partner, 2)

    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = pool.submit(keep_ingesting)
        try:
            for _ in range(3):
                derived_backfill.recount(services, partner)
        finally:
            done.set()
        writer.result()
    assert_counters_exact(services, partner)


def test_a_recount_whose_count_includes_a_lead_stored_after_its_snapshot_is_refused(
    services: Services,
) -> None:
    """The lead landed in a shard row the recount's snapshot did not hold. Were that row left as
    it is, its one would be counted twice: there, and in the recount's sums that include the lead."""
    key = tab_counter_key(Tab.MARKETPLACE)
    while True:  # until the lead's random shard is not 0 (7 times in 8)
        partner = unique_partner("snap")
        snapshot = services.leads.tally_snapshot(partner, f"{key}|")
        intake.ingest(services, json.dumps(marketplace_lead(partner)), intake.MARKETPLACE)
        if f"{key}|0" not in services.leads.tally_snapshot(partner, f"{key}|"):
            break
    counted = {key: {"All": 1, "Received": 1}}

    with pytest.raises(ConcurrentUpdate):
        services.leads.rewrite_tallies(partner, snapshot, counted, {key: SHARDS})

    derived_backfill.recount(services, partner)
    assert services.leads.tally(partner, key) == {"All": 1, "Received": 1}


def test_recount_messages_are_checked() -> None:
    assert derived_backfill.recount_message(b'{"recount": "contoso"}') == "contoso"
    assert derived_backfill.recount_message(b'{"partnerId": "contoso"}') is None
    for bad in (b'{"recount": 5}', b'{"recount": "a/b"}', b'{"recount": "p", "after": "x"}'):
        with pytest.raises(UnprocessableLead):
            derived_backfill.recount_message(bad)


# -- cost ---------------------------------------------------------------------------------


class StorageMeter:
    """Counts the storage requests a table client sends and the rows its answers carry."""

    def __init__(self) -> None:
        self.requests = 0
        self.rows = 0

    def request(self, _request: Any) -> None:
        self.requests += 1

    def response(self, response: Any) -> None:
        try:
            body = json.loads(response.http_response.text() or "{}")
        except ValueError:
            return
        self.rows += len(body.get("value", [])) if isinstance(body, dict) else 0


def metered(services: Services) -> tuple[Services, StorageMeter]:
    meter = StorageMeter()
    table = TableClient.from_connection_string(
        services.settings.storage.connection_string or "",
        LEADS_TABLE,
        raw_request_hook=meter.request,
        raw_response_hook=meter.response,
    )
    return dataclasses.replace(services, leads=LeadRepository(table)), meter


def cost(services: Services, partner: str) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    reads = {
        "actions": lambda counted: leads.recommended_actions(counted, principal(partner), top=20, after=None),
        "marketplace count": lambda counted: leads.count_leads(counted, principal(partner), LeadQuery()),
        "favorites count": lambda counted: leads.count_leads(
            counted, principal(partner), LeadQuery(tab=Tab.FAVORITES)
        ),
    }
    for name, read in reads.items():
        counted, meter = metered(services)
        read(counted)
        found[name] = (meter.requests, meter.rows)
    return found


def test_the_action_center_and_tab_counts_cost_the_same_beside_many_unrelated_leads(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner("cost")
    open_ids = ingest_all(services, partner, 3)
    page = leads.recommended_actions(services, principal(partner), top=20, after=None)
    before = cost(services, partner)

    # Leads that need nothing: informational ones, and declined ones.
    repo = services.leads
    with ThreadPoolExecutor(max_workers=8) as pool:
        informational = [json.dumps(marketplace_lead(partner, action_code="FreeTrial")) for _ in range(60)]
        list(pool.map(lambda body: intake.ingest(services, body, intake.MARKETPLACE), informational))
        declined = [json.dumps(marketplace_lead(partner)) for _ in range(40)]
        new_ids = list(
            pool.map(lambda body: intake.ingest(services, body, intake.MARKETPLACE).lead_id, declined)
        )
        list(pool.map(lambda lead_id: change(services, partner, lead_id, decline), new_ids))

    assert sum(1 for _ in repo.query(partner, LeadQuery(tab=None))) == 103
    after = cost(services, partner)
    # The center reads its two key ranges and the rows of the three open leads, before and after.
    assert after["actions"] == before["actions"] == (2, 3)
    # A count reads one tally: a request, and at most its shard rows, whatever is stored.
    for name in ("marketplace count", "favorites count"):
        assert after[name][0] == before[name][0] == 1
        assert after[name][1] <= SHARDS
    again = leads.recommended_actions(services, principal(partner), top=20, after=None)
    assert again.summary == page.summary
    assert {item.lead_id for item in again.items} == {item.lead_id for item in page.items} <= set(open_ids)
