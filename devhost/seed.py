"""`python -m devhost.seed` (`make seed`): sample leads in every tab of a running local host.

Leads arrive the way Microsoft sends them: offer leads through the marketplace's HTTP intake
(`POST /api/marketplace/leads`) and referrals as the `referrals` queue's message, run by the
host's admin endpoint (`POST /admin/functions/ingest_referral`), so intake, validation, the
NewLead emails (to `.outbox/`) and the timers all do their real work. Then a few are accepted,
declined, won and lost through the API as the local sign-in page's default user would.

Idempotent: every lead has a fixed marketplace `LeadId` or referral `id`, so a second run adds
nothing, and an action is taken only while the lead is still in the stage it needs.
Development only: it speaks to the local host, never to Azure.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

PARTNER_ID = "contoso"
# The local sign-in page's default user (devhost/dev_auth.py), so the portal shows the same
# favorites after signing in with its defaults.
USER_ID = "local-user"
USER_NAME = "Local User"
RECIPIENTS = [
    {"email": "sales@contoso.example", "name": "Sales", "language": "en"},
    {"email": "verkoop@contoso.example", "name": "Verkoop", "language": "nl"},
]
VALIDATION_TIMEOUT_SECONDS = 60.0


def principal_header(user_id: str = USER_ID, partner_id: str = PARTNER_ID) -> str:
    claims = [
        {"typ": "oid", "val": user_id},
        {"typ": "name", "val": USER_NAME},
        {"typ": "partner_id", "val": partner_id},
        {"typ": "roles", "val": "ReferralsAdmin"},
    ]
    return base64.b64encode(json.dumps({"claims": claims}).encode()).decode()


@dataclass(frozen=True)
class SampleLead:
    """One sample lead: its intake body and what happens to it afterwards."""

    key: str  # the marketplace LeadId or the referral id: fixed, so a rerun is the same lead
    company: str
    body: dict[str, Any]
    referral: bool = False
    then: tuple[str, ...] = ()  # "accept", "decline", "won", "lost", "favorite"
    tags: frozenset[str] = field(default_factory=frozenset)  # what the lead shows, for the tests


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _offer(
    partner_id: str,
    key: str,
    company: str,
    contact: tuple[str, str, str, str, str],
    *,
    action: str = "PLT",
    created: datetime,
    offer: str = "Contoso CRM",
    need: str | None = None,
    requested: bool | None = None,
    then: tuple[str, ...] = (),
    tags: frozenset[str] = frozenset(),
) -> SampleLead:
    first, last, email, phone, country = contact
    body: dict[str, Any] = {
        "LeadId": key,
        "PartnerId": partner_id,
        "CreatedTime": _iso(created),
        "UserDetails": {
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "Phone": phone,
            "Country": country,
            "Company": company,
            "Title": "IT Manager",
        },
        "LeadSource": f"AppSource-{action}|{partner_id}.contoso-crm",
        "ActionCode": action,
        "OfferTitle": offer,
        "Description": need,
    }
    if requested is not None:
        body["CustomerRequestedContact"] = requested
    return SampleLead(key, company, body, then=then, tags=tags)


def _referral(
    partner_id: str,
    key: str,
    company: str,
    contact: tuple[str, str, str, str, str],
    *,
    qualification: str,
    created: datetime,
    need: str,
    requested: bool = False,
    then: tuple[str, ...] = (),
    tags: frozenset[str] = frozenset(),
) -> SampleLead:
    first, last, email, phone, country = contact
    body = {
        "id": key,
        "partnerId": partner_id,
        "qualification": qualification,
        "createdDateTime": _iso(created),
        "customerProfile": {
            "name": company,
            "size": "51to500employees",
            "address": {"country": country, "city": None},
            "team": [{"firstName": first, "lastName": last, "email": email, "phoneNumber": phone}],
        },
        "details": {"notes": need, "customerRequestedContact": requested},
    }
    return SampleLead(key, company, body, referral=True, then=then, tags=tags)


def sample_leads(now: datetime, partner_id: str = PARTNER_ID) -> list[SampleLead]:
    """The sample, relative to `now`: what each tab and filter of the portal can show."""
    hours = lambda n: now - timedelta(hours=n)  # noqa: E731 - a local shorthand
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    tag = lambda *names: frozenset(names)  # noqa: E731
    return [
        _offer(
            partner_id,
            "seed-mkt-flame",
            "Fabrikam BV",
            ("Eva", "de Vries", "eva.devries@fabrikam.nl", "+31 20 794 0000", "NL"),
            created=hours(2),
            need="We want a demo of the CRM for 200 seats before January.",
            tags=tag("flame"),
        ),
        _offer(
            partner_id,
            "seed-mkt-overdue",
            "Northwind Traders GmbH",
            ("Jonas", "Weber", "jonas.weber@northwindtraders.de", "+49 30 901820", "DE"),
            created=days(4),
            need="Please call us about licensing for our sales team.",
            then=("favorite",),
            tags=tag("overdue"),
        ),
        _offer(
            partner_id,
            "seed-mkt-expiring",
            "Tailwind Traders SARL",
            ("Camille", "Laurent", "camille.laurent@tailwindtraders.fr", "+33 1 42 68 53 00", "FR"),
            created=days(13) - timedelta(hours=6),
            requested=False,
            need="Comparing three CRM offers this quarter.",
            tags=tag("expiring"),
        ),
        _offer(
            partner_id,
            "seed-mkt-role",
            "Tailspin Toys Ltd",
            ("Olivia", "Smith", "info@tailspintoys.co.uk", "+44 20 7946 0958", "GB"),
            created=hours(20),
            requested=False,
            tags=tag("role_address"),
        ),
        _offer(
            partner_id,
            "seed-mkt-disposable",
            "Quick Cash Deals",
            ("Max", "Power", "max.power@mailinator.com", "+31 6 12345678", "NL"),
            created=hours(5),
            requested=False,
            tags=tag("spam", "disposable_domain"),
        ),
        _offer(
            partner_id,
            "seed-mkt-testlead",
            "MSFT_TEST Contoso Test Company",
            ("MSFT_TEST", "Lead", "msft_test@contoso-test.example", "+1 425 882 8080", "US"),
            created=hours(1),
            requested=False,
            tags=tag("spam", "test_lead"),
        ),
        _offer(
            partner_id,
            "seed-mkt-testdrive",
            "Proseware Inc",
            ("Ana", "Bowman", "ana.bowman@proseware.com", "+1 425 882 8080", "US"),
            action="StartTestDrive",
            created=hours(30),
            tags=tag("informational"),
        ),
        _offer(
            partner_id,
            "seed-mkt-trial",
            "Lamna Healthcare",
            ("Sofia", "Rossi", "sofia.rossi@lamnahealthcare.it", "+39 06 6982 0000", "IT"),
            action="FreeTrial",
            created=days(2),
            tags=tag("informational"),
        ),
        _offer(
            partner_id,
            "seed-mkt-accepted",
            "Wide World Importers",
            ("Liam", "Jansen", "liam.jansen@wideworldimporters.nl", "+31 10 224 0000", "NL"),
            created=days(3),
            requested=False,
            then=("accept", "favorite"),
            tags=tag("accepted"),
        ),
        _offer(
            partner_id,
            "seed-mkt-declined",
            "Litware BV",
            ("Noah", "Bakker", "noah.bakker@litware.nl", "+31 30 230 0000", "NL"),
            created=days(6),
            requested=False,
            then=("decline",),
            tags=tag("declined"),
        ),
        _offer(
            partner_id,
            "seed-mkt-won",
            "Margie's Travel",
            ("Emma", "Visser", "emma.visser@margiestravel.nl", "+31 70 356 0000", "NL"),
            created=days(9),
            requested=False,
            then=("accept", "won"),
            tags=tag("won"),
        ),
        _offer(
            partner_id,
            "seed-mkt-lost",
            "Trey Research",
            ("Lucas", "Müller", "lucas.mueller@treyresearch.de", "+49 89 2180 0", "DE"),
            created=days(10),
            requested=False,
            then=("accept", "lost"),
            tags=tag("lost"),
        ),
        _referral(
            partner_id,
            "seed-ref-mql",
            "Alpine Ski House",
            ("Mila", "Peeters", "mila.peeters@alpineskihouse.be", "+32 2 550 0000", "BE"),
            qualification="MarketingQualified",
            created=hours(8),
            need="Attended the Azure migration webinar; wants pricing for 50 users.",
            tags=tag("marketing_qualified"),
        ),
        _referral(
            partner_id,
            "seed-ref-sql-flame",
            "Coho Winery",
            ("Daan", "de Jong", "daan.dejong@cohowinery.nl", "+31 20 521 0000", "NL"),
            qualification="SalesQualified",
            created=hours(10),
            need="Budget approved for a CRM rollout; asked for a call this week.",
            requested=True,
            tags=tag("sales_qualified", "flame"),
        ),
        _referral(
            partner_id,
            "seed-ref-sql-accepted",
            "Woodgrove Bank",
            ("Sophie", "Martin", "sophie.martin@woodgrovebank.com", "+44 20 7946 0000", "GB"),
            qualification="SalesQualified",
            created=days(5),
            need="Replacing their current CRM in 2027.",
            then=("accept",),
            tags=tag("sales_qualified", "accepted"),
        ),
    ]


class Seeder:
    def __init__(self, client: httpx.Client, *, partner_id: str = PARTNER_ID, out: Any = sys.stdout) -> None:
        self.client = client
        self.partner_id = partner_id
        self.headers = {"X-MS-CLIENT-PRINCIPAL": principal_header(partner_id=partner_id)}
        self.out = out

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def wait_for_health(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.client.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"seed: no healthy host at {self.client.base_url} (is `make run` up?)")
            time.sleep(0.5)

    def ensure_recipients(self) -> None:
        current = self.client.get("/api/settings/notifications", headers=self.headers)
        current.raise_for_status()
        if current.json()["recipients"]:
            return  # a partner's own choice is kept
        self.client.put(
            "/api/settings/notifications", headers=self.headers, json={"recipients": RECIPIENTS}
        ).raise_for_status()
        self.say("seed: lead emails go to sales@ (English) and verkoop@ (Dutch) in the outbox")

    def send(self, lead: SampleLead) -> None:
        if lead.referral:
            answer = self.client.post(
                "/admin/functions/ingest_referral", json={"input": json.dumps(lead.body)}
            )
        else:
            answer = self.client.post("/api/marketplace/leads", json=lead.body)
        if answer.status_code != 202:
            raise SystemExit(f"seed: {lead.key} refused ({answer.status_code}): {answer.text[:300]}")

    def listed(self) -> dict[str, dict[str, Any]]:
        """The partner's leads by company (marketplace and qualified tabs)."""
        found: dict[str, dict[str, Any]] = {}
        for tab in ("marketplace", "qualified"):
            token: str | None = None
            while True:
                params = {"tab": tab, "top": "500", **({"continuationToken": token} if token else {})}
                page = self.client.get("/api/leads", headers=self.headers, params=params)
                page.raise_for_status()
                body = page.json()
                for lead in body["value"]:
                    found.setdefault(lead["customer"]["company"], lead)
                token = body.get("continuationToken")
                if not token:
                    break
        return found

    def wait_until_validated(self, leads: list[SampleLead]) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + VALIDATION_TIMEOUT_SECONDS
        while True:
            found = self.listed()
            waiting = [
                lead.company
                for lead in leads
                if lead.company not in found
                or (found[lead.company]["stage"] != "Informational" and not found[lead.company]["quality"])
            ]
            if not waiting:
                return found
            if time.monotonic() > deadline:
                raise SystemExit(f"seed: not taken in within {VALIDATION_TIMEOUT_SECONDS:.0f}s: {waiting}")
            time.sleep(0.5)

    def act(self, lead: SampleLead, stored: dict[str, Any], now: datetime) -> None:
        lead_id = stored["id"]
        base = f"/api/leads/{lead_id}"
        for step in lead.then:
            current = self.client.get(base, headers=self.headers)
            current.raise_for_status()
            stage = current.json()["stage"]
            if step == "favorite":
                self.client.put(f"{base}/favorite", headers=self.headers).raise_for_status()
            elif step == "accept" and stage == "Received":
                self._post(f"{base}/accept", self._deal(lead, now))
            elif step == "decline" and stage == "Received":
                self._post(f"{base}/decline", {"reason": "NotACustomer", "notes": "A student project."})
            elif step in ("won", "lost") and stage == "Accepted":
                outcome = {"outcome": "Won", "notes": "Signed for three years.", "finalValue": 36000}
                if step == "lost":
                    outcome = {"outcome": "Lost", "reason": "CustomerChoseAnotherVendor"}
                self._post(f"{base}/close", outcome)

    @staticmethod
    def _deal(lead: SampleLead, now: datetime) -> dict[str, Any]:
        return {
            "dealName": f"Contoso CRM for {lead.company}",
            "estimatedValue": 24000,
            "currency": "EUR",
            "estimatedCloseDate": (now + timedelta(days=45)).date().isoformat(),
            "notes": "Demo held; proposal sent.",
        }

    def _post(self, path: str, body: dict[str, Any]) -> None:
        answer = self.client.post(path, headers=self.headers, json=body)
        if answer.status_code != 200:
            raise SystemExit(f"seed: {path} answered {answer.status_code}: {answer.text[:300]}")

    def run(self, now: datetime | None = None) -> dict[str, dict[str, Any]]:
        now = now or datetime.now(UTC)
        leads = sample_leads(now, self.partner_id)
        self.wait_for_health()
        self.ensure_recipients()
        for lead in leads:
            self.send(lead)
        found = self.wait_until_validated(leads)
        for lead in leads:
            self.act(lead, found[lead.company], now)
        # The hourly sweep, now: the overdue request gets its flag and its reminder email.
        self.client.post("/admin/functions/flag_overdue_contact_requests", json={"input": ""})
        self.say(f"seed: {len(leads)} sample leads for partner {self.partner_id!r}; sign in as {USER_ID!r}")
        return self.listed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost.seed", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default="http://127.0.0.1:7071", help="the local host (default: %(default)s)"
    )
    parser.add_argument("--partner", default=PARTNER_ID, help="the partner id (default: %(default)s)")
    arguments = parser.parse_args(argv)
    with httpx.Client(base_url=arguments.url, timeout=30, trust_env=False) as client:
        Seeder(client, partner_id=arguments.partner).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
