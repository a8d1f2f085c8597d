"""The lead lifecycle over HTTP through the local host: transitions, races, history, events, expiry."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.domain.queues import LEAD_EVENTS_QUEUE
from shared.services.container import Services
from tests.conftest import wait_for
from tests.support.leads import accept_body, marketplace_lead, referral, unique_partner
from tests.support.principals import principal_header

HOSTILE = (
    "\"quoted\" 'single' <script>alert('x')</script> \u202eRTL\u202c \u200fמרקט\u200f 👩‍💻🚀 Ünïcødé \\ back"
)


class Partner:
    """One partner's view of the API, with its own leads."""

    def __init__(self, api: httpx.Client, services: Services, user_id: str = "user-1") -> None:
        self.api = api
        self.services = services
        self.id = unique_partner()
        self.user_id = user_id
        self.headers = principal_header(partner_id=self.id, user_id=user_id)

    def marketplace_lead(self, **fields: Any) -> dict[str, Any]:
        body = marketplace_lead(self.id, **fields)
        assert self.api.post("/api/marketplace/leads", json=body).status_code == 202
        return self._wait_for_lead("marketplace", body["UserDetails"]["Company"])

    def referral(self, **fields: Any) -> dict[str, Any]:
        body = referral(self.id, **fields)
        self.services.queues.send_text("referrals", json.dumps(body))
        return self._wait_for_lead("qualified", body["customerProfile"]["name"])

    def _wait_for_lead(self, tab: str, company: str) -> dict[str, Any]:
        known = getattr(self, "_known", set())
        self._known = known

        def arrived() -> dict[str, Any] | None:
            listed = self.api.get("/api/leads", params={"tab": tab}, headers=self.headers).json()["value"]
            fresh = [
                lead for lead in listed if lead["id"] not in known and lead["customer"]["company"] == company
            ]
            return fresh[0] if fresh else None

        lead = wait_for(arrived)
        known.add(lead["id"])
        # Intake's last step sends LeadCreated, and contact validation updates the lead
        # (and its ETag) once; act only after both, as a user who opened the lead would.
        wait_for(lambda: "LeadCreated" in self.event_types(lead["id"]))
        return wait_for(lambda: (found := self.get(lead["id"]).json())["validatedDateTime"] and found)

    def get(self, lead_id: str) -> httpx.Response:
        return self.api.get(f"/api/leads/{lead_id}", headers=self.headers)

    def act(self, lead_id: str, action: str, body: Any, **headers: str) -> httpx.Response:
        method = "PATCH" if action == "deal" else "POST"
        return self.api.request(
            method, f"/api/leads/{lead_id}/{action}", json=body, headers={**self.headers, **headers}
        )

    def history(self, lead_id: str) -> list[dict[str, Any]]:
        response = self.api.get(f"/api/leads/{lead_id}/history", headers=self.headers)
        assert response.status_code == 200
        return response.json()["value"]

    def events(self) -> list[dict[str, Any]]:
        """This partner's messages on `lead-events`; other partners' reappear after a few seconds."""
        queue = self.services.clients.queue(LEAD_EVENTS_QUEUE)
        mine: list[dict[str, Any]] = getattr(self, "_events", [])
        self._events = mine
        seen: set[str] = set()
        for message in queue.receive_messages(messages_per_page=32, visibility_timeout=5):
            if message.id in seen:
                break
            seen.add(message.id)
            event = json.loads(message.content)
            if event.get("partnerId") == self.id:
                mine.append(event)
                queue.delete_message(message)
        return mine

    def event_types(self, lead_id: str) -> list[str]:
        return [event["eventType"] for event in self.events() if event["leadId"] == lead_id]


@pytest.fixture
def partner(api: httpx.Client, services: Services) -> Partner:
    return Partner(api, services)


