"""A marketplace body that passes the 64 KiB HTTP limit but cannot fit in a queue message."""

from __future__ import annotations

import json

import httpx

from shared.adapters.azure_limits import queue_message_bytes
from tests.conftest import wait_for
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header


def _body_of(size: int, partner: str) -> bytes:
    """A valid marketplace lead whose JSON is `size` bytes: a long description, and a field the
    mapping does not use (the marketplace may add fields) for the rest."""
    lead = marketplace_lead(partner, Description="", Comments="")
    padding = size - len(json.dumps(lead, ensure_ascii=False).encode())
    lead["Description"] = "x" * min(padding, 30_000)
    lead["Comments"] = "y" * (padding - len(lead["Description"]))
    body = json.dumps(lead, ensure_ascii=False).encode()
    assert len(body) == size
    return body


def test_a_body_whose_queue_message_would_exceed_64_kib_is_refused_with_413(api: httpx.Client) -> None:
    partner = unique_partner()
    body = _body_of(50 * 1024, partner)  # under the 64 KiB HTTP limit; ~67 KiB as base64
    assert queue_message_bytes(body.decode()) > 64 * 1024

    response = api.post("/api/marketplace/leads", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "PayloadTooLarge"
    assert "64 KiB" in error["message"] and "queue" in error["message"]


def test_the_largest_body_that_fits_a_queue_message_is_accepted_and_stored(api: httpx.Client) -> None:
    partner = unique_partner()
    body = _body_of(48 * 1024, partner)  # exactly 64 KiB as base64
    assert queue_message_bytes(body.decode()) == 64 * 1024

    response = api.post("/api/marketplace/leads", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 202, response.text

    def stored() -> list[dict[str, object]]:
        listed = api.get("/api/leads", headers=principal_header(partner_id=partner))
        return listed.json()["value"]

    assert len(wait_for(stored)) == 1
