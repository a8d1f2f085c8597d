"""Contact validation through the local host: intake -> contact-validation -> the API (contract §4, §5)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import httpx
import pytest

from devhost.process import HostProcess
from shared.domain import lifecycle
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.queues import CONTACT_VALIDATION_QUEUE, poison_queue_name
from shared.services.container import Services
from tests.conftest import wait_for
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header

# --- helpers ---------------------------------------------------------------------------------


def post_lead(api: httpx.Client, body: dict[str, Any]) -> None:
    response = api.post("/api/marketplace/leads", json=body)
    assert response.status_code == 202, response.text


def listed(api: httpx.Client, partner: str, **params: str) -> list[dict[str, Any]]:
    response = api.get(
        "/api/leads", params={"top": "500", **params}, headers=principal_header(partner_id=partner)
    )
    assert response.status_code == 200, response.text
    return response.json()["value"]


def validated_leads(api: httpx.Client, partner: str, count: int) -> list[dict[str, Any]]:
    """The partner's leads once `count` of them exist and all are validated (polls the API)."""

    def ready() -> list[dict[str, Any]] | None:
        leads = listed(api, partner)
        if len(leads) >= count and all(lead["validatedDateTime"] for lead in leads):
            return leads
        return None

    leads = wait_for(ready)
    assert len(leads) == count
    return leads


