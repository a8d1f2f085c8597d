"""Write-back end to end: a person's change over HTTP, answered at once as `Pending`, reaches the
referral in the local Partner Center through the queue function, and the lead turns `Synced`.

The host here has its own Azurite: the session's host (connected to no Partner Center) would
otherwise take write-back messages off the shared queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from devhost.azurite import Azurite
from devhost.process import HostProcess
from shared.config import DEFAULT_SCHEDULES, load_settings
from shared.services import partner_center_sync
from shared.services.container import Services
from tests.conftest import REPO_ROOT, wait_for
from tests.support.partner_center_stub import PartnerCenterStub, make_referral
from tests.support.principals import principal_header

PARTNER = "pc-e2e"
HEADERS = principal_header(partner_id=PARTNER)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PartnerCenterStub, Services, httpx.Client]]:
    directory = tmp_path_factory.mktemp("pc-writeback-host")
    with Azurite() as azurite, PartnerCenterStub() as stub:
        env = {
            "AzureWebJobsStorage": azurite.connection_string,
            "OUTBOX_DIR": str(directory / "outbox"),
            "EMAIL_DELIVERABILITY_CHECK": "off",
            **DEFAULT_SCHEDULES,
            **stub.settings(PARTNER),
        }
        services = Services.build(load_settings(env))
        host = HostProcess(
            cwd=REPO_ROOT, env={**env, "PYTHONDONTWRITEBYTECODE": "1"}, log_path=directory / "host.log"
        )
        host.start()
        try:
            with httpx.Client(base_url=host.base_url, timeout=30, trust_env=False) as client:
                yield stub, services, client
        finally:
            host.stop()
        stub.assert_conforms()


def pulled(stub: PartnerCenterStub, services: Services) -> tuple[str, str]:
    referral = stub.add(make_referral(created=datetime.now(UTC) - timedelta(hours=1)))
    result = partner_center_sync.sync_referral(services, referral)
    assert result.lead_id is not None
    return referral["id"], result.lead_id


def lead(client: httpx.Client, lead_id: str) -> dict[str, Any]:
    response = client.get(f"/api/leads/{lead_id}", headers=HEADERS)
    response.raise_for_status()
    return response.json()


def test_accept_then_won_over_http_reach_the_referral_after_the_answer(
    stack: tuple[PartnerCenterStub, Services, httpx.Client],
) -> None:
    stub, services, client = stack
    referral_id, lead_id = pulled(stub, services)
    etag = wait_for(
        lambda: (found := lead(client, lead_id))["validatedDateTime"] and found["eTag"], timeout=60
    )
    patches_before = len(stub.api_calls("PATCH"))

    accepted = client.post(
        f"/api/leads/{lead_id}/accept",
        headers={**HEADERS, "If-Match": etag},
        json={
            "dealName": "Azure migration",
            "estimatedValue": 25000,
            "currency": "EUR",
            "estimatedCloseDate": "2027-01-31",
            "notes": "Kick-off in January.",
            "team": [{"name": "Jane van Dijk", "email": "jane@contoso.example"}],
        },
    )
    assert accepted.status_code == 200
    # The answer came before anything reached Partner Center.
    assert accepted.json()["partnerCenter"] == {
        "referralId": referral_id,
        "syncState": "Pending",
        "syncError": None,
        "syncedDateTime": accepted.json()["partnerCenter"]["syncedDateTime"],
    }

    synced = wait_for(
        lambda: (found := lead(client, lead_id))["partnerCenter"]["syncState"] == "Synced" and found,
        timeout=60,
    )
    assert synced["partnerCenter"]["syncError"] is None
    assert stub.referrals[referral_id]["status"] == "Active"
    assert stub.referrals[referral_id]["substatus"] == "Accepted"
    assert stub.referrals[referral_id]["externalReferenceId"] == lead_id
    (patch,) = stub.api_calls("PATCH")[patches_before:]
    assert {"op": "add", "path": "/details/dealValue", "value": 25000} in patch.json
    history = client.get(f"/api/leads/{lead_id}/history", headers=HEADERS).json()["value"]
    assert [entry["action"] for entry in history][-2:] == ["LeadAccepted", "PartnerCenterSynced"]

    won = client.post(
        f"/api/leads/{lead_id}/close", headers=HEADERS, json={"outcome": "Won", "finalValue": 30000}
    )
    assert won.status_code == 200
    wait_for(lambda: stub.referrals[referral_id]["substatus"] == "Won", timeout=60)
    assert stub.referrals[referral_id]["details"]["dealValue"] == 30000
    wait_for(lambda: lead(client, lead_id)["partnerCenter"]["syncState"] == "Synced", timeout=60)


def test_a_refusal_shows_failed_with_the_reason(
    stack: tuple[PartnerCenterStub, Services, httpx.Client],
) -> None:
    stub, services, client = stack
    referral_id, lead_id = pulled(stub, services)
    wait_for(lambda: lead(client, lead_id)["validatedDateTime"], timeout=60)
    stub.update(referral_id, lambda referral: referral.update({"status": "Closed", "substatus": "Expired"}))
    declined = client.post(f"/api/leads/{lead_id}/decline", headers=HEADERS, json={"reason": "NotACustomer"})
    assert declined.status_code == 200
    # Closed → Closed is allowed: the decline goes out over Partner Center's own expiry.
    wait_for(lambda: stub.referrals[referral_id]["substatus"] == "Declined", timeout=60)

    other_id, other_lead = pulled(stub, services)
    wait_for(lambda: lead(client, other_lead)["validatedDateTime"], timeout=60)
    del stub.referrals[other_id]
    client.post(
        f"/api/leads/{other_lead}/decline", headers=HEADERS, json={"reason": "Spam"}
    ).raise_for_status()
    failed = wait_for(
        lambda: (found := lead(client, other_lead))["partnerCenter"]["syncState"] == "Failed" and found,
        timeout=60,
    )
    assert "no longer exists" in failed["partnerCenter"]["syncError"]
    history = client.get(f"/api/leads/{other_lead}/history", headers=HEADERS).json()["value"]
    assert history[-1]["action"] == "PartnerCenterSyncFailed"
    assert history[-1]["details"]["referralId"] == other_id
