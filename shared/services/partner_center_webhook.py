"""Partner Center's webhook events (contract §10, `POST /api/partner-center/events`).

An event is believed only when its RSA-SHA256 signature (`Authorization: Signature <base64>`)
verifies over the exact body with the certificate at `X-MS-Certificate-Url` on an allowed host.
A verified event is accepted once: its signature is recorded (insert-if-absent, so racing
deliveries cannot both pass) and an event seen before, or one whose `ResourceChangeUtcDate` lies
outside `REPLAY_WINDOW` of now (so the record need be kept only that long), is refused. A refused
event answers 401 and changes nothing. An accepted referral event only queues a fetch of its
`ResourceUri`; the referral is read and stored after the answer (`partner_center_sync`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.webhook_certificates import CertificateRefused, signature_verifies
from shared.domain.errors import FieldError, ServiceError, bad_request
from shared.domain.strict_json import JsonRefused, loads_strict
from shared.services import partner_center_sync
from shared.services.container import Services

log = logging.getLogger(__name__)

REFERRAL_EVENTS = frozenset(
    {"referral-created", "referral-updated", "related-referral-created", "related-referral-updated"}
)
TEST_EVENT = "test-created"
SIGNATURE_ALGORITHM = "rsa-sha256"
# How far an event's ResourceChangeUtcDate may lie from now; signatures are remembered as long.
REPLAY_WINDOW = timedelta(hours=24)
_EVENT_FIELDS = ("EventName", "ResourceUri", "ResourceName", "ResourceChangeUtcDate")
# .NET writes seven fractional digits; Python reads at most six.
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _refused(reason: str) -> ServiceError:
    log.warning("Partner Center webhook event refused: %s", reason)
    return ServiceError(401, "Unauthenticated", f"The event is not signed by Partner Center: {reason}.")


def _event(body: bytes) -> dict[str, Any]:
    try:
        event = loads_strict(body)
    except (JsonRefused, ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request([FieldError("body", "not JSON")], "The event is not JSON.") from None
    if not isinstance(event, dict):
        raise bad_request([FieldError("body", "not a JSON object")], "The event is not a JSON object.")
    for name in _EVENT_FIELDS:
        if not isinstance(event.get(name), str) or not event[name]:
            raise bad_request([FieldError(name, "required")], f"The event has no {name}.")
    return event


def _changed_at(event: dict[str, Any]) -> datetime:
    text = _FRACTION.sub(r"\1", event["ResourceChangeUtcDate"].replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(
            [FieldError("ResourceChangeUtcDate", "invalid")], "The event's date is not valid."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def receive_event(services: Services, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify one delivery and act on it; returns the event's name. Raises 401 (`ServiceError`)
    for a missing, bad or replayed signature, 400 for a signed body that is not an event."""
    lower = {key.lower(): value for key, value in headers.items()}
    scheme, _, signature = lower.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "signature" or not signature.strip():
        raise _refused("no Authorization: Signature header")
    algorithm = lower.get("x-ms-signature-algorithm", SIGNATURE_ALGORITHM).strip().lower()
    if algorithm != SIGNATURE_ALGORITHM:
        raise _refused(f"signature algorithm {algorithm[:40]!r} is not {SIGNATURE_ALGORITHM}")
    certificate_url = lower.get("x-ms-certificate-url", "").strip()
    if not certificate_url:
        raise _refused("no X-MS-Certificate-Url header")
    now = services.clock()
    try:
        key = services.webhook_certificates.public_key(certificate_url, now)
    except CertificateRefused as error:
        raise _refused(str(error)) from None
    if not signature_verifies(key, body, signature.strip()):
        raise _refused("the signature does not verify")
    event = _event(body)
    changed = _changed_at(event)
    if abs(now - changed) > REPLAY_WINDOW:
        raise _refused("the event is older than the replay window")
    if not services.partner_center_state.first_sighting(signature.strip(), changed):
        raise _refused("the event was delivered before (replay)")
    name = str(event["EventName"])
    if name in REFERRAL_EVENTS:
        try:
            partner_center_sync.queue_fetch(services, event)
        except Exception:
            # Not accepted after all: Partner Center's redelivery must not look like a replay.
            services.partner_center_state.forget(signature.strip(), changed)
            raise
    else:
        log.info("Partner Center webhook event %s accepted, nothing to fetch", name[:100])
    return name
