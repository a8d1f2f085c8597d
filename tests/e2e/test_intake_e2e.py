"""Leads coming in through the local host: queues, the marketplace endpoint, poison, logs (contract §3)."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from devhost.process import HostProcess
from shared.services.container import Services
from tests.conftest import wait_for
from tests.support.leads import marketplace_lead, referral, unique_partner
from tests.support.principals import principal_header

POISON_WITHIN_SECONDS = 4.0  # the queue's visibility timeout is 5 s: a retry would come later
# Creation times lead ids cannot encode, or no real lead has; 9999-12-31 once raised OverflowError.
IMPOSSIBLE_DATES = ["2300-01-01T00:00:00Z", "1960-06-01T00:00:00Z", "9999-12-31", "9999-12-31T23:00:00-05:00"]


def listed(api: httpx.Client, partner: str, **params: str) -> list[dict[str, Any]]:
    response = api.get("/api/leads", params=params, headers=principal_header(partner_id=partner))
    assert response.status_code == 200, response.text
    return response.json()["value"]


def queue_is_drained(services: Services, queue: str, marker: str) -> bool:
    peeked = services.clients.queue(queue).peek_messages(max_messages=32)
    return not any(marker in message.content for message in peeked)


class PoisonWatch:
    """Collects (and removes) the poison messages carrying a test's marker.

    Peeking sees only the first 32 messages of a queue the whole session shares, so
    the watcher receives, keeps its own messages, and lets the others reappear at once.
    """

    def __init__(self, services: Services, queue: str, marker: str) -> None:
        self._client = services.clients.queue(f"{queue}-poison")
        self._marker = marker
        self.found: list[str] = []

    def __call__(self) -> list[str]:
        for message in self._client.receive_messages(max_messages=32, visibility_timeout=1):
            if self._marker in message.content:
                self.found.append(message.content)
                self._client.delete_message(message)
            else:
                self._client.update_message(message, visibility_timeout=0)
        return self.found


def test_concurrent_deliveries_of_one_lead_make_one_lead(
    services: Services, host: HostProcess, api: httpx.Client
) -> None:
    partner = unique_partner()
    body = json.dumps(marketplace_lead(partner, lead_id=f"mkt-{partner}"))
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(lambda _: services.queues.send_text("marketplace-leads", body), range(20)))
    wait_for(lambda: listed(api, partner))
    wait_for(lambda: queue_is_drained(services, "marketplace-leads", partner))
    leads = listed(api, partner)
    assert len(leads) == 1
    assert leads[0]["partnerId"] == partner
    history = api.get(f"/api/leads/{leads[0]['id']}/history", headers=principal_header(partner_id=partner))
    assert [entry["action"] for entry in history.json()["value"]].count("LeadCreated") == 1
    assert PoisonWatch(services, "marketplace-leads", partner)() == []


def test_bad_message_is_poisoned_at_once_and_the_next_one_processed(
    services: Services, api: httpx.Client
) -> None:
    partner = unique_partner()
    bad = f"this is not JSON {{{partner}"
    started = time.monotonic()
    services.queues.send_text("marketplace-leads", bad)
    services.queues.send_text("marketplace-leads", json.dumps(marketplace_lead(partner)))
    poisoned = wait_for(PoisonWatch(services, "marketplace-leads", partner), timeout=10)
    elapsed = time.monotonic() - started
    assert poisoned == [bad]  # unchanged, and only once
    assert elapsed < POISON_WITHIN_SECONDS
    assert len(wait_for(lambda: listed(api, partner))) == 1


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    target = body
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return body


def marketplace_poison_cases(partner: str) -> dict[str, str]:
    def lead(**extra: Any) -> dict[str, Any]:
        return marketplace_lead(partner, Description=f"marker {partner}", **extra)

    unroutable = _without(lead(LeadSource="AppSource-PLT"), "PartnerId")
    return {
        "not JSON": f"<xml>{partner}</xml>",
        "not an object": json.dumps([partner]),
        "missing customer": json.dumps(_without(lead(), "UserDetails")),
        "missing company": json.dumps(_without(lead(), "UserDetails", "Company")),
        "unroutable": json.dumps(unroutable),
        "unknown action code": json.dumps(lead(ActionCode="Bogus")),
        "unknown call to action": json.dumps(lead(CallToAction="Bogus")),
        "unparseable date": json.dumps(lead(CreatedTime="last tuesday")),
        **{f"CreatedTime {created}": json.dumps(lead(CreatedTime=created)) for created in IMPOSSIBLE_DATES},
        "NaN": json.dumps(lead(Score=float("nan"))),  # json.dumps writes the bare NaN Python reads
        "Infinity": json.dumps(lead(Score=float("inf"))),
        "repeated key": json.dumps(lead()).replace('"LeadId": ', '"LeadId": "first", "LeadId": ', 1),
        "lone surrogate": json.dumps(lead(Title="\ud800")),  # written as the escape \ud800
    }


def referral_poison_cases(partner: str) -> dict[str, str]:
    def body(**changes: Any) -> dict[str, Any]:
        built = referral(partner)
        built["details"]["notes"] = f"marker {partner}"
        built.update(changes)
        return built

    return {
        "unknown qualification": json.dumps(body(qualification="Lukewarm")),
        "missing customer": json.dumps(_without(body(), "customerProfile")),
        "missing company": json.dumps(_without(body(), "customerProfile", "name")),
        "unroutable": json.dumps(_without(body(), "partnerId")),
        "unparseable date": json.dumps(body(createdDateTime="2026-02-30T00:00:00Z")),
        **{f"created {created}": json.dumps(body(createdDateTime=created)) for created in IMPOSSIBLE_DATES},
        "repeated key": json.dumps(body()).replace('"id": ', '"id": "first", "id": ', 1),
    }


@pytest.mark.parametrize(
    ("queue", "cases"),
    [("marketplace-leads", marketplace_poison_cases), ("referrals", referral_poison_cases)],
)
def test_every_bad_message_reason_poisons(
    services: Services, host: HostProcess, api: httpx.Client, queue: str, cases: Any
) -> None:
    partner = unique_partner()
    messages = cases(partner)
    for text in messages.values():
        services.queues.send_text(queue, text)
    watch = PoisonWatch(services, queue, partner)
    wait_for(lambda: len(watch()) >= len(messages), timeout=10)
    assert sorted(watch.found) == sorted(messages.values())
    assert listed(api, partner) == [] and listed(api, partner, tab="qualified") == []
    poisoned_records = [
        line for line in host.log_text().splitlines() if '"outcome": "poisoned"' in line and queue in line
    ]
    assert len(poisoned_records) >= len(messages)
    assert all('"dequeueCount": 1' in line for line in poisoned_records)
    reasons = "\n".join(poisoned_records)
    assert "is in the future" in reasons and "before 2000-01-01" in reasons and "more than once" in reasons
    assert "OverflowError" not in host.log_text()


def test_referral_becomes_a_qualified_lead(services: Services, api: httpx.Client) -> None:
    partner = unique_partner()
    services.queues.send_text("referrals", json.dumps(referral(partner, qualification="MarketingQualified")))
    leads = wait_for(lambda: listed(api, partner, tab="qualified"))
    assert len(leads) == 1
    lead = leads[0]
    assert (lead["leadType"], lead["qualification"]) == ("Profile", "MarketingQualified")
    assert lead["leadSource"] is None and lead["callToAction"] is None and lead["offer"] is None
    assert lead["customer"]["company"] == "Northwind Traders"
    assert lead["customerRequestedContact"] is True
    assert listed(api, partner) == []


def test_marketplace_endpoint_accepts_and_the_lead_is_listed(api: httpx.Client) -> None:
    partner = unique_partner()
    response = api.post("/api/marketplace/leads", json=marketplace_lead(partner, ActionCode="PLT"))
    assert response.status_code == 202
    leads = wait_for(lambda: listed(api, partner))
    assert len(leads) == 1
    lead = leads[0]
    assert (lead["leadType"], lead["qualification"], lead["callToAction"]) == ("Offer", "Direct", "ContactMe")
    assert lead["leadSource"] == "AppSource"
    assert lead["offer"] == {"id": "contoso-crm", "title": "Contoso CRM"}
    assert lead["customer"]["country"] == "NL"
    assert lead["stage"] == "Received" and lead["status"] == "Received"
    assert lead["urgency"] == "ContactRequested"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "BadRequest"),
        (b"[1, 2]", "application/json", 400, "BadRequest"),
        (b"", "application/json", 400, "BadRequest"),
        (b'{"LeadId": "x"}', "text/plain", 415, "UnsupportedMediaType"),
        (b"<lead/>", "application/xml", 415, "UnsupportedMediaType"),
        (b'{"Description": "' + b"x" * (64 * 1024) + b'"}', "application/json", 413, "PayloadTooLarge"),
    ],
)
def test_marketplace_endpoint_refuses_bad_bodies(
    api: httpx.Client, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = api.post("/api/marketplace/leads", content=content, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_after_intake_the_lead_goes_on_to_contact_validation(services: Services, api: httpx.Client) -> None:
    partner = unique_partner()
    services.queues.send_text("marketplace-leads", json.dumps(marketplace_lead(partner)))
    lead = wait_for(lambda: listed(api, partner))[0]

    def validation_under_way() -> bool:
        # Either the message still waits on `contact-validation`, or the stage already ran.
        peeked = services.clients.queue("contact-validation").peek_messages(max_messages=32)
        if any(lead["id"] in message.content for message in peeked):
            return True
        history = api.get(f"/api/leads/{lead['id']}/history", headers=principal_header(partner_id=partner))
        return "ContactValidated" in [entry["action"] for entry in history.json()["value"]]

    wait_for(validation_under_way)


def test_one_log_record_per_request_and_message_without_contact_details(
    services: Services, host: HostProcess, api: httpx.Client
) -> None:
    partner = unique_partner()
    email = f"{partner}@fabrikam.nl"
    phone = "+31 20 794 1234"
    services.queues.send_text(
        "marketplace-leads", json.dumps(marketplace_lead(partner, email=email, phone=phone))
    )
    lead = wait_for(lambda: listed(api, partner))[0]
    response = api.get(f"/api/leads/{lead['id']}", headers=principal_header(partner_id=partner))
    assert response.status_code == 200

    def intake_records() -> list[str]:
        # The message's record is written once every step after storing the lead is done.
        return [
            line
            for line in host.log_text().splitlines()
            if "marketplace-leads" in line
            and f'"partner_id": "{partner}"' in line
            and '"outcome": "done"' in line
        ]

    records = wait_for(intake_records)
    log_text = host.log_text()
    assert len(records) == 1
    assert f'"lead_id": "{lead["id"]}"' in records[0]
    request_records = [
        line
        for line in log_text.splitlines()
        if '"endpoint": "get_lead"' in line and f'"partner_id": "{partner}"' in line
    ]
    assert len(request_records) == 1
    assert f'"lead_id": "{lead["id"]}"' in request_records[0]
    assert email not in log_text
    digits = re.sub(r"\D", "", phone)
    assert phone not in log_text and digits not in log_text and "20 794 1234" not in log_text
