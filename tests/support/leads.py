"""Inbound lead messages for tests: the marketplace's format and Partner Center's referrals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def unique_partner(prefix: str = "p") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def distinct_customer() -> dict[str, str]:
    """Contact fields no other lead shares, so a lead is not related to another (contract §11)."""
    tag = uuid.uuid4().hex[:10]
    return {
        "company": f"Company {tag}",
        "email": f"buyer@{tag}.example",
        "phone": f"+31 20 {5_000_000 + uuid.uuid4().int % 1_000_000}",
    }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def marketplace_lead(
    partner_id: str,
    *,
    lead_id: str | None = None,
    action_code: str = "PLT",
    created: datetime | None = None,
    company: str = "Fabrikam BV",
    email: str = "eva@fabrikam.nl",
    phone: str = "+31 20 794 0000",
    country: str = "NL",
    source: str = "AppSource",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "LeadId": lead_id or f"mkt-{uuid.uuid4().hex[:10]}",
        "PartnerId": partner_id,
        "CreatedTime": iso(created or datetime.now(UTC) - timedelta(minutes=5)),
        "UserDetails": {
            "FirstName": "Eva",
            "LastName": "de Vries",
            "Email": email,
            "Phone": phone,
            "Country": country,
            "Company": company,
            "Title": "CIO",
        },
        "LeadSource": f"{source}-{action_code}|{partner_id}.contoso-crm",
        "ActionCode": action_code,
        "OfferTitle": "Contoso CRM",
        "Description": "We want a demo for 200 seats.",
    }
    body.update(extra)
    return body


def referral(
    partner_id: str,
    *,
    referral_id: str | None = None,
    qualification: str = "SalesQualified",
    created: datetime | None = None,
    company: str = "Northwind Traders",
    country: str = "DE",
    requested_contact: bool = True,
) -> dict[str, Any]:
    return {
        "partnerId": partner_id,
        "id": referral_id or f"ref-{uuid.uuid4().hex[:10]}",
        "qualification": qualification,
        "createdDateTime": iso(created or datetime.now(UTC) - timedelta(minutes=5)),
        "customerProfile": {
            "name": company,
            "size": "51to500employees",
            "address": {"country": country, "city": "Berlin"},
            "team": [
                {
                    "firstName": "Jonas",
                    "lastName": "Weber",
                    "email": "jonas@northwind.de",
                    "phoneNumber": "+49 30 901820",
                }
            ],
        },
        "details": {"notes": "Migrating 40 servers to Azure.", "customerRequestedContact": requested_contact},
        "consent": {"consentToContact": True, "consentToShareInfoWithOthers": False},
        "inviteContext": {"invitedBy": {"organizationId": "msft", "organizationName": "Microsoft"}},
    }


def accept_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dealName": "Fabrikam CRM rollout",
        "estimatedValue": 25000,
        "currency": "EUR",
        "estimatedCloseDate": "2027-03-31",
        "notes": "Demo booked for next week.",
    }
    body.update(overrides)
    return body