def one_validated_lead(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    post_lead(api, body)
    return validated_leads(api, body["PartnerId"], 1)[0]


def by_company(leads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {lead["customer"]["company"]: lead for lead in leads}


def exported_ids(api: httpx.Client, partner: str, **params: str) -> set[str]:
    response = api.get("/api/leads/export", params=params, headers=principal_header(partner_id=partner))
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return {row["LeadId"] for row in csv.DictReader(io.StringIO(text[1:]))}


class PoisonWatch:
    """Collects (and removes) this partner's messages in contact-validation-poison.

    The queue is shared by the session, so the watcher receives, keeps its own messages
    and lets the others reappear at once.
    """

    def __init__(self, services: Services, partner: str) -> None:
        self._client = services.clients.queue(poison_queue_name(CONTACT_VALIDATION_QUEUE))
        self._partner = partner
        self.found: list[str] = []

    def __call__(self) -> list[str]:
        for message in self._client.receive_messages(max_messages=32, visibility_timeout=1):
            if self._partner in message.content:
                self.found.append(message.content)
                self._client.delete_message(message)
            else:
                self._client.update_message(message, visibility_timeout=0)
        return self.found


def stage_records(host: HostProcess, lead_id: str) -> list[dict[str, Any]]:
    """The host's log records of the contact-validation stage for one lead."""
    records = []
    for line in host.log_text().splitlines():
        found = re.search(r"message (\{.*\})", line)
        if not found or lead_id not in line:
            continue
        record = json.loads(found.group(1))
        if record.get("queue") == CONTACT_VALIDATION_QUEUE:
            records.append(record)
    return records


# --- a marketplace lead is validated ---------------------------------------------------------


def test_a_marketplace_lead_is_listed_with_its_verdict(api: httpx.Client) -> None:
    partner = unique_partner()
    lead = one_validated_lead(api, marketplace_lead(partner))

    assert lead["emailValidity"] == "Unknown"  # deliverability check `off` on the test host
    assert lead["phoneValidity"] == "Valid"
    assert lead["quality"] == "High"
    assert lead["spamFlags"] == []
    assert lead["customer"]["phone"] == "+31207940000"
    history = api.get(f"/api/leads/{lead['id']}/history", headers=principal_header(partner_id=partner))
    entries = [entry for entry in history.json()["value"] if entry["action"] == "ContactValidated"]
    assert len(entries) == 1
    assert entries[0]["actor"] == "system"
    assert entries[0]["details"]["quality"] == "High"


def test_a_marketplace_test_lead_is_flagged_and_low(api: httpx.Client) -> None:
    partner = unique_partner()
    body = marketplace_lead(partner, email="msft_test@microsoft.com")
    body["UserDetails"].update(FirstName="MSFT_TEST", LastName="MSFT_TEST", Company="MSFT_TEST Company")
    lead = one_validated_lead(api, body)

    assert "test_lead" in lead["spamFlags"]
    assert lead["quality"] == "Low"


def test_a_disposable_address_is_spam(api: httpx.Client) -> None:
    lead = one_validated_lead(api, marketplace_lead(unique_partner(), email="x@a.mailinator.com"))

    assert lead["emailValidity"] == "Spam"
    assert "disposable_domain" in lead["spamFlags"]
    assert lead["quality"] == "Low"


@pytest.mark.parametrize(
    ("phone", "country", "e164"),
    [("020 794 0000", "NL", "+31207940000"), ("030 901820", "DE", "+4930901820")],
)
def test_a_nationally_written_number_is_stored_in_e164(
    api: httpx.Client, phone: str, country: str, e164: str
) -> None:
    partner = unique_partner()
    lead = one_validated_lead(api, marketplace_lead(partner, phone=phone, country=country))

    assert lead["phoneValidity"] == "Valid"
    assert lead["customer"]["phone"] == e164
    single = api.get(f"/api/leads/{lead['id']}", headers=principal_header(partner_id=partner))
    assert single.json()["customer"]["phone"] == e164


# --- hostile contact details -----------------------------------------------------------------

TEN_KB = 10 * 1024
# (email, phone) pairs that fit the marketplace format's field limits, sent through intake.
HOSTILE_BY_MARKETPLACE = {
    "nul": ("eva\x00@fabrikam.nl", "+31 20 794\x00 0000"),
    "controls": ("eva\x07\x1b[31m@fabrikam.nl", "+31\x0b20 794 0000"),
    "rtl": ("\u200feva\u202e@fabrikam.nl", "+31 20\u202e 794 0000"),
    "emoji": ("😀@fabrikam.nl", "☎️ +31 20 794 0000"),
    "header injection": ("eva@fabrikam.nl\r\nBcc: all@fabrikam.nl", "+31 20 794 0000\r\nX: y"),
    "almost 4000": ("a" * 3_900 + "@fabrikam.nl", "0" * 3_990),
}
# Longer than any inbound field may be: stored directly and sent to the stage's queue.
HOSTILE_IN_STORAGE = {
    "10 KB": ("e" * TEN_KB + "@fabrikam.nl", "1" * TEN_KB),
    "10 KB of emoji": ("🙂" * TEN_KB + "@fabrikam.nl", "☎" * TEN_KB),
    "10 KB with NUL and RTL": ("\x00\u202e" * (TEN_KB // 2) + "@x.nl", "\u200f\x00" * (TEN_KB // 2)),
}


def store_for_validation(services: Services, partner: str, company: str, email: str, phone: str) -> str:
    """A lead as intake would store it, with contact details intake itself would refuse."""
    new = map_marketplace_lead(marketplace_lead(partner, company=company))
    now = services.clock()
    lead = new.to_lead(
        new_lead_id(new.created_date_time or now), now=now, expiry_days=services.settings.lead_expiry_days
    )
    lead = lead.model_copy(
        update={"customer": lead.customer.model_copy(update={"email": email, "phone": phone})}
    )
    services.leads.create(lifecycle.created(lead), new.idempotency_key)
    services.queues.send(CONTACT_VALIDATION_QUEUE, {"partnerId": partner, "leadId": lead.id})
    return lead.id


def test_hostile_contact_details_are_invalid_and_never_poison(
    services: Services, host: HostProcess, api: httpx.Client
) -> None:
    partner = unique_partner()
    for name, (email, phone) in HOSTILE_BY_MARKETPLACE.items():
        post_lead(api, marketplace_lead(partner, company=name, email=email, phone=phone))
    for name, (email, phone) in HOSTILE_IN_STORAGE.items():
        store_for_validation(services, partner, name, email, phone)
    cases = {**HOSTILE_BY_MARKETPLACE, **HOSTILE_IN_STORAGE}

    leads = by_company(validated_leads(api, partner, len(cases)))

    assert set(leads) == set(cases)
    for name, lead in leads.items():
        assert lead["emailValidity"] == "Invalid", name
        assert lead["phoneValidity"] == "Invalid", name
        assert lead["quality"] == "Low", name
        # Handled on the first delivery: the stage never failed on it. (Its log record is
        # written just after the lead, so it may be a moment behind the API.)
        records = wait_for(lambda: stage_records(host, lead["id"]), timeout=30)  # noqa: B023
        assert [(r["outcome"], r["dequeueCount"]) for r in records] == [("done", 1)], name
    assert PoisonWatch(services, partner)() == []


def test_a_message_for_a_missing_lead_is_poisoned_and_the_next_one_validated(
    services: Services, api: httpx.Client
) -> None:
    partner = unique_partner()
    missing = json.dumps({"partnerId": partner, "leadId": new_lead_id(services.clock())})
    services.queues.send_text(CONTACT_VALIDATION_QUEUE, missing)
    post_lead(api, marketplace_lead(partner))

    assert wait_for(PoisonWatch(services, partner)) == [missing]
    assert validated_leads(api, partner, 1)[0]["quality"] == "High"


# --- the validity filters --------------------------------------------------------------------

# company -> (email, phone, country) and the verdict expected for it.
FILTER_LEADS: dict[str, tuple[dict[str, Any], tuple[str, str, str]]] = {
    "clean": ({"email": "eva@fabrikam.nl", "phone": "+31 20 794 0000"}, ("Unknown", "Valid", "High")),
    "disposable": ({"email": "x@a.mailinator.com", "phone": "12345"}, ("Spam", "Invalid", "Low")),
    "broken": ({"email": "not an address", "phone": None}, ("Invalid", "Unknown", "Low")),
    "role": ({"email": "info@fabrikam.nl", "phone": "020 794 0000"}, ("Unknown", "Valid", "Low")),
    "no email": ({"email": None, "phone": "030 901820", "country": "DE"}, ("Unknown", "Valid", "High")),
}

FILTERS: list[tuple[dict[str, str], set[str]]] = [
    ({"emailValidity": "Spam,Invalid"}, {"disposable", "broken"}),
    ({"emailValidity": "unknown"}, {"clean", "role", "no email"}),
    ({"emailValidity": "Valid"}, set()),
    ({"phoneValidity": "Invalid,Unknown"}, {"disposable", "broken"}),
    ({"phoneValidity": "VALID"}, {"clean", "role", "no email"}),
    ({"quality": "Low"}, {"disposable", "broken", "role"}),
    ({"quality": "High"}, {"clean", "no email"}),
    ({"quality": "high,low"}, set(FILTER_LEADS)),
    ({"quality": "Low", "phoneValidity": "Valid"}, {"role"}),
    ({"emailValidity": "Spam,Unknown", "quality": "High"}, {"clean", "no email"}),
    ({"emailValidity": "Invalid", "phoneValidity": "Valid,Invalid"}, set()),
]


@pytest.fixture(scope="module")
def filter_partner(host: HostProcess, api: httpx.Client) -> tuple[str, dict[str, str]]:
    """One partner with a lead of each verdict; company -> lead id."""
    partner = unique_partner()
    for company, (fields, _verdict) in FILTER_LEADS.items():
        post_lead(api, marketplace_lead(partner, company=company, **fields))
    leads = by_company(validated_leads(api, partner, len(FILTER_LEADS)))
    for company, (_fields, (email, phone, quality)) in FILTER_LEADS.items():
        lead = leads[company]
        assert (lead["emailValidity"], lead["phoneValidity"], lead["quality"]) == (email, phone, quality)
    return partner, {company: lead["id"] for company, lead in leads.items()}


@pytest.mark.parametrize(
    ("params", "expected"), FILTERS, ids=lambda value: str(sorted(value) if isinstance(value, set) else value)
)
def test_validity_filters_list_and_export_exactly_the_matching_leads(
    api: httpx.Client, filter_partner: tuple[str, dict[str, str]], params: dict[str, str], expected: set[str]
) -> None:
    partner, ids = filter_partner
    expected_ids = {ids[company] for company in expected}

    assert {lead["id"] for lead in listed(api, partner, **params)} == expected_ids
    assert exported_ids(api, partner, **params) == expected_ids


def test_an_unknown_validity_value_is_refused(api: httpx.Client) -> None:
    partner = unique_partner()
    for params in ({"emailValidity": "Maybe"}, {"phoneValidity": "Spam"}, {"quality": "Medium"}):
        response = api.get("/api/leads", params=params, headers=principal_header(partner_id=partner))
        assert response.status_code == 400, params
        export = api.get("/api/leads/export", params=params, headers=principal_header(partner_id=partner))
        assert export.status_code == 400, params
