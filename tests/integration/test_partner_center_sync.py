"""The Partner Center pull on real Azurite against the local Partner Center stub."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from azure.data.tables import TableClient

from devhost.azurite import Azurite
from shared.adapters.lead_repository import LeadRepository
from shared.adapters.storage_clients import LEADS_TABLE
from shared.config import load_settings
from shared.domain import lifecycle
from shared.domain.enums import HistoryAction, Qualification, SyncState
from shared.domain.partner_center import referral_key
from shared.services import intake, lead_changes, partner_center_sync
from shared.services.container import Services
from tests.conftest import Clock
from tests.support.leads import unique_partner
from tests.support.partner_center_stub import PartnerCenterStub, make_referral, stub_referrals
from tests.support.queues import HeldQueues


@pytest.fixture
def partner() -> str:
    return unique_partner("pc")


@pytest.fixture
def synced(
    services: Services, app_env: dict[str, str], partner_center: PartnerCenterStub, partner: str, clock: Clock
) -> Iterator[Services]:
    """Services whose Partner Center is the stub, syncing `partner`."""
    partner_center.clock = clock
    settings = load_settings({**app_env, **partner_center.settings(partner)})
    built = dataclasses.replace(services, settings=settings)
    # The session's host would validate the stored leads while the test reads their history.
    built.queues = HeldQueues()
    yield built


def stored_lead(services: Services, partner: str, referral_id: str) -> Any:
    lead_id = services.leads.lead_id_for_key(partner, referral_key(referral_id))
    assert lead_id is not None, f"no lead for referral {referral_id}"
    stored = services.leads.get(partner, lead_id)
    assert stored is not None
    return stored


def history_actions(services: Services, partner: str, lead_id: str) -> list[HistoryAction]:
    return [entry.action for entry in services.leads.history(partner, lead_id)]


def test_first_sync_stores_every_referral_following_every_page(
    synced: Services, partner_center: PartnerCenterStub, partner: str
) -> None:
    seeded = list(stub_referrals(partner_center, 5))
    report = partner_center_sync.pull(synced, page_size=2)
    assert (report.listed, report.created, report.stopped_by) == (5, 5, None)
    assert len(partner_center.api_calls("GET")) == 3  # 2 + 2 + 1
    for referral in seeded:
        stored = stored_lead(synced, partner, referral["id"])
        link = stored.lead.partner_center
        assert link.referral_id == referral["id"]
        assert link.referral_etag == referral["eTag"]
        assert link.sync_state is SyncState.SYNCED
        assert stored.lead.qualification.value == referral["qualification"]
        assert stored.lead.customer.company == referral["customerProfile"]["name"]
        assert history_actions(synced, partner, stored.lead.id) == [HistoryAction.LEAD_CREATED]
        resource = stored.lead.to_resource(now=synced.clock(), urgency_hours=72, favorite=False, etag="e")
        assert set(resource["partnerCenter"]) == {"referralId", "syncState", "syncError", "syncedDateTime"}
    last = max(datetime.fromisoformat(r["updatedDateTime"].replace("Z", "+00:00")) for r in seeded)
    assert synced.partner_center_state.watermark(partner) == last
    assert partner in synced.partner_ids()


def test_incremental_sync_asks_from_the_watermark_and_touches_only_what_changed(
    synced: Services, partner_center: PartnerCenterStub, partner: str, clock: Clock
) -> None:
    list(stub_referrals(partner_center, 3))
    partner_center_sync.pull(synced)
    watermark = synced.partner_center_state.watermark(partner)
    before = stored_lead(synced, partner, "ref-000001")

    again = partner_center_sync.pull(synced)
    # The referral at the watermark comes again (`ge`), and its unchanged eTag writes nothing.
    assert (again.listed, again.created, again.updated, again.unchanged) == (1, 0, 0, 1)
    assert stored_lead(synced, partner, "ref-000001").etag == before.etag

    clock.advance(minutes=1)
    partner_center.update("ref-000001", lambda r: r["details"].update(notes="Now 60 servers."))
    partner_center.add(make_referral("ref-new", company="Contoso Pharma"))
    third = partner_center_sync.pull(synced, page_size=1)
    assert (third.created, third.updated) == (1, 1)
    assert (
        f"updatedDateTime ge {watermark:%Y-%m-%dT%H:%M:%S}"
        in partner_center.api_calls("GET")[-3].query["$filter"][0]
    )
    changed = stored_lead(synced, partner, "ref-000001")
    assert changed.lead.customer_need == "Now 60 servers."
    assert history_actions(synced, partner, changed.lead.id)[-1] is HistoryAction.PARTNER_CENTER_UPDATED
    assert stored_lead(synced, partner, "ref-new").lead.customer.company == "Contoso Pharma"


def test_a_page_of_referrals_is_looked_up_by_key_together_not_one_read_each(
    synced: Services, partner_center: PartnerCenterStub, partner: str, clock: Clock, azurite: Azurite
) -> None:
    list(stub_referrals(partner_center, 20))
    partner_center_sync.pull(synced)
    clock.advance(minutes=1)
    for index in range(20):
        partner_center.update(f"ref-{index:06d}", lambda r: r["details"].update(notes="Now 60 servers."))
    urls: list[str] = []
    table = TableClient.from_connection_string(
        azurite.connection_string,
        LEADS_TABLE,
        raw_request_hook=lambda request: urls.append(unquote(request.http_request.url)),
    )
    report = partner_center_sync.pull(dataclasses.replace(synced, leads=LeadRepository(table)))
    assert (report.listed, report.updated) == (20, 20)
    # 20 keys, 14 to a query: two requests for the page, where each referral used to read its own.
    assert len([url for url in urls if f"key|{referral_key('ref-')}" in url]) == 2
    assert stored_lead(synced, partner, "ref-000019").lead.customer_need == "Now 60 servers."


def test_merge_keeps_what_changed_here_and_takes_what_partner_center_changed(
    synced: Services, partner_center: PartnerCenterStub, partner: str, clock: Clock
) -> None:
    partner_center.add(make_referral("ref-m", phone="+49 30 901820", qualification="MarketingQualified"))
    partner_center_sync.pull(synced)
    stored = stored_lead(synced, partner, "ref-m")

    # Here: the phone is normalised (as contact validation does).
    def normalise(current: Any, now: datetime) -> lifecycle.Change:
        customer = current.lead.customer.model_copy(update={"phone": "+4930901820"})
        return lifecycle.record_validation(current.lead, {"customer": customer}, now=now, details={})

    lead_changes.change(synced, partner, stored.lead.id, normalise)
    # There: Microsoft qualifies the lead further and the contact's email changes.
    clock.advance(minutes=1)

    def in_partner_center(referral: dict[str, Any]) -> None:
        referral["qualification"] = "SalesQualified"
        referral["customerProfile"]["team"][0]["email"] = "j.weber@northwind.de"

    partner_center.update("ref-m", in_partner_center)
    report = partner_center_sync.pull(synced)
    assert report.updated == 1

    merged = stored_lead(synced, partner, "ref-m").lead
    assert merged.customer.phone == "+4930901820"  # changed here, not there: kept
    assert merged.customer.email == "j.weber@northwind.de"  # changed there: taken
    assert merged.qualification is Qualification.SALES_QUALIFIED
    assert merged.validated_date_time is None  # a new address is validated again
    entry = synced.leads.history(partner, merged.id)[-1]
    assert entry.action is HistoryAction.PARTNER_CENTER_UPDATED
    assert entry.details["changes"] == {
        "customer.email": {"from": "jonas@northwind.de", "to": "j.weber@northwind.de"},
        "qualification": {"from": "MarketingQualified", "to": "SalesQualified"},
    }


def test_an_expired_lead_takes_no_contact_details_again(
    synced: Services, partner_center: PartnerCenterStub, partner: str, clock: Clock
) -> None:
    old = datetime.now(UTC) - timedelta(days=20)
    partner_center.add(make_referral("ref-x", created=old))
    partner_center_sync.pull(synced)
    lead_id = stored_lead(synced, partner, "ref-x").lead.id
    lead_changes.change(
        synced, partner, lead_id, lambda s, now: lifecycle.expire(s.lead, now=now, history=())
    )
    clock.advance(minutes=1)
    partner_center.update("ref-x", lambda r: r["customerProfile"].update(name="Northwind AG"))
    partner_center_sync.pull(synced)
    lead = stored_lead(synced, partner, "ref-x").lead
    assert lead.customer.company == "Northwind AG"
    assert (lead.customer.first_name, lead.customer.email, lead.customer.phone) == (None, None, None)


def test_throttling_stops_the_run_and_the_next_run_resumes_without_duplicates(
    synced: Services, partner_center: PartnerCenterStub, partner: str
) -> None:
    list(stub_referrals(partner_center, 4))
    real = partner_center.handle_api
    calls = {"n": 0}

    def throttle_second_page(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            partner_center.throttle(1, retry_after=3)
        return real(*args)

    partner_center.handle_api = throttle_second_page  # type: ignore[method-assign]
    first = partner_center_sync.pull(synced, page_size=2)
    assert (first.created, first.stopped_by) == (2, "Throttled")
    partner_center.handle_api = real  # type: ignore[method-assign]
    second = partner_center_sync.pull(synced, page_size=2)
    assert second.created == 2
    assert second.unchanged == 1  # the one at the watermark, again
    for index in range(4):
        stored_lead(synced, partner, f"ref-{index:06d}")


def test_a_referral_that_cannot_become_a_lead_is_passed_over(
    synced: Services, partner_center: PartnerCenterStub, partner: str
) -> None:
    bad = make_referral("ref-bad")
    bad["customerProfile"]["name"] = ""
    partner_center.add(bad)
    partner_center.add(make_referral("ref-good"))
    report = partner_center_sync.pull(synced)
    assert (report.skipped, report.created) == (1, 1)
    assert synced.leads.lead_id_for_key(partner, referral_key("ref-bad")) is None
    assert synced.partner_center_state.watermark(partner) is not None


def test_a_referral_first_queued_then_pulled_is_one_lead_now_linked(
    synced: Services, partner_center: PartnerCenterStub, partner: str
) -> None:
    referral = partner_center.add(make_referral("ref-q"))
    queued = {**referral, "partnerId": partner}
    first = intake.ingest(synced, json.dumps(queued), intake.REFERRAL)
    assert stored_lead(synced, partner, "ref-q").lead.partner_center is None
    partner_center_sync.pull(synced)
    stored = stored_lead(synced, partner, "ref-q")
    assert stored.lead.id == first.lead_id
    assert stored.lead.partner_center.referral_etag == referral["eTag"]


def test_sync_is_off_without_an_api_url(services: Services, partner_center: PartnerCenterStub) -> None:
    assert services.settings.partner_center is None
    report = partner_center_sync.pull(services)
    assert report.listed == 0
    assert partner_center.requests == []