def assert_one_lead(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert response.headers["ETag"] == body["eTag"]
    return body


def actions(history: list[dict[str, Any]]) -> list[str]:
    return [entry["action"] for entry in history if entry["action"] != "ContactValidated"]


def test_a_lead_from_received_to_won(partner: Partner) -> None:
    lead = partner.marketplace_lead()
    lead_id = lead["id"]
    assert (lead["stage"], lead["status"], lead["urgency"]) == ("Received", "Received", "ContactRequested")
    assert_one_lead(partner.get(lead_id))

    accepted = assert_one_lead(
        partner.act(lead_id, "accept", accept_body(team=[{"name": "Ann", "email": "a@p.example"}]))
    )
    assert (accepted["stage"], accepted["status"], accepted["urgency"]) == ("Accepted", "Accepted", None)
    assert accepted["acceptedDateTime"] is not None
    assert accepted["deal"] == {
        "name": "Fabrikam CRM rollout",
        "value": 25000,
        "currency": "EUR",
        "estimatedCloseDate": "2027-03-31",
        "notes": "Demo booked for next week.",
        "campaignId": None,
        "crmId": None,
    }
    edited = assert_one_lead(partner.act(lead_id, "deal", {"estimatedValue": 30000.5, "crmId": "CRM-1"}))
    assert (edited["deal"]["value"], edited["deal"]["crmId"], edited["deal"]["currency"]) == (
        30000.5,
        "CRM-1",
        "EUR",
    )
    teamed = assert_one_lead(partner.act(lead_id, "team", {"name": "Bo", "email": "bo@p.example"}))
    assert [member["name"] for member in teamed["team"]] == ["Ann", "Bo"]
    won = assert_one_lead(
        partner.act(lead_id, "close", {"outcome": "Won", "finalValue": 31000, "notes": "Signed"})
    )
    assert (won["stage"], won["status"], won["statusNotes"], won["deal"]["value"]) == (
        "Archived",
        "Won",
        "Signed",
        31000,
    )
    assert won["closedDateTime"] >= won["acceptedDateTime"]

    # Archived is read-only.
    for action, body in [
        ("accept", accept_body()),
        ("decline", {"reason": "Spam"}),
        ("deal", {"crmId": "x"}),
        ("team", {"name": "C", "email": "c@p.example"}),
        ("close", {"outcome": "Lost"}),
    ]:
        refused = partner.act(lead_id, action, body)
        assert refused.status_code == 409, (action, refused.text)
        assert refused.json()["error"]["code"] == "InvalidTransition"

    history = partner.history(lead_id)
    assert actions(history) == ["LeadCreated", "LeadAccepted", "DealUpdated", "TeamMemberAdded", "LeadWon"]
    assert [entry["at"] for entry in history] == sorted(entry["at"] for entry in history)
    assert {entry["actor"] for entry in history if entry["action"] != "LeadCreated"} - {"system"} == {
        "user-1"
    }
    assert history[0]["actor"] == "system" and history[0]["actorName"] is None
    people = {entry["actorName"] for entry in history if entry["actor"] == "user-1"}
    assert people == {"Sam Sales"}
    assert history[-1]["fromStatus"] == "Accepted" and history[-1]["toStatus"] == "Won"
    assert wait_for(lambda: len(partner.event_types(lead_id)) >= 3) and partner.event_types(lead_id) == [
        "LeadCreated",
        "LeadAccepted",
        "LeadWon",
    ]
    event = next(e for e in partner.events() if e["eventType"] == "LeadWon")
    assert (event["status"], event["leadId"], event["partnerId"]) == ("Won", lead_id, partner.id)


def test_decline_and_lost(partner: Partner) -> None:
    declined_id = partner.referral()["id"]
    other = partner.act(declined_id, "decline", {"reason": "Other"})
    assert other.status_code == 400
    assert [d["field"] for d in other.json()["error"]["details"]] == ["notes"]
    declined = assert_one_lead(
        partner.act(declined_id, "decline", {"reason": "Other", "notes": "Out of region"})
    )
    assert (declined["stage"], declined["status"], declined["statusReason"], declined["statusNotes"]) == (
        "Archived",
        "Declined",
        "Other",
        "Out of region",
    )

    lost_id = partner.referral()["id"]
    assert_one_lead(partner.act(lost_id, "accept", accept_body()))
    lost = assert_one_lead(
        partner.act(lost_id, "close", {"outcome": "Lost", "reason": "CustomerChoseAnotherVendor"})
    )
    assert (lost["status"], lost["statusReason"]) == ("Lost", "CustomerChoseAnotherVendor")
    wait_for(lambda: len(partner.event_types(lost_id)) >= 3)
    assert partner.event_types(declined_id) == ["LeadCreated", "LeadDeclined"]
    assert partner.event_types(lost_id) == ["LeadCreated", "LeadAccepted", "LeadLost"]


def test_bad_bodies_and_wrong_stages_change_nothing(partner: Partner) -> None:
    lead_id = partner.referral()["id"]
    before = partner.history(lead_id)
    response = partner.act(
        lead_id,
        "accept",
        {"dealName": "D", "estimatedValue": -1, "currency": "EUE", "estimatedCloseDate": "2027-13-01"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert {d["field"] for d in error["details"]} == {
        "estimatedValue",
        "currency",
        "estimatedCloseDate",
        "notes",
    }
    assert partner.act(lead_id, "decline", {"reason": "NoReason"}).status_code == 400
    assert (
        partner.api.post(
            f"/api/leads/{lead_id}/decline",
            content=b"reason=Spam",
            headers={**partner.headers, "Content-Type": "text/plain"},
        ).status_code
        == 415
    )
    # Editing or closing a Received lead is not a transition it allows.
    for action, body in [
        ("deal", {"crmId": "x"}),
        ("team", {"name": "C", "email": "c@p.example"}),
        ("close", {"outcome": "Won"}),
    ]:
        refused = partner.act(lead_id, action, body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "InvalidTransition")
    assert partner.history(lead_id) == before
    assert partner.get(lead_id).json()["stage"] == "Received"


def test_informational_leads_refuse_every_action(partner: Partner) -> None:
    lead = partner.marketplace_lead(action_code="INS")
    assert (lead["stage"], lead["status"], lead["expirationDateTime"], lead["urgency"]) == (
        "Informational",
        None,
        None,
        None,
    )
    for action, body in [
        ("accept", accept_body()),
        ("decline", {"reason": "Spam"}),
        ("deal", {"crmId": "x"}),
        ("team", {"name": "C", "email": "c@p.example"}),
        ("close", {"outcome": "Won"}),
    ]:
        assert partner.act(lead["id"], action, body).status_code == 409
    assert partner.api.put(f"/api/leads/{lead['id']}/favorite", headers=partner.headers).status_code == 204


def test_if_match(partner: Partner) -> None:
    lead_id = partner.referral()["id"]
    accepted = assert_one_lead(partner.act(lead_id, "accept", accept_body()))
    stale = accepted["eTag"]
    current = assert_one_lead(partner.act(lead_id, "team", {"name": "A", "email": "a@p.example"}))["eTag"]
    before = partner.history(lead_id)

    refused = partner.act(lead_id, "deal", {"crmId": "late"}, **{"If-Match": stale})
    assert (refused.status_code, refused.json()["error"]["code"]) == (412, "PreconditionFailed")
    assert partner.history(lead_id) == before
    assert partner.get(lead_id).json()["deal"]["crmId"] is None

    # The pipeline may still write the lead (contact validation); take the ETag as it is now.
    current = partner.get(lead_id).headers["ETag"]
    edited = assert_one_lead(partner.act(lead_id, "deal", {"crmId": "on-time"}, **{"If-Match": current}))
    assert edited["deal"]["crmId"] == "on-time" and edited["eTag"] != current
    assert (
        assert_one_lead(partner.act(lead_id, "close", {"outcome": "Won"}, **{"If-Match": "*"}))["status"]
        == "Won"
    )


def _race(partner: Partner, requests: list[tuple[str, Any]], lead_id: str) -> list[httpx.Response]:
    start = threading.Barrier(len(requests))
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def send(action: str, body: Any) -> None:
        with httpx.Client(base_url=str(partner.api.base_url), timeout=60, trust_env=False) as client:
            start.wait()
            method = "PATCH" if action == "deal" else "POST"
            response = client.request(
                method, f"/api/leads/{lead_id}/{action}", json=body, headers=partner.headers
            )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_racing_accepts_and_declines_one_wins(partner: Partner) -> None:
    lead_id = partner.referral()["id"]
    requests = [("accept", accept_body()) if i % 2 else ("decline", {"reason": "Spam"}) for i in range(10)]
    responses = _race(partner, requests, lead_id)
    codes = sorted(response.status_code for response in responses)
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 409, 412}
    winner = next(response for response in responses if response.status_code == 200).json()
    history = actions(partner.history(lead_id))
    assert history == ["LeadCreated", "LeadAccepted" if winner["stage"] == "Accepted" else "LeadDeclined"]
    expected = ["LeadCreated", "LeadAccepted" if winner["stage"] == "Accepted" else "LeadDeclined"]
    wait_for(lambda: len(partner.event_types(lead_id)) >= 2)
    assert partner.event_types(lead_id) == expected


def test_racing_team_additions_all_land(partner: Partner) -> None:
    lead_id = partner.referral()["id"]
    assert_one_lead(partner.act(lead_id, "accept", accept_body()))
    members = [("team", {"name": f"Member {i}", "email": f"m{i}@p.example"}) for i in range(10)]
    responses = _race(partner, members, lead_id)
    assert [response.status_code for response in responses] == [200] * 10
    team = partner.get(lead_id).json()["team"]
    assert sorted(member["name"] for member in team) == sorted(f"Member {i}" for i in range(10))
    assert actions(partner.history(lead_id)).count("TeamMemberAdded") == 10


def test_hostile_text_is_stored_and_returned_exactly(partner: Partner) -> None:
    lead_id = partner.referral()["id"]
    notes = (HOSTILE * 100)[:4000]
    accepted = assert_one_lead(
        partner.act(
            lead_id, "accept", accept_body(notes=notes, dealName=HOSTILE[:200], campaignId="'; DROP TABLE--")
        )
    )
    assert (accepted["deal"]["notes"], accepted["deal"]["name"]) == (notes, HOSTILE[:200])
    teamed = assert_one_lead(partner.act(lead_id, "team", {"name": HOSTILE[:200], "email": "x@p.example"}))
    assert teamed["team"][-1]["name"] == HOSTILE[:200]
    emoji_notes = "🚀" * 4000
    closed = assert_one_lead(partner.act(lead_id, "close", {"outcome": "Lost", "notes": emoji_notes}))
    assert closed["statusNotes"] == emoji_notes
    again = partner.get(lead_id).json()
    assert (again["deal"]["notes"], again["statusNotes"], again["deal"]["campaignId"]) == (
        notes,
        emoji_notes,
        "'; DROP TABLE--",
    )
    too_long = partner.act(partner.referral()["id"], "decline", {"reason": "Other", "notes": "n" * 4001})
    assert too_long.status_code == 400


def test_other_partners_see_404(partner: Partner, api: httpx.Client, services: Services) -> None:
    lead_id = partner.referral()["id"]
    stranger = Partner(api, services)
    assert stranger.get(lead_id).status_code == 404
    assert stranger.act(lead_id, "accept", accept_body()).status_code == 404
    assert api.get(f"/api/leads/{lead_id}/history", headers=stranger.headers).status_code == 404
    assert api.get("/api/leads/not-an-id/history", headers=partner.headers).status_code == 404


def test_expiry_end_to_end(partner: Partner, api: httpx.Client) -> None:
    # Created 15 days ago: the pipeline expires it on arrival, before any sweep.
    old = datetime.now(UTC) - timedelta(days=15)
    body = marketplace_lead(partner.id, created=old)
    assert api.post("/api/marketplace/leads", json=body).status_code == 202

    def expired() -> dict[str, Any] | None:
        listed = api.get("/api/leads", headers=partner.headers).json()["value"]
        return listed[0] if listed and listed[0]["status"] == "Expired" else None

    body = wait_for(expired)
    lead_id = body["id"]
    assert body["stage"] == "Archived" and body["urgency"] is None
    assert body["validatedDateTime"] is not None
    customer = body["customer"]
    assert [customer[name] for name in ("firstName", "lastName", "email", "phone", "title")] == [None] * 5
    assert customer["company"] == "Fabrikam BV"
    assert actions(partner.history(lead_id)) == ["LeadCreated", "LeadExpired"]
    assert partner.history(lead_id)[-1]["actor"] == "system"
    # The sweep, run now, changes nothing and sends nothing more.
    assert api.post("/admin/functions/expire_leads", json={"input": ""}).status_code == 202
    wait_for(lambda: len(partner.event_types(lead_id)) >= 2)
    assert partner.event_types(lead_id) == ["LeadCreated", "LeadExpired"]
    assert partner.act(lead_id, "accept", accept_body()).status_code == 409


def test_action_center(partner: Partner, api: httpx.Client, services: Services) -> None:
    now = datetime.now(UTC)
    flame = partner.marketplace_lead(created=now - timedelta(hours=2), company="Flame Co")
    overdue = partner.referral(created=now - timedelta(hours=80), company="Overdue Co")
    expiring = partner.referral(
        created=now - timedelta(days=13), company="Expiring Co", requested_contact=False
    )
    overdue_deal = partner.referral(company="Deal Co", requested_contact=False)
    assert_one_lead(partner.act(overdue_deal["id"], "accept", accept_body(estimatedCloseDate="2026-01-15")))
    partner.marketplace_lead(action_code="FreeTrial", company="Trial Co")
    stranger = Partner(api, services)
    stranger.referral(company="Stranger Co")

    response = api.get("/api/actions", headers=partner.headers)
    assert response.status_code == 200
    body = response.json()
    found = body["value"]

    def plus_72h(stamp: str) -> str:
        moment = datetime.fromisoformat(stamp) + timedelta(hours=72)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    # One item per lead, under its most urgent kind, most urgent first.
    assert [(item["kind"], item["leadId"], item["dueDateTime"]) for item in found] == [
        ("ContactOverdue", overdue["id"], overdue["expirationDateTime"]),
        ("ContactRequested", flame["id"], plus_72h(flame["createdDateTime"])),
        ("ExpiringSoon", expiring["id"], expiring["expirationDateTime"]),
        ("RecordOutcome", overdue_deal["id"], "2026-01-15T00:00:00.000Z"),
    ]
    assert body["summary"] == {
        "ContactOverdue": 1,
        "ContactRequested": 1,
        "ExpiringSoon": 1,
        "Respond": 0,
        "RecordOutcome": 1,
    }
    assert body["continuationToken"] is None
    names = {item["leadId"]: item["customerName"] for item in found}
    assert names[flame["id"]] == "Flame Co" and "Stranger Co" not in names.values()
    assert all(item["message"] for item in found)

    first = api.get("/api/actions", params={"top": 2}, headers=partner.headers).json()
    assert [item["leadId"] for item in first["value"]] == [overdue["id"], flame["id"]]
    assert first["summary"] == body["summary"]
    rest = api.get(
        "/api/actions",
        params={"top": 2, "continuationToken": first["continuationToken"]},
        headers=partner.headers,
    ).json()
    assert [item["leadId"] for item in rest["value"]] == [expiring["id"], overdue_deal["id"]]
    assert rest["continuationToken"] is None
    for params in ({"top": "0"}, {"top": "101"}, {"continuationToken": "forged"}):
        refused = api.get("/api/actions", params=params, headers=partner.headers)
        assert refused.status_code == 400
        assert refused.json()["error"]["details"][0]["field"] == next(iter(params))
