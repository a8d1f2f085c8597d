"""The Leads table repository on a real Azurite: creation, concurrency, queries, favorites."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.lead_format import CURRENT_FORMAT_VERSION
from shared.adapters.lead_repository import ConcurrentUpdate, DuplicateLead, LeadRepository
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody
from shared.domain.enums import EmailValidity, HistoryAction, PhoneValidity, Quality, Tab
from shared.domain.intake_mapping import map_marketplace_lead, map_referral
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_query import LeadQuery, parse_lead_query
from shared.services.container import Services
from tests.support.leads import accept_body, marketplace_lead, referral, unique_partner

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo(services: Services) -> LeadRepository:
    return services.leads


def make_lead(
    partner: str, *, created: datetime = BASE, body: dict[str, Any] | None = None, **update: Any
) -> Lead:
    mapped = map_marketplace_lead(body or marketplace_lead(partner, created=created))
    lead = mapped.to_lead(new_lead_id(created), now=created, expiry_days=14)
    return lead.model_copy(update=update) if update else lead


def store(repo: LeadRepository, lead: Lead, key: str | None = None) -> Lead:
    change = lifecycle.created(lead)
    repo.create(change, key or f"test:{lead.id}")
    return change.lead


def ids(rows: Any) -> list[str]:
    return [stored.lead.id for stored in rows]


def test_create_and_get(repo: LeadRepository) -> None:
    partner = unique_partner()
    lead = store(repo, make_lead(partner))
    stored = repo.get(partner, lead.id)
    assert stored is not None
    assert stored.lead == lead
    assert stored.etag
    assert repo.lead_id_for_key(partner, f"test:{lead.id}") == lead.id
    assert [entry.action for entry in repo.history(partner, lead.id)] == [HistoryAction.LEAD_CREATED]
    assert repo.get(unique_partner(), lead.id) is None


def test_duplicate_key_names_the_existing_lead(repo: LeadRepository) -> None:
    partner = unique_partner()
    first = store(repo, make_lead(partner), key="mkt:dup")
    with pytest.raises(DuplicateLead) as raised:
        store(repo, make_lead(partner), key="mkt:dup")
    assert raised.value.lead_id == first.id
    assert ids(repo.query(partner, LeadQuery())) == [first.id]


def test_concurrent_creates_of_one_key_make_one_lead(repo: LeadRepository) -> None:
    partner = unique_partner()
    leads = [make_lead(partner) for _ in range(20)]

    def attempt(lead: Lead) -> str:
        try:
            store(repo, lead, key="mkt:race")
        except DuplicateLead as duplicate:
            return "duplicate:" + duplicate.lead_id
        return "created:" + lead.id

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, leads))
    created = [outcome.split(":", 1)[1] for outcome in outcomes if outcome.startswith("created:")]
    assert len(created) == 1
    assert all(
        outcome == "duplicate:" + created[0] for outcome in outcomes if outcome.startswith("duplicate:")
    )
    assert ids(repo.query(partner, LeadQuery())) == created


def test_save_with_a_stale_etag_is_a_concurrent_update(repo: LeadRepository) -> None:
    partner = unique_partner()
    lead = store(repo, make_lead(partner))
    stored = repo.get(partner, lead.id)
    assert stored is not None
    body = AcceptBody.model_validate(accept_body())
    new_etag = repo.save(lifecycle.accept(stored.lead, body, actor="u1", now=BASE), stored)
    assert new_etag != stored.etag
    with pytest.raises(ConcurrentUpdate):
        repo.save(lifecycle.accept(stored.lead, body, actor="u2", now=BASE), stored)
    history = repo.history(partner, lead.id)
    assert [entry.action for entry in history] == [HistoryAction.LEAD_CREATED, HistoryAction.LEAD_ACCEPTED]
    assert history[1].actor == "u1"


def seed_variety(repo: LeadRepository, partner: str) -> dict[str, Lead]:
    """Leads with different values in every filterable column, one hour apart."""
    specs: dict[str, dict[str, Any]] = {
        "contact_nl": {},
        "trial_de": {"action_code": "FreeTrial", "country": "DE", "source": "AzureMarketplace"},
        "portal_gb": {"action_code": "INS", "country": "UK", "source": "AzurePortal"},
        "spam_nl": {"company": "Spammy Ltd"},
    }
    leads: dict[str, Lead] = {}
    for hour, (name, spec) in enumerate(specs.items()):
        created = BASE + timedelta(hours=hour)
        lead = make_lead(partner, created=created, body=marketplace_lead(partner, created=created, **spec))
        if name == "spam_nl":
            lead = lead.model_copy(
                update={
                    "quality": Quality.LOW,
                    "email_validity": EmailValidity.SPAM,
                    "phone_validity": PhoneValidity.INVALID,
                }
            )
        elif name == "contact_nl":
            lead = lead.model_copy(
                update={
                    "quality": Quality.HIGH,
                    "email_validity": EmailValidity.VALID,
                    "phone_validity": PhoneValidity.VALID,
                }
            )
        leads[name] = store(repo, lead)
    created = BASE + timedelta(hours=10)
    mapped = map_referral(referral(partner, created=created, qualification="MarketingQualified"))
    leads["qualified"] = store(repo, mapped.to_lead(new_lead_id(created), now=created, expiry_days=14))
    return leads


@pytest.fixture
def variety(repo: LeadRepository) -> tuple[str, dict[str, Lead]]:
    partner = unique_partner()
    return partner, seed_variety(repo, partner)


FILTER_CASES = [
    ({}, ["spam_nl", "portal_gb", "trial_de", "contact_nl"]),
    ({"tab": "qualified"}, ["qualified"]),
    ({"callToAction": "FreeTrial,DownloadNow"}, ["portal_gb", "trial_de"]),
    ({"leadSource": "AzurePortal"}, ["portal_gb"]),
    ({"leadType": "Profile"}, []),
    ({"tab": "qualified", "leadType": "Profile"}, ["qualified"]),
    ({"country": "NL"}, ["spam_nl", "contact_nl"]),
    ({"country": "GB,DE"}, ["portal_gb", "trial_de"]),
    ({"quality": "Low"}, ["spam_nl"]),
    ({"stage": "Informational"}, ["portal_gb", "trial_de"]),
    ({"status": "Received"}, ["spam_nl", "contact_nl"]),
    ({"emailValidity": "Valid,Spam"}, ["spam_nl", "contact_nl"]),
    ({"phoneValidity": "Invalid"}, ["spam_nl"]),
    ({"customerName": "SPAMMY"}, ["spam_nl"]),
    ({"country": "NL", "quality": "High"}, ["contact_nl"]),
]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_filters_are_pushed_down_and_exact(
    repo: LeadRepository, variety: tuple[str, dict[str, Lead]], params: dict[str, str], expected: list[str]
) -> None:
    partner, leads = variety
    query, errors = parse_lead_query(params)
    assert errors == []
    assert ids(repo.query(partner, query)) == [leads[name].id for name in expected]


def test_created_range_is_a_row_key_range(repo: LeadRepository, variety: tuple[str, dict[str, Lead]]) -> None:
    partner, leads = variety
    # contact_nl at 12:00, trial_de 13:00, portal_gb 14:00, spam_nl 15:00.
    query, _ = parse_lead_query({"createdFrom": "2026-11-01T13:00:00Z", "createdTo": "2026-11-01T15:00:00Z"})
    assert ids(repo.query(partner, query)) == [leads["portal_gb"].id, leads["trial_de"].id]
    query, _ = parse_lead_query({"createdFrom": "2026-11-01T13:00:00.001Z"})
    assert ids(repo.query(partner, query)) == [leads["spam_nl"].id, leads["portal_gb"].id]
    query, _ = parse_lead_query({"createdTo": "2026-11-01T12:00:00.001Z"})
    assert ids(repo.query(partner, query)) == [leads["contact_nl"].id]
    query, _ = parse_lead_query({"createdFrom": "2026-11-02"})
    assert ids(repo.query(partner, query)) == []


def test_paging_after_a_lead_id(repo: LeadRepository) -> None:
    partner = unique_partner()
    stored = [store(repo, make_lead(partner, created=BASE + timedelta(minutes=i))) for i in range(7)]
    newest_first = [lead.id for lead in reversed(stored)]
    assert ids(repo.query(partner, LeadQuery())) == newest_first
    assert ids(repo.query(partner, LeadQuery(), after=newest_first[2])) == newest_first[3:]
    assert ids(repo.query(partner, LeadQuery(), after=newest_first[-1])) == []
    # Small storage pages still give every lead once.
    assert ids(repo.query(partner, LeadQuery(), page_size=2)) == newest_first


def test_favorites_are_per_user(repo: LeadRepository) -> None:
    partner = unique_partner()
    first, second = (store(repo, make_lead(partner, created=BASE + timedelta(minutes=i))) for i in range(2))
    repo.set_favorite(partner, "alice", first.id, BASE)
    repo.set_favorite(partner, "alice", first.id, BASE)  # twice is harmless
    repo.set_favorite(partner, "bob@example.com", second.id, BASE)
    repo.set_favorite(partner, "weird/user#id", second.id, BASE)
    assert repo.favorite_ids(partner, "alice") == {first.id}
    assert repo.favorite_ids(partner, "bob@example.com") == {second.id}
    assert repo.favorite_ids(partner, "weird/user#id") == {second.id}
    assert repo.favorite_ids(partner, "carol") == set()
    assert repo.is_favorite(partner, "alice", first.id)
    assert not repo.is_favorite(partner, "alice", second.id)
    repo.remove_favorite(partner, "alice", first.id)
    assert repo.favorite_ids(partner, "alice") == set()
    assert ids(repo.get_many(partner, [second.id, first.id, "0" * 23])) == sorted([first.id, second.id])
    # The favorites rows do not show up as leads.
    assert len(ids(repo.query(partner, LeadQuery(tab=Tab.FAVORITES)))) == 2


@pytest.mark.parametrize("character", ["x", "é", "😀"])
def test_large_lead_round_trip(services: Services, repo: LeadRepository, character: str) -> None:
    partner = unique_partner()
    notes = character * 30_000  # 30 KB or more of notes; 60,000 UTF-16 code units of emoji
    lead = store(repo, make_lead(partner, customer_need=notes))
    stored = repo.get(partner, lead.id)
    assert stored is not None
    assert stored.lead.customer_need == notes
    assert ids(repo.query(partner, LeadQuery())) == [lead.id]
    # Every stored string property stays within Table Storage's 32K UTF-16 code units.
    raw = services.clients.table("Leads").get_entity(partner, f"lead|{lead.id}")
    sizes = [len(value.encode("utf-16-le")) // 2 for value in raw.values() if isinstance(value, str)]
    assert raw["Chunks"] > 1
    assert max(sizes) <= 32_767


def test_a_lead_row_stored_before_formats_had_a_version_reads_and_is_rewritten_versioned(
    services: Services, repo: LeadRepository
) -> None:
    partner = unique_partner()
    lead = make_lead(partner)
    table = services.clients.table("Leads")
    # The row as this service wrote it before: the API model's JSON, no FormatVersion column.
    old_row = {
        "PartitionKey": partner,
        "RowKey": f"lead|{lead.id}",
        "Chunks": 1,
        "Data0": lead.model_dump_json(by_alias=True),
        "Stage": lead.stage.value,
        "Qualification": lead.qualification.value,
        "LeadType": lead.lead_type.value,
    }
    table.create_entity(old_row)
    assert "FormatVersion" not in table.get_entity(partner, f"lead|{lead.id}")

    stored = repo.get(partner, lead.id)
    assert stored is not None and stored.lead == lead
    assert ids(repo.query(partner, LeadQuery())) == [lead.id]
    assert ids(repo.get_many(partner, [lead.id])) == [lead.id]

    body = AcceptBody.model_validate(accept_body())
    repo.save(lifecycle.accept(stored.lead, body, actor="u1", now=BASE), stored)
    assert table.get_entity(partner, f"lead|{lead.id}")["FormatVersion"] == CURRENT_FORMAT_VERSION
    accepted = repo.get(partner, lead.id)
    assert accepted is not None and accepted.lead.deal is not None


def test_a_new_lead_row_names_its_format_version(services: Services, repo: LeadRepository) -> None:
    partner = unique_partner()
    lead = store(repo, make_lead(partner))
    assert (
        services.clients.table("Leads").get_entity(partner, f"lead|{lead.id}")["FormatVersion"]
        == CURRENT_FORMAT_VERSION
    )


HOSTILE = [
    "O'Brien & Sons",
    "x' or PartitionKey ne 'x",
    "x') or (RowKey ne '",
    "@pk",
    "a or b",
    '"quoted"',
    "Zoë Ünïcode ß 北京",
    "rocket 🚀 emoji",
    "back\\slash",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_stored_and_filtered_safely(repo: LeadRepository, value: str) -> None:
    partner = unique_partner()
    other = unique_partner()
    store(repo, make_lead(other))
    body = marketplace_lead(partner, company=value)
    lead = make_lead(partner, body=body)
    lead = store(
        repo, lead.model_copy(update={"customer": lead.customer.model_copy(update={"country": value})})
    )
    plain = store(repo, make_lead(partner, created=BASE - timedelta(hours=1)))
    stored = repo.get(partner, lead.id)
    assert stored is not None and stored.lead.customer.company == value
    # A filter value is a value: it matches only rows holding exactly that text.
    exact = LeadQuery(columns={"Country": frozenset({value})})
    assert ids(repo.query(partner, exact)) == [lead.id]
    query, _ = parse_lead_query({"customerName": value})
    assert ids(repo.query(partner, query)) == [lead.id]
    assert ids(repo.query(partner, LeadQuery())) == [lead.id, plain.id]


@pytest.mark.parametrize("value", ["x' or PartitionKey ne 'x", "x' or '1' eq '1", "@pk", "' or RowKey gt '"])
def test_hostile_values_never_widen_a_query(repo: LeadRepository, value: str) -> None:
    partner = unique_partner()
    store(repo, make_lead(partner))
    assert ids(repo.query(partner, LeadQuery(columns={"Country": frozenset({value})}))) == []
    assert ids(repo.query(value, LeadQuery())) == []
    assert repo.favorite_ids(value, value) == set()
    assert repo.get(partner, value) is None
