"""Azure's limits, enforced by the storage clients the service and the tests use, on Azurite.

Azurite takes a `$filter` of any length, any batch, any entity and any queue message; Azure
does not. The first tests show the clients refuse what Azure refuses, with Azure's status and
error code. The others build the cases that broke those limits in Azure (a user with 20
favorites, a list filtered by 12 countries and 2 statuses) and show they now work.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableClient

from shared.adapters.azure_limits import MAX_BATCH_OPERATIONS, MAX_FILTER_COMPARISONS, MAX_QUEUE_MESSAGE_BYTES
from shared.domain import lifecycle
from shared.domain.enums import Role, Status, Tab
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_query import LeadQuery, ListRequest, ReadOrder, ReadPlan, parse_lead_query
from shared.domain.principal import Principal
from shared.services import leads as lead_service
from shared.services.container import Services
from tests.support.leads import marketplace_lead, unique_partner

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TWELVE_COUNTRIES = ("NL", "DE", "BE", "FR", "ES", "IT", "PT", "AT", "CH", "DK", "SE", "NO")


@pytest.fixture
def table(services: Services) -> TableClient:
    return services.clients.table("LimitsProbe")


def _status_and_code(error: HttpResponseError) -> tuple[int | None, str]:
    return error.status_code, str(getattr(error, "error_code", None) or error.message)


# --- the clients refuse what Azure refuses ------------------------------------------------------


def test_a_filter_of_sixteen_comparisons_is_refused_and_fifteen_pass(table: TableClient) -> None:
    partition = uuid.uuid4().hex
    table.create_entity({"PartitionKey": partition, "RowKey": "r0"})

    def rows(comparisons: int) -> list[dict[str, object]]:
        names = [f"r{n}" for n in range(comparisons - 1)]
        text = f"PartitionKey eq @pk and ( {' or '.join(f'RowKey eq @{name}' for name in names)} )"
        return list(
            table.query_entities(text, parameters={"pk": partition, **{name: name for name in names}})
        )

    assert [row["RowKey"] for row in rows(MAX_FILTER_COMPARISONS)] == ["r0"]
    with pytest.raises(HttpResponseError) as refused:
        rows(MAX_FILTER_COMPARISONS + 1)
    assert refused.value.status_code == 400
    assert refused.value.error_code == "InvalidInput"
    assert "16 comparisons" in str(refused.value)


def test_a_transaction_of_one_hundred_and_one_operations_is_refused(table: TableClient) -> None:
    partition = uuid.uuid4().hex

    def transaction(count: int) -> None:
        table.submit_transaction(
            [("upsert", {"PartitionKey": partition, "RowKey": f"r{n:03d}"}) for n in range(count)]
        )

    transaction(MAX_BATCH_OPERATIONS)
    with pytest.raises(HttpResponseError) as refused:
        transaction(MAX_BATCH_OPERATIONS + 1)
    assert (refused.value.status_code, refused.value.error_code) == (400, "InvalidInput")


def test_properties_over_64_kib_and_entities_over_1_mib_are_refused(table: TableClient) -> None:
    partition = uuid.uuid4().hex
    table.upsert_entity({"PartitionKey": partition, "RowKey": "fits", "Text": "é" * 32 * 1024})

    with pytest.raises(HttpResponseError) as property_refused:
        table.upsert_entity({"PartitionKey": partition, "RowKey": "big", "Text": "é" * (32 * 1024 + 1)})
    assert (property_refused.value.status_code, property_refused.value.error_code) == (
        400,
        "PropertyValueTooLarge",
    )

    too_big = {
        "PartitionKey": partition,
        "RowKey": "huge",
        **{f"P{n:02d}": "x" * 32 * 1024 for n in range(17)},
    }
    with pytest.raises(HttpResponseError) as entity_refused:
        table.submit_transaction([("upsert", too_big)])
    assert (entity_refused.value.status_code, entity_refused.value.error_code) == (400, "EntityTooLarge")
    with pytest.raises(HttpResponseError):
        table.get_entity(partition, "huge")


def test_a_queue_message_over_64_kib_after_base64_is_refused(services: Services) -> None:
    queue = services.clients.queue("limits-probe")
    queue.send_message("x" * (MAX_QUEUE_MESSAGE_BYTES // 4 * 3))
    with pytest.raises(HttpResponseError) as refused:
        queue.send_message("x" * (MAX_QUEUE_MESSAGE_BYTES // 4 * 3 + 1))
    assert (refused.value.status_code, refused.value.error_code) == (413, "RequestBodyTooLarge")


# --- the cases that broke in Azure --------------------------------------------------------------


def _store(
    services: Services, partner: str, *, minutes: int, country: str = "NL", status: Status | None = None
) -> Lead:
    created = BASE + timedelta(minutes=minutes)
    mapped = map_marketplace_lead(marketplace_lead(partner, created=created, country=country))
    lead = mapped.to_lead(new_lead_id(created), now=created, expiry_days=14)
    if status is not None:
        lead = lead.model_copy(update={"status": status})
    services.leads.create(lifecycle.created(lead), f"test:{lead.id}")
    return lead


def _principal(partner: str, user: str = "fan") -> Principal:
    return Principal(user, partner, frozenset({Role.REFERRALS_ADMIN}), None, None)


def test_the_favorites_tab_of_a_user_with_twenty_favorites(services: Services) -> None:
    partner = unique_partner()
    with ThreadPoolExecutor(8) as pool:
        leads = list(pool.map(lambda n: _store(services, partner, minutes=n), range(24)))
    favorites = leads[:20]
    # More ids than one filter can name next to its partition (1 + 14 comparisons).
    assert len(favorites) > MAX_FILTER_COMPARISONS - 1
    for lead in favorites:
        services.leads.set_favorite(partner, "fan", lead.id, BASE)
    principal = _principal(partner)
    query = LeadQuery(tab=Tab.FAVORITES)

    page = lead_service.list_leads(services, principal, ListRequest(query, 50, ReadPlan(ReadOrder.CREATED)))

    assert [lead["id"] for lead in page.leads] == sorted(lead.id for lead in favorites)
    assert all(lead["favorite"] for lead in page.leads)
    assert lead_service.count_leads(services, principal, query) == lead_service.LeadCount(20, exact=True)


def test_a_list_filtered_by_twelve_countries_and_two_statuses(services: Services) -> None:
    partner = unique_partner()
    wanted = [
        _store(services, partner, minutes=n, country=country, status=Status.ACCEPTED if n % 2 else None)
        for n, country in enumerate(TWELVE_COUNTRIES)
    ]
    _store(services, partner, minutes=20, country="US")  # another country
    _store(services, partner, minutes=21, country="NL", status=Status.DECLINED)  # another status
    query, errors = parse_lead_query(
        {"country": ",".join(TWELVE_COUNTRIES), "status": "Received,Accepted", "tab": "marketplace"}
    )
    assert errors == []
    principal = _principal(partner)

    page = lead_service.list_leads(services, principal, ListRequest(query, 50, ReadPlan(ReadOrder.CREATED)))

    assert sorted(lead["id"] for lead in page.leads) == sorted(lead.id for lead in wanted)
    assert lead_service.count_leads(services, principal, query) == lead_service.LeadCount(
        len(TWELVE_COUNTRIES), exact=True
    )
