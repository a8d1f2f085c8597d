"""Intake on real Azurite: partner registration survives a failure, the partner allow-list, dates."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient

from shared.adapters.storage_clients import PARTNERS_TABLE, StorageClients
from shared.domain.intake_mapping import UnprocessableLead
from shared.services import intake
from shared.services.container import Services
from tests.support.leads import marketplace_lead, referral, unique_partner


class PartnersTableMissingOnce(StorageClients):
    """Real clients, except that the first use of `Partners` goes to a table that does not exist,
    so its write fails in storage as a transient outage would."""

    def __init__(self, clients: StorageClients) -> None:
        super().__init__(clients._storage)
        self.failures_left = 1

    def table(self, name: str) -> TableClient:
        if name == PARTNERS_TABLE and self.failures_left:
            self.failures_left -= 1
            return self.table_service().get_table_client(f"Missing{uuid.uuid4().hex}")
        return super().table(name)


def test_a_redelivery_registers_the_partner_a_failed_first_delivery_did_not(services: Services) -> None:
    partner = unique_partner()
    flaky = dataclasses.replace(services, clients=PartnersTableMissingOnce(services.clients))
    body = json.dumps(marketplace_lead(partner))
    with pytest.raises(ResourceNotFoundError):
        intake.ingest(flaky, body, intake.MARKETPLACE)
    # The lead and its key row were stored before registration failed.
    redelivered = intake.ingest(flaky, body, intake.MARKETPLACE)
    assert redelivered.created is False
    assert partner in services.partner_ids()


def test_only_partners_on_the_allow_list_are_taken_in(services: Services) -> None:
    accepted, other = unique_partner(), unique_partner()
    limited = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, intake_partner_ids=frozenset({accepted}))
    )
    assert intake.ingest(limited, json.dumps(marketplace_lead(accepted)), intake.MARKETPLACE).created
    for raw, mapper in (
        (json.dumps(marketplace_lead(other)), intake.MARKETPLACE),
        (json.dumps(referral(other)), intake.REFERRAL),
    ):
        with pytest.raises(UnprocessableLead, match="not in INTAKE_PARTNER_IDS"):
            intake.ingest(limited, raw, mapper)
    assert other not in services.partner_ids()
    assert services.leads.get(other, "0" * 23) is None


@pytest.mark.parametrize(
    "created", ["9999-12-31", "9999-12-31T23:00:00-05:00", "2300-01-01T00:00:00Z", "1960-01-01"]
)
def test_an_impossible_creation_time_is_refused_before_anything_is_stored(
    services: Services, created: str
) -> None:
    partner = unique_partner()
    with pytest.raises(UnprocessableLead, match="CreatedTime"):
        intake.ingest(
            services, json.dumps(marketplace_lead(partner, CreatedTime=created)), intake.MARKETPLACE
        )
    assert partner not in services.partner_ids()


def test_a_lead_created_just_now_by_a_clock_ahead_of_ours_is_kept(services: Services) -> None:
    partner = unique_partner()
    body = marketplace_lead(partner, created=services.clock() + timedelta(hours=23))
    assert intake.ingest(services, json.dumps(body), intake.MARKETPLACE).created
