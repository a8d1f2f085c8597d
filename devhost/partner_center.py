"""Partner Center tooling: the local stub for `make run`, and the webhook registration command.

    python -m devhost.partner_center register-webhook --webhook-url https://<app>/api/partner-center/events
        Registers the URL for the referral events with Partner Center's webhook API and fires its
        test event (`test-created`); the settings PARTNER_CENTER_AUTHORITY, PARTNER_CENTER_CLIENT_ID
        and PARTNER_CENTER_REFRESH_TOKEN come from the environment (or the options).

    python -m devhost.partner_center stub [--partner contoso] [--port 0]
        Runs the local Partner Center stub with a few seeded referrals and prints the settings
        that point the service at it, until Ctrl-C.

`python -m devhost --partner-center-stub contoso` (`make run PARTNER_CENTER_STUB=contoso`) starts
the same stub beside the host, points the app at it and pulls once, so the Qualified tab shows
marketing- and sales-qualified leads.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime, timedelta

import requests

from shared.adapters.partner_center import RefreshTokenProvider
from shared.config import DEFAULT_SCHEDULES, PARTNER_CENTER_SYNC_SCHEDULE
from tests.support.partner_center_stub import REFERRAL_EVENTS, PartnerCenterStub, make_referral

logger = logging.getLogger("devhost.partner_center")

PARTNER_CENTER_WEBHOOKS_API = "https://api.partnercenter.microsoft.com"
WEBHOOKS_SCOPE = "https://api.partnercenter.microsoft.com/.default"
DEFAULT_STUB_PARTNER = "contoso"

_DEMO = (
    (
        "MarketingQualified",
        "Northwind Traders",
        "Jonas",
        "Weber",
        "jonas@northwind.de",
        "+49 30 901820",
        "DE",
    ),
    (
        "SalesQualified",
        "Contoso Pharma",
        "Sanne",
        "Jansen",
        "sanne@contosopharma.nl",
        "+31 20 555 0101",
        "NL",
    ),
    ("MarketingQualified", "Adventure Works", "Ana", "Silva", "ana@adventure-works.example.org", "", "PT"),
    ("SalesQualified", "Tailspin Toys", "Liam", "Murphy", "liam@tailspintoys.ie", "+353 1 555 0199", "IE"),
)


def seed_demo_referrals(stub: PartnerCenterStub) -> None:
    """A few incoming referrals, marketing- and sales-qualified, as a newcomer would receive them."""
    now = datetime.now(UTC)
    for index, (qualification, company, first, last, email, phone, country) in enumerate(_DEMO):
        stub.add(
            make_referral(
                f"demo-{index + 1:04d}",
                qualification=qualification,
                company=company,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                country=country,
                notes=f"{company} asked Microsoft for a partner to help with an Azure migration.",
                customer_requested_contact=index % 2 == 1,
                created=now - timedelta(hours=2 + index),
            )
        )


def start_stub(partner_id: str) -> PartnerCenterStub:
    """Start a seeded stub and point this process's settings at it (the environment wins over
    local.settings.json)."""
    stub = PartnerCenterStub().start()
    seed_demo_referrals(stub)
    os.environ.update(stub.settings(partner_id))
    # A local.settings.json copied before the sync existed has no schedule for it.
    os.environ.setdefault(PARTNER_CENTER_SYNC_SCHEDULE, DEFAULT_SCHEDULES[PARTNER_CENTER_SYNC_SCHEDULE])
    logger.info(
        "Partner Center stub on %s with %d referrals for %s", stub.url, len(stub.referrals), partner_id
    )
    return stub


def pull_now(base_url: str) -> None:
    """Ask the host to run the pull now, rather than at the schedule's next minute."""

    def run() -> None:
        try:
            requests.post(f"{base_url}/admin/functions/sync_partner_center", json={"input": ""}, timeout=10)
        except requests.RequestException as error:
            logger.warning("could not start the first Partner Center pull: %s", error)

    threading.Thread(target=run, daemon=True).start()


def register_webhook(
    webhooks_api: str, tokens: RefreshTokenProvider, webhook_url: str, events: list[str]
) -> dict[str, object]:
    """Register (or re-register) the webhook, then ask Partner Center for its test event."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {tokens.access_token()}", "Content-Type": "application/json"}
    registration_url = f"{webhooks_api.rstrip('/')}/webhooks/v1/registration"
    body = {"WebhookUrl": webhook_url, "WebhookEvents": events}
    existing = session.get(registration_url, headers=headers, timeout=30)
    method = "PUT" if existing.status_code == 200 and existing.json() else "POST"
    registered = session.request(method, registration_url, json=body, headers=headers, timeout=30)
    registered.raise_for_status()
    test = session.post(f"{registration_url}/validationEvents", headers=headers, timeout=30)
    test.raise_for_status()
    return {"registration": registered.json(), "testEvent": test.json()}


def _command_register(arguments: argparse.Namespace) -> int:
    authority = arguments.authority or os.environ.get("PARTNER_CENTER_AUTHORITY", "")
    client_id = arguments.client_id or os.environ.get("PARTNER_CENTER_CLIENT_ID", "")
    refresh_token = os.environ.get("PARTNER_CENTER_REFRESH_TOKEN", "")
    missing = [
        name
        for name, value in (
            ("PARTNER_CENTER_AUTHORITY", authority),
            ("PARTNER_CENTER_CLIENT_ID", client_id),
            ("PARTNER_CENTER_REFRESH_TOKEN", refresh_token),
        )
        if not value
    ]
    if missing:
        print(f"missing: {', '.join(missing)}", file=sys.stderr)
        return 2
    tokens = RefreshTokenProvider(authority, client_id, refresh_token, scope=arguments.scope)
    result = register_webhook(arguments.webhooks_api, tokens, arguments.webhook_url, arguments.events)
    print(json.dumps(result, indent=2))
    return 0


def _command_stub(arguments: argparse.Namespace) -> int:
    stub = PartnerCenterStub(port=arguments.port).start()
    seed_demo_referrals(stub)
    print(json.dumps(stub.settings(arguments.partner), indent=2))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stub.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m devhost.partner_center", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser(
        "register-webhook", help="register the webhook URL and fire the test event"
    )
    register.add_argument("--webhook-url", required=True, help="https://<app>/api/partner-center/events")
    register.add_argument("--webhooks-api", default=PARTNER_CENTER_WEBHOOKS_API, help="default: %(default)s")
    register.add_argument("--authority", help="default: PARTNER_CENTER_AUTHORITY")
    register.add_argument("--client-id", help="default: PARTNER_CENTER_CLIENT_ID")
    register.add_argument("--scope", default=WEBHOOKS_SCOPE, help="default: %(default)s")
    register.add_argument(
        "--events", nargs="+", default=list(REFERRAL_EVENTS), help="default: the referral events"
    )
    stub = commands.add_parser("stub", help="run the seeded local Partner Center stub")
    stub.add_argument("--partner", default=DEFAULT_STUB_PARTNER, help="default: %(default)s")
    stub.add_argument("--port", type=int, default=0, help="default: a free port")
    arguments = parser.parse_args(argv)
    return (
        _command_register(arguments) if arguments.command == "register-webhook" else _command_stub(arguments)
    )


if __name__ == "__main__":
    sys.exit(main())
