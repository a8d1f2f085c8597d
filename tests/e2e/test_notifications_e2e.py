"""Notifications through the local host: settings over HTTP, the pipeline to the outbox, timers."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from devhost.process import HostProcess
from shared.adapters.storage_clients import NOTIFICATIONS_TABLE
from shared.services.container import Services
from tests.conftest import wait_for
from tests.integration.test_notifications import Mail, read_outbox
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner
from tests.support.principals import principal_header

SETTINGS = "/api/settings/notifications"
RECIPIENTS = ("sales@partner.example", "lead-desk@partner.example")


def _set_recipients(api: httpx.Client, partner_id: str, *addresses: str) -> None:
    body = {"recipients": [{"email": address, "name": "Lead desk"} for address in addresses]}
    response = api.put(SETTINGS, json=body, headers=principal_header(partner_id=partner_id))
    assert response.status_code == 200, response.text


def _lead_ids(api: httpx.Client, partner_id: str) -> list[str]:
    response = api.get("/api/leads?top=500", headers=principal_header(partner_id=partner_id))
    assert response.status_code == 200
    return [lead["id"] for lead in response.json()["value"]]


def _send_leads(api: httpx.Client, bodies: list[dict[str, object]]) -> list[str]:
    for body in bodies:
        assert api.post("/api/marketplace/leads", json=body).status_code == 202
    partner_id = str(bodies[0]["PartnerId"])
    return wait_for(lambda: (ids := _lead_ids(api, partner_id)) and len(ids) == len(bodies) and ids)


def _mails(outbox_dir: Path, lead_ids: list[str], kind: str) -> list[Mail]:
    return [mail for mail in read_outbox(outbox_dir, set(lead_ids)) if mail.kind == kind]


def _executions(host: HostProcess, function_name: str) -> int:
    return len(re.findall(rf"Executed '{function_name}' \(", host.log_text()))


# --- settings ----------------------------------------------------------------------------


def test_notification_settings_rules(api: httpx.Client) -> None:
    partner = unique_partner()
    admin = principal_header(partner_id=partner)
    profile_admin = principal_header(partner_id=partner, roles=("BusinessProfileAdmin",))

    assert api.get(SETTINGS, headers=admin).json() == {"recipients": []}

    too_many = {"recipients": [{"email": f"a{n}@partner.example"} for n in range(51)]}
    twice = {"recipients": [{"email": "a@partner.example"}, {"email": "A@Partner.example"}]}
    invalid = {"recipients": [{"email": "not an address"}]}
    for body in (too_many, twice, invalid):
        response = api.put(SETTINGS, json=body, headers=admin)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "BadRequest"

    german = {"recipients": [{"email": "sales@partner.example", "language": "de"}]}
    refused = api.put(SETTINGS, json=german, headers=admin)
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == [
        {"field": "recipients.0.language", "message": "Input should be 'en' or 'nl'", "code": "invalid"}
    ]

    good = {"recipients": [{"email": "sales@partner.example", "name": "Sales"}]}
    # A recipient's emails are in English unless their language says otherwise.
    shown = {"recipients": [{"email": "sales@partner.example", "name": "Sales", "language": "en"}]}
    assert api.put(SETTINGS, json=good, headers=profile_admin).status_code == 403
    assert api.put(SETTINGS, json=good).status_code == 401
    stored = api.put(SETTINGS, json=good, headers=admin)
    assert stored.status_code == 200
    assert stored.json() == shown
    assert api.get(SETTINGS, headers=profile_admin).json() == shown
    dutch = {"recipients": [{"email": "verkoop@partner.example", "name": "Verkoop", "language": "nl"}]}
    assert api.put(SETTINGS, json=dutch, headers=admin).json() == dutch
    assert api.get(SETTINGS, headers=admin).json() == dutch
    assert api.get(SETTINGS, headers=principal_header(partner_id=unique_partner())).json() == {
        "recipients": []
    }


# --- the pipeline ------------------------------------------------------------------------


def test_a_marketplace_message_becomes_an_escaped_email_in_the_outbox(
    api: httpx.Client, services: Services, outbox_dir: Path
) -> None:
    partner = unique_partner()
    _set_recipients(api, partner, RECIPIENTS[0])
    company = "<script>alert('x')</script> & Sons"
    services.queues.send_text("marketplace-leads", json.dumps(marketplace_lead(partner, company=company)))

    (lead_id,) = wait_for(lambda: _lead_ids(api, partner))
    (mail,) = wait_for(lambda: _mails(outbox_dir, [lead_id], "NewLead"))

    assert mail.to == RECIPIENTS[0] and mail.lead_ids == (lead_id,)
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Sons" in mail.html
    assert company in mail.text
    assert f"/#/leads/{lead_id}" in mail.html


def test_each_recipient_gets_the_email_in_their_own_language(api: httpx.Client, outbox_dir: Path) -> None:
    partner = unique_partner()
    recipients = [
        {"email": "sales@partner.example", "name": "Sales", "language": "en"},
        {"email": "verkoop@partner.example", "name": "Verkoop", "language": "nl"},
    ]
    headers = principal_header(partner_id=partner)
    assert api.put(SETTINGS, json={"recipients": recipients}, headers=headers).status_code == 200
    (lead_id,) = _send_leads(api, [marketplace_lead(partner, company="Fabrikam BV")])

    mails = wait_for(
        lambda: (found := _mails(outbox_dir, [lead_id], "NewLead")) and len(found) == 2 and found
    )

    by_recipient = {mail.to: mail for mail in mails}
    english, dutch = by_recipient["sales@partner.example"], by_recipient["verkoop@partner.example"]
    assert "New lead" in english.subject and "Nieuwe lead" in dutch.subject
    assert "Open the lead" in english.html and "Lead openen" in dutch.html
    assert "Company" in english.text and "Bedrijf" in dutch.text
    assert "New lead" not in dutch.subject + dutch.text + dutch.html


def test_ten_emails_a_day_then_the_digest(
    api: httpx.Client, host: HostProcess, services: Services, outbox_dir: Path
) -> None:
    partner = unique_partner()
    _set_recipients(api, partner, *RECIPIENTS)
    lead_ids = _send_leads(
        api,
        [
            marketplace_lead(partner, **(distinct_customer() | {"company": f"Company {n:02d}"}))
            for n in range(12)
        ],
    )

    def individual() -> list[Mail]:
        mails = _mails(outbox_dir, lead_ids, "NewLead")
        return mails if len(mails) == 20 else []

    mails = wait_for(individual)
    assert Counter(mail.to for mail in mails) == {RECIPIENTS[0]: 10, RECIPIENTS[1]: 10}
    emailed = {mail.lead_ids[0] for mail in mails}
    waiting = set(lead_ids) - emailed
    assert len(waiting) == 2

    # Wait until both leads hold their digest place, then run the digest for their day.
    table = services.clients.table(NOTIFICATIONS_TABLE)

    def digest_rows() -> list[dict[str, object]]:
        rows = table.query_entities(
            "PartitionKey eq @pk and Delivery eq 'Digest'", parameters={"pk": partner}
        )
        found = list(rows)
        return found if len(found) == 2 else []

    day = str(wait_for(digest_rows)[0]["RowKey"]).split("|")[1]
    response = api.post("/admin/functions/send_daily_digest", json={"input": json.dumps({"date": day})})
    assert response.status_code == 202

    digests = wait_for(
        lambda: (found := _mails(outbox_dir, lead_ids, "Digest")) and len(found) == 2 and found
    )
    assert sorted(mail.to for mail in digests) == sorted(RECIPIENTS)
    assert all(set(mail.lead_ids) == waiting for mail in digests)

    # The same day's digest run again sends nothing more.
    before = _executions(host, "send_daily_digest")
    api.post("/admin/functions/send_daily_digest", json={"input": json.dumps({"date": day})})
    wait_for(lambda: _executions(host, "send_daily_digest") > before, timeout=30)
    assert len(_mails(outbox_dir, lead_ids, "Digest")) == 2
    assert len(_mails(outbox_dir, lead_ids, "NewLead")) == 20


def test_two_overdue_sweeps_at_once_remind_each_recipient_once(
    api: httpx.Client, host: HostProcess, outbox_dir: Path
) -> None:
    partner = unique_partner()
    _set_recipients(api, partner, *RECIPIENTS)
    created = datetime.now(UTC) - timedelta(hours=80)
    (lead_id,) = _send_leads(api, [marketplace_lead(partner, created=created)])
    wait_for(lambda: len(_mails(outbox_dir, [lead_id], "NewLead")) == 2)

    before = _executions(host, "flag_overdue_contact_requests")
    for _ in range(2):
        assert (
            api.post("/admin/functions/flag_overdue_contact_requests", json={"input": ""}).status_code == 202
        )
    wait_for(lambda: _executions(host, "flag_overdue_contact_requests") >= before + 2, timeout=30)
    assert api.post("/admin/functions/flag_overdue_contact_requests", json={"input": ""}).status_code == 202
    wait_for(lambda: _executions(host, "flag_overdue_contact_requests") >= before + 3, timeout=30)

    reminders = _mails(outbox_dir, [lead_id], "ContactOverdue")
    assert Counter(mail.to for mail in reminders) == {RECIPIENTS[0]: 1, RECIPIENTS[1]: 1}
    history = api.get(f"/api/leads/{lead_id}/history", headers=principal_header(partner_id=partner)).json()
    assert [entry["action"] for entry in history["value"]].count("UrgencyOverdue") == 1
