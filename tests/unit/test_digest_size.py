"""A digest email always fits in what Azure Communication Services accepts (10 MB a request)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from shared.adapters.azure_limits import MAX_EMAIL_REQUEST_BYTES
from shared.adapters.email_senders import acs_payload
from shared.domain.notification_content import render_digest
from shared.services.notifications import MAX_LEADS_PER_DIGEST_EMAIL

# The longest text intake accepts in a customer or offer field.
FIELD_MAX = 4000
# The costliest character once HTML-escaped and JSON-encoded: outside the BMP, a surrogate
# pair of two `\uXXXX` escapes (12 bytes); `&` and `"` escape to at most 6.
WIDEST = "😀"


def maximal_lead(n: int) -> dict[str, Any]:
    text = (WIDEST + '&"<') * (FIELD_MAX // 4)
    return {
        "id": f"{n:013d}abcdefghjk",
        "partnerId": "contoso",
        "leadType": "Offer",
        "qualification": "Direct",
        "leadSource": "AppSource",
        "callToAction": "ContactMe",
        "offer": {"id": text, "title": text},
        "customer": {
            "company": text,
            "firstName": text,
            "lastName": text,
            "email": text,
            "phone": text,
            "title": text,
            "country": "NL",
            "size": None,
        },
        "customerNeed": text * 8,
        "customerRequestedContact": True,
        "stage": "Received",
        "status": "Expired",
        "createdDateTime": "2026-11-20T08:15:00Z",
        "expirationDateTime": "2026-12-04T08:15:00Z",
        "emailValidity": "Spam",
        "phoneValidity": "Invalid",
        "quality": "Low",
        "spamFlags": ["disposable_domain", "role_address", "spam_domain", "test_lead", "test_pattern"],
    }


def acs_request_bytes(leads: list[dict[str, Any]]) -> int:
    """The size of the digest's Email API JSON body, every non-ASCII character escaped (the
    larger of the encodings a client may use)."""
    message = render_digest(
        leads,
        day=date(2026, 11, 20),
        recipient="admin@contoso.example",
        sender="leads@contoso.example",
        portal_base_url="https://leads.contoso.example",
    )
    assert len(message.lead_ids) == len(leads)
    return len(json.dumps(acs_payload(message)).encode("utf-8"))


def test_a_full_digest_of_maximal_leads_stays_well_under_the_acs_limit() -> None:
    leads = [maximal_lead(n) for n in range(MAX_LEADS_PER_DIGEST_EMAIL)]
    assert acs_request_bytes(leads) < MAX_EMAIL_REQUEST_BYTES // 2


def test_a_typical_digest_row_is_about_a_kilobyte() -> None:
    typical = {
        **maximal_lead(0),
        "offer": {"id": "contoso-crm", "title": "Contoso CRM"},
        "customer": {
            "company": "Fabrikam BV",
            "firstName": "Eva",
            "lastName": "de Vries",
            "email": "eva@fabrikam.nl",
        },
        "status": "Received",
        "quality": "High",
        "spamFlags": [],
    }

    def leads(count: int) -> list[dict[str, Any]]:
        return [{**typical, "id": f"{n:013d}abcdefghjk"} for n in range(count)]

    per_row = (acs_request_bytes(leads(101)) - acs_request_bytes(leads(1))) / 100
    assert 300 < per_row < 2000
