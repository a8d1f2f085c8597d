"""The list on Azurite: bounded reads under any filter, the expiry sort, search, and their index rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import ServiceResponseError

from shared.adapters.lead_repository import LeadRepository, lead_entity
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody
from shared.domain.enums import Role
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_query import ListRequest, encode_continuation, parse_list_request
from shared.domain.principal import Principal
from shared.services import leads as lead_service
from shared.services.container import Services
from tests.support.leads import accept_body, marketplace_lead, unique_partner
from tests.support.storage_count import StorageCounter, counted_table

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_lead(
    partner: str, minutes: int, *, company: str = "Fabrikam BV", action: str = "PLT", **extra: Any
) -> Lead:
    created = BASE + timedelta(minutes=minutes)
    body = marketplace_lead(partner, created=created, company=company, action_code=action, **extra)
    return map_marketplace_lead(body).to_lead(new_lead_id(created), now=created, expiry_days=14)


def store(services: Services, lead: Lead) -> Lead:
    services.leads.create(lifecycle.created(lead), f"test:{lead.id}")
    return lead


def principal(partner: str) -> Principal:
    return Principal("u1", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)


def request(params: dict[str, str]) -> ListRequest:
    parsed, errors = parse_list_request(params)
    assert errors == []
    return parsed


def pages(services: Services, partner: str, params: dict[str, str]) -> Iterator[list[str]]:
    """Every page of the list, following the tokens as the portal does."""
    token: str | None = None
    while True:
        page = lead_service.list_leads(
            services,
            principal(partner),
            request({**params, **({"continuationToken": token} if token else {})}),
        )
        yield [lead["id"] for lead in page.leads]
        if page.resume is None:
            return
        token = encode_continuation(page.resume)


def all_ids(services: Services, partner: str, params: dict[str, str]) -> list[str]:
    return [lead_id for page in pages(services, partner, params) for lead_id in page]


def seed_lead_rows(services: Services, leads: list[Lead]) -> None:
    """The lead rows alone, 100 per transaction (upserts: a batch whose answer a loaded Azurite
    dropped is sent again)."""
    table = services.leads._table
    for start in range(0, len(leads), 100):
        batch = [("upsert", lead_entity(lead)) for lead in leads[start : start + 100]]
        for attempt in range(5):
            try:
                table.submit_transaction(batch)
                break
            except ServiceResponseError:
                if attempt == 4:
                    raise


@pytest.fixture
def counted(services: Services, app_env: dict[str, str]) -> tuple[Services, StorageCounter]:
    counter = StorageCounter()
    table = counted_table(app_env["AzureWebJobsStorage"], "Leads", counter)
    return dataclasses.replace(services, leads=LeadRepository(table)), counter


def test_a_rare_filter_over_many_leads_reads_a_bounded_number_of_rows_per_request(
    services: Services, counted: tuple[Services, StorageCounter]
) -> None:
    partner = unique_partner()
    rare = {5, 1500, 1900}  # none among the newest 1,000
    leads = [
        make_lead(partner, n, company="Zeldzaam Rare BV" if n in rare else f"Common {n}") for n in range(3000)
    ]
    seed_lead_rows(services, leads)
    counted_services, counter = counted
    # `customerName` is a substring test storage cannot do: every lead row is read and tested here.
    params = {"customerName": "zeldzaam", "top": "50"}

    per_request: list[tuple[int, int]] = []
    found: list[str] = []
    token: str | None = None
    while True:
        counter.reset()
        page = lead_service.list_leads(
            counted_services,
            principal(partner),
            request({**params, **({"continuationToken": token} if token else {})}),
        )
        per_request.append(counter.snapshot())
        found += [lead["id"] for lead in page.leads]
        if page.resume is None:
            break
        token = encode_continuation(page.resume)

    assert sorted(found) == sorted(leads[n].id for n in rare)
    assert len(per_request) == 3  # 1,000 rows a request: 3,000 leads, three requests
    # Each request: at most 5 lead pages (51, 102, 204, 408, 235 rows), the favorites query, and,
    # when it found leads, one query for their related-leads marks (14 leads to a query).
    assert all(
        requests <= 7 and rows <= lead_service.LEAD_ROWS_PER_REQUEST + 3 for requests, rows in per_request
    )
    # A read that found nothing yet still says where to go on: the first 1,000 leads hold none.
    paged = list(pages(services, partner, {**params, "createdFrom": "2026-11-01T13:00:00Z"}))
    assert [len(page) for page in paged] == [0, 2, 0]


def test_sort_by_expiry_soonest_first_then_without_expiry_newest_first(services: Services) -> None:
    partner = unique_partner()
    # Lifecycle leads expire 14 days after creation; a free trial (informational) has no expiry.
    old = store(services, make_lead(partner, 0))
    newer = store(services, make_lead(partner, 10))
    trial_old = store(services, make_lead(partner, 5, action="FreeTrial"))
    newest = store(services, make_lead(partner, 20))
    trial_new = store(services, make_lead(partner, 30, action="FreeTrial"))
    expected = [old.id, newer.id, newest.id, trial_new.id, trial_old.id]

    assert all_ids(services, partner, {"sort": "expiry"}) == expected
    paged = list(pages(services, partner, {"sort": "expiry", "top": "2"}))
    assert paged[:3] == [expected[0:2], expected[2:4], expected[4:5]]
    # A filter combines with the order (read in order, tested in process).
    assert all_ids(services, partner, {"sort": "expiry", "callToAction": "FreeTrial"}) == [
        trial_new.id,
        trial_old.id,
    ]
    assert all_ids(services, partner, {"sort": "expiry", "q": "fabrikam", "top": "1"}) == expected


def test_search_finds_by_the_start_of_any_word_once_and_pages(services: Services) -> None:
    partner = unique_partner()
    eva = store(services, make_lead(partner, 0, company="Fabrikam BV"))
    emile = store(
        services,
        make_lead(
            partner,
            1,
            company="Crème Brûlée Évents",
            UserDetails={
                "FirstName": "Émile",
                "LastName": "Évers",
                "Email": "emile@events.example.org",
                "Phone": "+31 20 794 0000",
                "Country": "NL",
                "Company": "Crème Brûlée Évents",
                "Title": "CEO",
            },
        ),
    )
    other = store(services, make_lead(partner, 2, company="Northwind Traders"))

    # Results come in the order of the matched word, newest first within one word.
    assert all_ids(services, partner, {"q": "fab"}) == [other.id, eva.id]  # Eva's email: eva@fabrikam.nl
    assert all_ids(services, partner, {"q": "EVA  De"}) == [other.id, eva.id]
    assert all_ids(services, partner, {"q": "northwind fabrik"}) == [other.id]
    assert all_ids(services, partner, {"q": "creme brul"}) == [emile.id]
    assert all_ids(services, partner, {"q": "émile"}) == [emile.id]
    # "ev" starts three words of Émile's lead (events, evers, ...) and Eva's: each lead once, top=1.
    assert sorted(all_ids(services, partner, {"q": "ev", "top": "1"})) == sorted([eva.id, emile.id, other.id])
    assert all_ids(services, partner, {"q": "north creme"}) == []
    assert all_ids(services, partner, {"q": "events.example"}) == [emile.id]
    assert all_ids(services, partner, {"q": "fab", "tab": "qualified"}) == []


def test_index_rows_follow_a_renamed_company_and_an_expiry(services: Services) -> None:
    partner = unique_partner()
    lead = store(services, make_lead(partner, 0, company="Fabrikam BV"))
    stored = services.leads.get(partner, lead.id)
    assert stored is not None
    change = lifecycle.accept(stored.lead, AcceptBody.model_validate(accept_body()), actor="u", now=BASE)
    renamed = change.lead.model_copy(
        update={"customer": change.lead.customer.model_copy(update={"company": "Contoso Ltd"})}
    )
    services.leads.save(dataclasses.replace(change, lead=renamed), stored)

    assert all_ids(services, partner, {"q": "fabrikam bv"}) == []
    assert all_ids(services, partner, {"q": "contoso ltd"}) == [lead.id]

    other = store(services, make_lead(partner, 1))
    before = services.leads.get(partner, other.id)
    assert before is not None
    assert all_ids(services, partner, {"q": "vries"}) == [other.id, lead.id]
    services.leads.save(lifecycle.expire(before.lead, now=BASE + timedelta(days=15)), before)

    assert all_ids(services, partner, {"q": "vries"}) == [lead.id]
    words = [
        row["RowKey"]
        for row in services.leads._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner, "lo": "word|", "hi": "word}"},
        )
        if row["RowKey"].endswith(other.id)
    ]
    assert sorted(word.split("|")[1] for word in words) == ["bv", "fabrikam"]
