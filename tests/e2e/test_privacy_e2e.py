"""Nothing of an expired lead's contact remains anywhere a partner or an operator can look:
the lead and its history over HTTP, the CSV export, every row of the partner's partitions in the
Leads and Notifications tables, and the outbox.

Two ways a lead expires: it arrives already past its expiry (everything runs in the local host),
or it expires after its emails went out (the steps run in process, with a clock moved by hand
past the overdue reminder and the expiry; the local host serves the reads).
"""

from __future__ import annotations

import email.policy
import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import httpx

from devhost.process import HostProcess
from shared.adapters.lead_repository import StoredLead
from shared.adapters.storage_clients import LEADS_TABLE, NOTIFICATIONS_TABLE
from shared.domain import lifecycle
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead_ids import new_lead_id
from shared.services import notifications, sweeps, validation
from shared.services.container import Services
from tests.conftest import Clock, wait_for
from tests.integration.test_notifications import CountingSender, set_recipients
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header

NEED = (
    "Hello, Eva de Vries here. Please call me at 06 12345678 or +31 20 794 0000, "
    "or write to private.person@gmail.com. We want a demo for 200 seats."
)
# The contact in every form it was given or stored in: as written, E.164, the names.
TRACES = (
    "Eva",
    "de Vries",
    "eva@fabrikam.nl",
    "private.person@gmail.com",
    "+31 20 794 0000",
    "+31207940000",
    "020 794 0000",
    "06 12345678",
    "+31612345678",
    "0612345678",
)
RECIPIENT = "sales@partner.example"


def contact_lead(partner: str, created: datetime) -> dict[str, object]:
    return marketplace_lead(partner, created=created, Description=NEED)


def traces_in(text: str) -> list[str]:
    # Whole words: "phoneValidity" holds no "Eva".
    return [trace for trace in TRACES if re.search(rf"(?<!\w){re.escape(trace)}(?!\w)", text, re.IGNORECASE)]


def partition_text(services: Services, table: str, partner: str) -> str:
    rows = services.clients.table(table).query_entities("PartitionKey eq @pk", parameters={"pk": partner})
    return "\n".join(f"{name}={value}" for row in rows for name, value in row.items())


