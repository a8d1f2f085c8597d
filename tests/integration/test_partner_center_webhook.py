"""Partner Center webhook events, verified and acted on, on real Azurite with the stub's signatures."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from azure.storage.queue import TextBase64DecodePolicy
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.config import load_settings
from shared.domain.errors import ServiceError
from shared.domain.intake_mapping import UnprocessableLead
from shared.domain.partner_center import referral_key
from shared.domain.queues import PARTNER_CENTER_FETCH_QUEUE
from shared.services import partner_center_sync, partner_center_webhook
from shared.services.container import Services
from tests.conftest import Clock
from tests.support.leads import unique_partner
from tests.support.partner_center_stub import PartnerCenterStub, make_referral


@pytest.fixture
def partner() -> str:
    return unique_partner("wh")


@pytest.fixture
def synced(
    services: Services, app_env: dict[str, str], partner_center: PartnerCenterStub, partner: str, clock: Clock
) -> Iterator[Services]:
    partner_center.clock = clock
    yield dataclasses.replace(
        services, settings=load_settings({**app_env, **partner_center.settings(partner)})
    )


def fetch_messages(services: Services) -> list[dict[str, Any]]:
    """Take every message off the fetch queue (so each test sees only its own)."""
    queue = services.clients.queue(PARTNER_CENTER_FETCH_QUEUE)
    queue._message_decode_policy = TextBase64DecodePolicy()
    taken = []
    for message in queue.receive_messages(max_messages=32, visibility_timeout=1):
        taken.append(json.loads(message.content))
        queue.delete_message(message)
    return taken


@pytest.fixture(autouse=True)
def _empty_fetch_queue(services: Services) -> None:
    fetch_messages(services)


def event(stub: PartnerCenterStub, name: str, referral_id: str | None) -> tuple[bytes, dict[str, str]]:
    body = stub.event_body(name, referral_id)
    return body, stub.signed_headers(body)


def refused(services: Services, body: bytes, headers: dict[str, str]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        partner_center_webhook.receive_event(services, body, headers)
    assert raised.value.status == 401
    return raised.value


def test_a_good_event_queues_a_fetch_of_its_resource(
    synced: Services, partner_center: PartnerCenterStub
) -> None:
    body, headers = event(partner_center, "referral-created", "ref-1")
    assert partner_center_webhook.receive_event(synced, body, headers) == "referral-created"
    assert fetch_messages(synced) == [
        {"resourceUri": partner_center.resource_uri("ref-1"), "eventName": "referral-created"}
    ]


def test_a_missing_signature_is_refused(synced: Services, partner_center: PartnerCenterStub) -> None:
    body, headers = event(partner_center, "referral-created", "ref-1")
    del headers["Authorization"]
    assert "no Authorization" in refused(synced, body, headers).message
    assert fetch_messages(synced) == []


def test_a_bad_signature_is_refused(synced: Services, partner_center: PartnerCenterStub) -> None:
    body, headers = event(partner_center, "referral-created", "ref-1")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {**headers, "Authorization": f"Signature {partner_center.sign(body, other_key)}"}
    assert "does not verify" in refused(synced, body, forged).message
    tampered = body.replace(b"ref-1", b"ref-2")
    assert "does not verify" in refused(synced, tampered, headers).message
    assert "does not verify" in refused(synced, body, {**headers, "Authorization": "Signature !!!"}).message
    assert fetch_messages(synced) == []


def test_a_replayed_event_is_refused(synced: Services, partner_center: PartnerCenterStub) -> None:
    body, headers = event(partner_center, "referral-updated", "ref-1")
    partner_center_webhook.receive_event(synced, body, headers)
    assert "replay" in refused(synced, body, headers).message
    assert len(fetch_messages(synced)) == 1


def test_an_event_outside_the_replay_window_is_refused(
    synced: Services, partner_center: PartnerCenterStub, clock: Clock
) -> None:
    body = partner_center.event_body("referral-updated", "ref-1", changed=clock() - timedelta(hours=25))
    assert "replay window" in refused(synced, body, partner_center.signed_headers(body)).message


def test_a_certificate_from_a_host_not_allowed_is_not_fetched(
    synced: Services, partner_center: PartnerCenterStub
) -> None:
    body = partner_center.event_body("referral-created", "ref-1")
    for url in (
        "https://evil.example/cert.cer",
        partner_center.certificate_url.replace("127.0.0.1", "localhost"),
        partner_center.certificate_url.replace("http://", "ftp://"),
    ):
        headers = partner_center.signed_headers(body, certificate_url=url)
        assert "allowed host" in refused(synced, body, headers).message
    assert partner_center.requests == []


def test_the_default_hosts_refuse_a_local_certificate(
    services: Services, partner_center: PartnerCenterStub
) -> None:
    # Without PARTNER_CENTER_WEBHOOK_CERT_HOSTS only Partner Center's own host is trusted.
    body, headers = event(partner_center, "referral-created", "ref-1")
    refused(services, body, headers)


def test_the_test_event_is_accepted_and_fetches_nothing(
    synced: Services, partner_center: PartnerCenterStub
) -> None:
    body, headers = event(partner_center, "test-created", None)
    assert partner_center_webhook.receive_event(synced, body, headers) == "test-created"
    assert fetch_messages(synced) == []


def test_duplicate_and_out_of_order_events_store_the_current_referral_once(
    synced: Services, partner_center: PartnerCenterStub, partner: str, clock: Clock
) -> None:
    partner_center.add(make_referral("ref-o", company="Northwind v1"))
    created = partner_center.event_body("referral-created", "ref-o")
    clock.advance(seconds=5)
    partner_center.update("ref-o", lambda r: r["customerProfile"].update(name="Northwind v2"))
    updated = partner_center.event_body("referral-updated", "ref-o")
    # The update's event arrives first, then the creation's, then the update's again.
    for body in (updated, created):
        partner_center_webhook.receive_event(synced, body, partner_center.signed_headers(body))
    messages = fetch_messages(synced)
    results = [partner_center_sync.fetch_referral(synced, json.dumps(m)) for m in messages + messages[:1]]
    assert [r.outcome for r in results if r] == ["created", "unchanged", "unchanged"]
    lead_id = synced.leads.lead_id_for_key(partner, referral_key("ref-o"))
    assert lead_id is not None
    stored = synced.leads.get(partner, lead_id)
    assert stored is not None and stored.lead.customer.company == "Northwind v2"
    assert len(synced.leads.history(partner, lead_id)) == 1


def test_a_throttled_fetch_is_put_back_for_after_retry_after(
    synced: Services, partner_center: PartnerCenterStub
) -> None:
    partner_center.add(make_referral("ref-t"))
    partner_center.throttle(1, retry_after=2)
    message = {"resourceUri": partner_center.resource_uri("ref-t"), "eventName": "referral-created"}
    assert partner_center_sync.fetch_referral(synced, json.dumps(message)) is None
    assert fetch_messages(synced) == []  # not visible yet
    time.sleep(2.5)
    assert fetch_messages(synced) == [message]


def test_a_fetch_message_without_a_resource_is_unprocessable(synced: Services) -> None:
    with pytest.raises(UnprocessableLead):
        partner_center_sync.fetch_referral(synced, json.dumps({"eventName": "referral-created"}))
    with pytest.raises(UnprocessableLead):
        partner_center_sync.fetch_referral(synced, json.dumps({"resourceUri": "https://x.example/not/a/ref"}))
