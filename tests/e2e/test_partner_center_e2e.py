"""Partner Center end to end: the local host, Azurite and the stub, over HTTP and queues only."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devhost.partner_center import register_webhook, seed_demo_referrals
from devhost.process import HostProcess
from shared.adapters.partner_center import RefreshTokenProvider
from tests.conftest import REPO_ROOT, storage_of_its_own, wait_for
from tests.support.leads import unique_partner
from tests.support.partner_center_stub import REFERRAL_EVENTS, PartnerCenterStub, make_referral

PARTNER = unique_partner("pce2e")


def principal(partner: str) -> str:
    claims = {
        "claims": [
            {"typ": "oid", "val": "u1"},
            {"typ": "partner_id", "val": partner},
            {"typ": "roles", "val": "ReferralsAdmin"},
        ]
    }
    return base64.b64encode(json.dumps(claims).encode()).decode()


@pytest.fixture(scope="module")
def stub() -> Iterator[PartnerCenterStub]:
    with PartnerCenterStub() as partner_center:
        yield partner_center
        partner_center.assert_conforms()


@pytest.fixture(scope="module")
def pc_host(stub: PartnerCenterStub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """A host with Partner Center configured, on an Azurite of its own: the session's host has none
    configured, and would fail the fetches this host's timer queues."""
    directory: Path = tmp_path_factory.mktemp("pchost")
    with (
        storage_of_its_own(directory / "outbox") as storage,
        HostProcess(
            cwd=REPO_ROOT,
            env={
                **storage,
                **stub.settings(PARTNER),
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            log_path=directory / "host.log",
        ) as process,
    ):
        yield process


@pytest.fixture(scope="module")
def client(pc_host: HostProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pc_host.base_url, timeout=30, trust_env=False) as http:
        http.headers["X-MS-CLIENT-PRINCIPAL"] = principal(PARTNER)
        yield http


def qualified(client: httpx.Client) -> dict[str, dict]:
    answer = client.get("/api/leads", params={"tab": "qualified", "top": 100})
    assert answer.status_code == 200, answer.text
    return {lead["partnerCenter"]["referralId"]: lead for lead in answer.json()["value"]}


def test_the_timer_pulls_referrals_into_the_qualified_tab(
    stub: PartnerCenterStub, client: httpx.Client
) -> None:
    seed_demo_referrals(stub)
    assert client.post("/admin/functions/sync_partner_center", json={"input": ""}).status_code == 202
    leads = wait_for(lambda: (found := qualified(client)) and len(found) >= 4 and found, timeout=60)
    lead = leads["demo-0002"]
    assert lead["qualification"] == "SalesQualified"
    assert lead["customer"]["company"] == "Contoso Pharma"
    assert lead["partnerCenter"]["syncState"] == "Synced"
    assert set(lead["partnerCenter"]) == {"referralId", "syncState", "syncError", "syncedDateTime"}
    history = client.get(f"/api/leads/{lead['id']}/history").json()["value"]
    assert history[0]["action"] == "LeadCreated"


def test_register_webhook_fires_the_test_event_at_the_app(
    stub: PartnerCenterStub, pc_host: HostProcess
) -> None:
    tokens = RefreshTokenProvider(stub.authority, "stub-client", "stub-refresh-token")
    url = f"{pc_host.base_url}/api/partner-center/events"
    result = register_webhook(stub.url, tokens, url, list(REFERRAL_EVENTS))
    assert result["registration"]["WebhookUrl"] == url
    assert "correlationId" in result["testEvent"]
    wait_for(lambda: "test-created accepted" in pc_host.log_text(), timeout=30)


def test_a_signed_event_answers_202_and_its_referral_arrives(
    stub: PartnerCenterStub, pc_host: HostProcess, client: httpx.Client
) -> None:
    stub.add(make_referral("ref-hook", company="Woodgrove Bank", qualification="MarketingQualified"))
    url = f"{pc_host.base_url}/api/partner-center/events"
    delivery = stub.deliver("referral-created", "ref-hook", url=url)
    assert delivery.status == 202
    lead = wait_for(lambda: qualified(client).get("ref-hook"), timeout=60)
    assert lead["customer"]["company"] == "Woodgrove Bank"

    replay = stub.deliver(
        "referral-created", "ref-hook", url=url, body=delivery.body, headers=delivery.headers
    )
    assert replay.status == 401
    assert replay.body == delivery.body


def test_unsigned_and_forged_events_answer_401_with_the_error_envelope(
    stub: PartnerCenterStub, pc_host: HostProcess
) -> None:
    url = f"{pc_host.base_url}/api/partner-center/events"
    body = stub.event_body("referral-updated", "ref-hook")
    unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, trust_env=False)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "Unauthenticated"
    forged_headers = stub.signed_headers(body)
    forged = httpx.post(
        url, content=body.replace(b"ref-hook", b"ref-evil"), headers=forged_headers, trust_env=False
    )
    assert forged.status_code == 401
