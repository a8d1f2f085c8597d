"""Derived rows on Azurite: written in the lead's transaction, exact under racing writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import UpdateMode

from shared.adapters.lead_repository import (
    DERIVED_ROWS_COLUMN,
    ConcurrentUpdate,
    DuplicateLead,
    LeadRepository,
)
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody
from shared.domain.derived_rows import TallyDelta
from shared.domain.intake_mapping import UnprocessableLead, map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.services import derived_backfill
from shared.services.container import Services
from tests.support.derived import ByStage
from tests.support.leads import accept_body, marketplace_lead, unique_partner

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACCEPT = AcceptBody.model_validate(accept_body())


@pytest.fixture
def repo(services: Services) -> LeadRepository:
    return LeadRepository(services.leads._table, contributors=(ByStage(),))


def new_lead(partner: str, minutes: int = 0, country: str = "NL") -> Lead:
    created = BASE + timedelta(minutes=minutes)
    mapped = map_marketplace_lead(marketplace_lead(partner, created=created, country=country))
    return mapped.to_lead(new_lead_id(created), now=created, expiry_days=14)


def row_keys(repo: LeadRepository, partner: str, prefix: str) -> list[str]:
    rows = repo._table.query_entities(
        "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
        parameters={"pk": partner, "lo": prefix, "hi": prefix[:-1] + "}"},
        select=["RowKey"],
    )
    return sorted(row["RowKey"] for row in rows)


def accept(repo: LeadRepository, partner: str, lead_id: str) -> None:
    """Accept as the change path does: read, decide, save; a lost race reads again."""
    while True:
        stored = repo.get(partner, lead_id)
        assert stored is not None
        try:
            repo.save(lifecycle.accept(stored.lead, ACCEPT, actor="u", now=BASE), stored)
            return
        except ConcurrentUpdate:
            continue


def test_a_new_lead_and_its_change_keep_rows_and_tallies_with_it(repo: LeadRepository) -> None:
    partner = unique_partner()
    lead = new_lead(partner)
    repo.create(lifecycle.created(lead), f"k|{lead.id}")

    assert row_keys(repo, partner, "stage|") == [f"stage|Received|{lead.id}"]
    assert repo.tally(partner, "count|all") == {"All": 1, "Received": 1}

    accept(repo, partner, lead.id)

    assert row_keys(repo, partner, "stage|") == [f"stage|Accepted|{lead.id}"]
    assert repo.tally(partner, "count|all") == {"All": 1, "Received": 0, "Accepted": 1}
    assert repo.tally(partner, "count|country|NL") == {"All": 1}


def test_racing_intake_and_transitions_keep_every_tally_exact(repo: LeadRepository) -> None:
    partner = unique_partner()
    leads = [new_lead(partner, minutes=index, country="NL" if index % 3 else "BE") for index in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda lead: repo.create(lifecycle.created(lead), f"k|{lead.id}"), leads))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda lead: accept(repo, partner, lead.id), leads[:10]))

    assert repo.tally(partner, "count|all") == {"All": 24, "Received": 14, "Accepted": 10}
    assert repo.tally(partner, "count|country|BE")["All"] == 8
    assert repo.tally(partner, "count|country|NL")["All"] == 16
    assert len(row_keys(repo, partner, "stage|Accepted|")) == 10
    assert len(row_keys(repo, partner, "stage|Received|")) == 14


def test_a_redelivered_lead_is_a_duplicate_and_counted_once(repo: LeadRepository) -> None:
    partner = unique_partner()
    lead = new_lead(partner)
    repo.create(lifecycle.created(lead), "same-key")
    again = new_lead(partner, minutes=1)

    with pytest.raises(DuplicateLead, match=lead.id):
        repo.create(lifecycle.created(again), "same-key")

    assert repo.tally(partner, "count|all") == {"All": 1, "Received": 1}


def test_a_lead_stored_before_derived_rows_gets_them_all_on_its_next_change(repo: LeadRepository) -> None:
    partner = unique_partner()
    lead = new_lead(partner)
    LeadRepository(repo._table, contributors=()).create(lifecycle.created(lead), f"k|{lead.id}")
    strip_derived_rows(repo, partner, lead.id)
    stored = repo.get(partner, lead.id)
    assert stored is not None and stored.derived_version is None

    accept(repo, partner, lead.id)

    assert row_keys(repo, partner, "stage|") == [f"stage|Accepted|{lead.id}"]
    assert repo.tally(partner, "count|all") == {"All": 1, "Accepted": 1}
    again = repo.get(partner, lead.id)
    assert again is not None and again.derived_version is not None


def test_large_sums_are_kept_as_64_bit_integers(repo: LeadRepository) -> None:
    partner = unique_partner()
    for _ in range(2):
        repo._table.submit_transaction(
            repo.tally_operations(partner, [TallyDelta("money", {"EUR": 2**31}, 1)])
        )

    assert repo.tally(partner, "money") == {"EUR": 2**32}


def strip_derived_rows(repo: LeadRepository, partner: str, lead_id: str) -> None:
    """Make a stored lead look as it did before derived rows existed."""
    entity = repo._table.get_entity(partner, f"lead|{lead_id}")
    del entity[DERIVED_ROWS_COLUMN]
    repo._table.upsert_entity(entity, mode=UpdateMode.REPLACE)


def test_the_backfill_gives_old_leads_their_rows_once_in_resumable_chunks(
    services: Services, repo: LeadRepository
) -> None:
    partner = unique_partner()
    plain = LeadRepository(repo._table, contributors=())
    leads = [new_lead(partner, minutes=index) for index in range(7)]
    for lead in leads:
        plain.create(lifecycle.created(lead), f"k|{lead.id}")
        strip_derived_rows(repo, partner, lead.id)
    services.leads = repo

    first = derived_backfill.backfill_chunk(services, partner, None, limit=4)
    rest = derived_backfill.backfill_chunk(services, partner, first.next_after, limit=4)
    again = derived_backfill.backfill_chunk(services, partner, None, limit=10)

    assert (first.read, first.written, rest.read, rest.written, rest.next_after) == (4, 4, 3, 3, None)
    assert (again.read, again.written) == (7, 0)
    assert repo.tally(partner, "count|all") == {"All": 7, "Received": 7}
    assert len(row_keys(repo, partner, "stage|Received|")) == 7


def test_the_backfill_message_starts_every_partner_or_one_chunk() -> None:
    assert derived_backfill.backfill_message(b"{}") == (None, None)
    assert derived_backfill.backfill_message(b'{"partnerId": "contoso"}') == ("contoso", None)
    for bad in (
        b"[]",
        b'{"partnerId": 5}',
        b'{"partnerId": "a/b"}',
        b'{"partnerId": "p", "after": "x"}',
        b"{",
    ):
        with pytest.raises(UnprocessableLead):
            derived_backfill.backfill_message(bad)