def outbox_text(directory: Path, lead_id: str) -> str:
    """Every email about the lead in the outbox, decoded (headers, text and HTML)."""
    texts = []
    for path in sorted(directory.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if lead_id in str(mail["X-Lead-Ids"]):
            parts = [part.get_content() for part in mail.walk() if not part.is_multipart()]
            texts.append("\n".join([str(mail["Subject"]), *parts]))
    return "\n".join(texts)


def assert_nothing_of_the_contact_remains(
    api: httpx.Client, services: Services, partner: str, lead_id: str, outbox: Path
) -> None:
    headers = principal_header(partner_id=partner)
    lead = api.get(f"/api/leads/{lead_id}", headers=headers)
    assert lead.status_code == 200 and lead.json()["status"] == "Expired"
    assert "We want a demo for 200 seats." in lead.json()["customerNeed"]
    history = api.get(f"/api/leads/{lead_id}/history", headers=headers)
    assert history.status_code == 200 and history.json()["value"][-1]["action"] == "LeadExpired"
    export = api.get("/api/leads/export", params={"tab": "marketplace"}, headers=headers)
    assert export.status_code == 200 and lead_id in export.text
    places = {
        "lead": lead.text,
        "history": history.text,
        "export": export.text,
        "Leads table": partition_text(services, LEADS_TABLE, partner),
        "Notifications table": partition_text(services, NOTIFICATIONS_TABLE, partner),
        "outbox": outbox_text(outbox, lead_id),
    }
    assert {place: traces_in(text) for place, text in places.items()} == {place: [] for place in places}


def run_timer(api: httpx.Client, host: HostProcess, name: str) -> None:
    """Run a timer function through the admin endpoint and wait until it has finished."""

    def executions() -> int:
        return len(re.findall(rf"Executed '{name}' \(", host.log_text()))

    before = executions()
    assert api.post(f"/admin/functions/{name}", json={"input": ""}).status_code == 202
    wait_for(lambda: executions() > before)


def test_a_lead_that_arrives_past_its_expiry_is_expired_before_it_is_emailed_or_reminded(
    api: httpx.Client, host: HostProcess, services: Services, outbox_dir: Path
) -> None:
    partner = unique_partner("privacy")
    headers = principal_header(partner_id=partner)
    settings = {"recipients": [{"email": RECIPIENT}]}
    assert api.put("/api/settings/notifications", json=settings, headers=headers).status_code == 200
    body = contact_lead(partner, datetime.now(UTC) - timedelta(days=15))
    assert api.post("/api/marketplace/leads", json=body).status_code == 202

    def expired() -> dict[str, object] | None:
        listed = api.get("/api/leads", headers=headers).json()["value"]
        return listed[0] if listed and listed[0]["status"] == "Expired" else None

    # No sweep has run: the pipeline expired it on arrival, before its NewLead email.
    lead_id = str(wait_for(expired)["id"])
    wait_for(lambda: "NewLead" in partition_text(services, NOTIFICATIONS_TABLE, partner))
    wait_for(lambda: outbox_text(outbox_dir, lead_id))
    # Its overdue check is long due; whichever timer runs first, no reminder goes out.
    run_timer(api, host, "flag_overdue_contact_requests")
    run_timer(api, host, "expire_leads")
    assert "ContactOverdue" not in partition_text(services, NOTIFICATIONS_TABLE, partner)
    assert_nothing_of_the_contact_remains(api, services, partner, lead_id, outbox_dir)


def store_and_validate(services: Services, partner: str) -> StoredLead:
    """Intake and contact validation in process, without the queues the local host listens to."""
    new = map_marketplace_lead(contact_lead(partner, services.clock() - timedelta(minutes=5)))
    now = services.clock()
    lead = new.to_lead(new_lead_id(now), now=now, expiry_days=services.settings.lead_expiry_days)
    services.leads.create(lifecycle.created(lead), new.idempotency_key)
    services.register_partner(partner)
    created = services.leads.get(partner, lead.id)
    assert created is not None
    change = validation.validation_change(created.lead, services.settings, None, now)
    services.leads.save(change, created)
    stored = services.leads.get(partner, lead.id)
    assert stored is not None
    return stored


def test_an_emailed_and_reminded_lead_leaves_no_contact_once_it_expires(
    api: httpx.Client, services: Services, clock: Clock, tmp_path: Path
) -> None:
    partner = unique_partner("privacy")
    set_recipients(services, partner, RECIPIENT)
    sender = CountingSender(tmp_path / "outbox")
    stored = store_and_validate(services, partner)
    lead_id = stored.lead.id
    message = json.dumps({"partnerId": partner, "leadId": lead_id}).encode()
    assert notifications.notify_lead(services, message, sender).sent == 1

    clock.advance(hours=73)
    overdue = lifecycle.record_overdue(stored.lead, now=clock.now)
    services.leads.save(overdue, stored)
    reminded = services.leads.get(partner, lead_id)
    assert reminded is not None
    assert notifications.remind_contact_overdue(services, reminded, sender) == 1
    outbox = sender.outbox.directory
    # Before expiry the emails carry the contact, as they should.
    assert "private.person@gmail.com" in outbox_text(outbox, lead_id)
    assert "+31207940000" in outbox_text(outbox, lead_id)
    assert len(list(outbox.glob("*.eml"))) == 2

    clock.advance(days=12)
    assert sweeps.expire_if_due(services, partner, lead_id)
    assert sweeps.remove_expired_outbox_mail(services, sender.outbox) == 2

    assert_nothing_of_the_contact_remains(api, services, partner, lead_id, outbox)
