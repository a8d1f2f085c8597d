"""A local Partner Center: the Referrals API subset the service uses, its token endpoint and webhooks.

A stateful HTTP server on a free loopback port (`PartnerCenterStub().start()`):

- `GET /v1.0/engagements/referrals` with the OData subset the sync uses: `$filter` of clauses
  `<field> <eq|ne|gt|ge|lt|le> <value>` joined by `and` (fields `updatedDateTime`,
  `createdDateTime`, `direction`, `status`, `qualification`, `type`), `$orderby` of
  `<field> [asc|desc]` terms, `$top` (1-100, the page size) and `$skip`; a full page carries
  `@odata.nextLink` to the next one.
- `GET /v1.0/engagements/referrals/{id}`, `PUT` (requires `If-Match`; 412 when it names another
  version) and `PATCH` (JSON Patch per the definition's `UpdateReferralDetails`; `If-Match`
  honoured when sent; answers 204 with the new `ETag`). Every change gives the referral a new
  `eTag` and `updatedDateTime`.
- `POST /<tenant>/oauth2/v2.0/token`: the OAuth 2.0 refresh-token grant, issuing bearer tokens
  the API requires (401 without one, or with an expired one).
- `POST /webhooks/v1/registration` (and GET) to register the webhook URL and events;
  `POST /webhooks/v1/registration/validationEvents` fires the `test-created` event; the stub
  signs every event it delivers (RSA-SHA256 with a self-signed certificate served at
  `/certificates/webhook.cer`) with Partner Center's headers.
- Faults on demand: `throttle(n, retry_after)` answers the next n API calls 429,
  `fail(n, status)` answers them with `status`.

Every request to the Referrals API and every answer it gives is checked against Microsoft's
definition (`partner_center/contract.py`); mismatches are collected in `mismatches`, and
`assert_conforms()` (called by the fixtures at teardown) fails the test on any of them.
`requests` records each API call (method, path, query, headers, JSON body) so a test can assert
exactly what the service sent.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.support.partner_center.contract import ApiContract

API_PREFIX = "/v1.0/engagements/referrals"
TENANT = "stub-tenant"
CERTIFICATE_PATH = "/certificates/webhook.cer"
REFERRAL_EVENTS = (
    "referral-created",
    "referral-updated",
    "related-referral-created",
    "related-referral-updated",
)
MAX_TOP = 100

_CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|[0-9T:.\-+Z]+)\s*$")
_FILTER_FIELDS = ("updatedDateTime", "createdDateTime", "direction", "status", "qualification", "type")
_TIME_FIELDS = ("updatedDateTime", "createdDateTime")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def make_referral(
    referral_id: str | None = None,
    *,
    qualification: str = "SalesQualified",
    company: str = "Northwind Traders",
    first_name: str = "Jonas",
    last_name: str = "Weber",
    email: str = "jonas@northwind.de",
    phone: str = "+49 30 901820",
    country: str = "DE",
    notes: str = "Migrating 40 servers to Azure.",
    customer_requested_contact: bool = True,
    created: datetime | None = None,
) -> dict[str, Any]:
    """An incoming referral in the definition's shape (New / Received, as Microsoft sends it)."""
    created = created or datetime.now(UTC) - timedelta(hours=1)
    return {
        "id": referral_id or str(uuid.uuid4()),
        "name": f"{company} referral",
        "qualification": qualification,
        "type": "Independent",
        "direction": "Incoming",
        "status": "New",
        "substatus": "Received",
        "createdDateTime": iso(created),
        "customerProfile": {
            "name": company,
            "size": "51to500employees",
            "address": {"country": country, "city": "Berlin"},
            "team": [{"firstName": first_name, "lastName": last_name, "email": email, "phoneNumber": phone}],
        },
        "details": {"notes": notes, "customerRequestedContact": customer_requested_contact},
        "consent": {"consentToContact": True},
        "inviteContext": {"invitedBy": {"organizationId": "msft", "organizationName": "Microsoft"}},
        "team": [],
    }


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any


@dataclass
class _Faults:
    throttled: int = 0
    retry_after: int = 1
    failing: int = 0
    failure_status: int = 500


@dataclass
class WebhookDelivery:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class PartnerCenterStub:
    def __init__(
        self,
        *,
        refresh_token: str = "stub-refresh-token",  # noqa: S107 - the stub's own, accepted only by it
        token_lifetime: int = 3600,
        port: int = 0,
    ) -> None:
        self._port = port
        self.contract = ApiContract()
        self.referrals: dict[str, dict[str, Any]] = {}
        self.mismatches: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.token_requests = 0
        self.refresh_tokens = {refresh_token}
        self.token_lifetime = token_lifetime
        self._tokens: dict[str, datetime] = {}
        self.webhook: dict[str, Any] | None = None
        self.faults = _Faults()
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._lock = threading.RLock()
        self._sequence = 0
        self._last_change = datetime(2000, 1, 1, tzinfo=UTC)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate = _self_signed(self.key)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> PartnerCenterStub:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PartnerCenterStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def authority(self) -> str:
        return f"{self.url}/{TENANT}"

    @property
    def certificate_url(self) -> str:
        return f"{self.url}{CERTIFICATE_PATH}"

    @property
    def certificate_host(self) -> str:
        return urlsplit(self.url).netloc

    def settings(self, partner_id: str, refresh_token: str | None = None) -> dict[str, str]:
        """The app settings that point the service at this stub."""
        return {
            "PARTNER_CENTER_API_URL": self.url,
            "PARTNER_CENTER_PARTNER_ID": partner_id,
            "PARTNER_CENTER_AUTHORITY": self.authority,
            "PARTNER_CENTER_CLIENT_ID": "stub-client",
            "PARTNER_CENTER_REFRESH_TOKEN": refresh_token or next(iter(self.refresh_tokens)),
            "PARTNER_CENTER_WEBHOOK_CERT_HOSTS": self.certificate_host,
        }

    def assert_conforms(self) -> None:
        assert not self.mismatches, (
            "Partner Center stub saw exchanges outside the API definition:\n" + "\n".join(self.mismatches)
        )

    # -- state -----------------------------------------------------------------------------
    def _stamp(self, referral: dict[str, Any]) -> None:
        """A new version: a new eTag and updatedDateTime, strictly after the previous change."""
        self._sequence += 1
        self._last_change = max(self.clock(), self._last_change + timedelta(microseconds=1))
        referral["updatedDateTime"] = iso(self._last_change)
        referral["eTag"] = f'"{self._sequence}-{secrets.token_hex(4)}"'

    def add(self, referral: dict[str, Any]) -> dict[str, Any]:
        """Create (or replace) a referral as Partner Center would; returns the stored copy."""
        with self._lock:
            stored = copy.deepcopy(referral)
            self._stamp(stored)
            stored["links"] = {"self": {"uri": f"{self.url}{API_PREFIX}/{stored['id']}", "method": "GET"}}
            self.referrals[stored["id"]] = stored
            return copy.deepcopy(stored)

    def update(self, referral_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Change a referral in Partner Center (a Microsoft seller, the customer); new eTag."""
        with self._lock:
            stored = self.referrals[referral_id]
            change(stored)
            self._stamp(stored)
            return copy.deepcopy(stored)

    def throttle(self, count: int, retry_after: int = 1) -> None:
        with self._lock:
            self.faults.throttled, self.faults.retry_after = count, retry_after

    def fail(self, count: int, status: int = 500) -> None:
        with self._lock:
            self.faults.failing, self.faults.failure_status = count, status

    def api_calls(self, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if method is None or r.method == method]

    # -- webhooks --------------------------------------------------------------------------
    def resource_uri(self, referral_id: str) -> str:
        return f"{self.url}{API_PREFIX}/{referral_id}"

    def event_body(self, event_name: str, referral_id: str | None, changed: datetime | None = None) -> bytes:
        event = {
            "EventName": event_name,
            "ResourceUri": self.resource_uri(referral_id)
            if referral_id
            else f"{self.url}/webhooks/v1/api/events/test",
            "ResourceName": "referral" if referral_id else "test",
            "AuditUri": None,
            "ResourceChangeUtcDate": iso(changed or self.clock()),
        }
        return json.dumps(event).encode()

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        signature = (key or self.key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def signed_headers(self, body: bytes, *, certificate_url: str | None = None) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Authorization": f"Signature {self.sign(body)}",
            "X-MS-Certificate-Url": certificate_url or self.certificate_url,
            "X-MS-Signature-Algorithm": "rsa-sha256",
        }

    def deliver(
        self,
        event_name: str,
        referral_id: str | None,
        *,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> WebhookDelivery:
        """POST a signed event to `url` (default: the registered webhook URL), as Partner Center does."""
        target = url or (self.webhook or {}).get("WebhookUrl")
        assert target, "no webhook registered and no url given"
        body = body if body is not None else self.event_body(event_name, referral_id)
        headers = headers if headers is not None else self.signed_headers(body)
        response = httpx.post(target, content=body, headers=headers, timeout=30, trust_env=False)
        return WebhookDelivery(response.status_code, body, headers)

    # -- request handling (called by the handler) -------------------------------------------
    def _bearer_ok(self, headers: dict[str, str]) -> bool:
        value = headers.get("authorization", "")
        if not value.startswith("Bearer "):
            return False
        expiry = self._tokens.get(value[len("Bearer ") :])
        return expiry is not None and expiry > self.clock()

    def issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def one(name: str) -> str:
            values = form.get(name) or [""]
            return values[0]

        with self._lock:
            self.token_requests += 1
            if one("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type"}
            if not one("client_id") or not one("scope"):
                return 400, {"error": "invalid_request", "error_description": "client_id and scope required"}
            if one("refresh_token") not in self.refresh_tokens:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70000: refresh token invalid",
                }
            token = secrets.token_urlsafe(24)
            self._tokens[token] = self.clock() + timedelta(seconds=self.token_lifetime)
            return 200, {
                "token_type": "Bearer",
                "scope": one("scope"),
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            }

    def handle_api(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(
                RecordedRequest(method, path, query, headers, json.loads(body) if body.strip() else None)
            )
            problems = self.contract.check_request(method, path, query, headers, body)
            if problems:
                self.mismatches.extend(problems)
                return 400, {}, {"code": "BadRequest", "description": "; ".join(problems)}
            if not self._bearer_ok(headers):
                return 401, {}, {"code": "Unauthorized", "description": "no valid bearer token"}
            if self.faults.throttled:
                self.faults.throttled -= 1
                return 429, {"Retry-After": str(self.faults.retry_after)}, {"code": "TooManyRequests"}
            if self.faults.failing:
                self.faults.failing -= 1
                return self.faults.failure_status, {}, {"code": "ServiceUnavailable"}
            referral_id = path[len(API_PREFIX) + 1 :] if path.startswith(API_PREFIX + "/") else None
            if referral_id is None:
                return self._list(query)
            stored = self.referrals.get(referral_id)
            if stored is None:
                return 404, {}, {"code": "NotFound", "description": f"referral {referral_id} not found"}
            if method == "GET":
                return 200, {"ETag": stored["eTag"]}, copy.deepcopy(stored)
            if_match = headers.get("if-match")
            if if_match is not None and if_match not in (stored["eTag"], "*"):
                return 412, {}, {"code": "PreconditionFailed", "description": "eTag mismatch"}
            if method == "PUT":
                return self._put(stored, json.loads(body))
            return self._patch(stored, json.loads(body))

    def _put(self, stored: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        read_only = {
            "id",
            "eTag",
            "createdDateTime",
            "updatedDateTime",
            "direction",
            "links",
            "qualification",
        }
        for key, value in body.items():
            if key not in read_only and not key.startswith("@"):
                stored[key] = value
        self._stamp(stored)
        return 200, {"ETag": stored["eTag"]}, copy.deepcopy(stored)

    def _patch(
        self, stored: dict[str, Any], operations: list[dict[str, Any]]
    ) -> tuple[int, dict[str, str], Any]:
        for operation in operations:
            parts = operation["path"].strip("/").split("/")
            target = stored
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            last = parts[-1]
            if last == "-":  # append to the array at the parent path
                parent = stored
                for part in parts[:-2]:
                    parent = parent.setdefault(part, {})
                parent.setdefault(parts[-2], []).append(operation.get("value"))
            else:
                target[last] = operation.get("value")
        self._stamp(stored)
        return 204, {"ETag": stored["eTag"]}, None

    def _list(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        top = int(one("$top") or MAX_TOP)
        skip = int(one("$skip") or 0)
        if not 1 <= top <= MAX_TOP or skip < 0:
            return 400, {}, {"code": "BadRequest", "description": f"$top must be 1-{MAX_TOP}"}
        try:
            keep = _filter(one("$filter"))
            order = _order(one("$orderby"))
        except ValueError as error:
            # The stub's OData subset is what the sync may use: anything else is a test failure.
            self.mismatches.append(f"OData outside the stub's subset: {error}")
            return 400, {}, {"code": "BadRequest", "description": str(error)}
        matching = [r for r in self.referrals.values() if keep(r)]
        for name, descending in reversed(order):
            matching.sort(key=lambda r, n=name: (r.get(n) is None, r.get(n) or ""), reverse=descending)
        page = [copy.deepcopy(r) for r in matching[skip : skip + top]]  # only the page leaves the lock
        answer: dict[str, Any] = {"@odata.context": f"{self.url}{API_PREFIX}/$metadata", "value": page}
        if skip + top < len(matching):
            following = {k: v[-1] for k, v in query.items() if k != "$skip"}
            following["$skip"] = str(skip + top)
            answer["@odata.nextLink"] = f"{self.url}{API_PREFIX}?{urlencode(following)}"
        return 200, {}, answer

    def handle_webhook_admin(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        with self._lock:
            if not self._bearer_ok(headers):
                return 401, {"code": "Unauthorized", "description": "no valid bearer token"}
            if path == "/webhooks/v1/registration":
                if method == "GET":
                    return (200, self.webhook) if self.webhook else (404, {"code": "NotFound"})
                registration = json.loads(body)
                url = registration.get("WebhookUrl")
                events = registration.get("WebhookEvents") or []
                if not isinstance(url, str) or not url or not all(isinstance(e, str) for e in events):
                    return 400, {"code": "BadRequest", "description": "WebhookUrl and WebhookEvents required"}
                self.webhook = {"SubscriberId": TENANT, "WebhookUrl": url, "WebhookEvents": events}
                return 200, self.webhook
            if path == "/webhooks/v1/registration/validationEvents" and method == "POST":
                if not self.webhook:
                    return 404, {"code": "NotFound", "description": "no webhook registered"}
                correlation = str(uuid.uuid4())
                threading.Thread(target=self.deliver, args=("test-created", None), daemon=True).start()
                return 200, {"correlationId": correlation}
        return 404, {"code": "NotFound"}


def _filter(text: str | None) -> Callable[[dict[str, Any]], bool]:
    if not text:
        return lambda referral: True
    clauses = []
    for raw in re.split(r"\s+and\s+", text.strip()):
        match = _CLAUSE.match(raw)
        if not match or match.group(1) not in _FILTER_FIELDS:
            raise ValueError(f"$filter clause {raw!r}")
        name, op, literal = match.groups()
        if name in _TIME_FIELDS:
            if literal.startswith("'"):
                raise ValueError(f"$filter: {name} takes a date-time literal, not a string")
            value: Any = parse_time(literal)
        else:
            if not literal.startswith("'"):
                raise ValueError(f"$filter: {name} takes a string literal")
            value = literal[1:-1].replace("''", "'")
        clauses.append((name, op, value))

    def keep(referral: dict[str, Any]) -> bool:
        for name, op, value in clauses:
            actual: Any = referral.get(name)
            if actual is None:
                return False
            if name in _TIME_FIELDS:
                actual = parse_time(actual)
            compare = {
                "eq": actual == value,
                "ne": actual != value,
                "gt": actual > value,
                "ge": actual >= value,
                "lt": actual < value,
                "le": actual <= value,
            }
            if not compare[op]:
                return False
        return True

    return keep


def _order(text: str | None) -> list[tuple[str, bool]]:
    if not text:
        return []
    terms = []
    for raw in text.split(","):
        words = raw.split()
        if not 1 <= len(words) <= 2 or words[0] not in (*_FILTER_FIELDS, "id"):
            raise ValueError(f"$orderby term {raw!r}")
        direction = words[1] if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ValueError(f"$orderby direction {direction!r}")
        terms.append((words[0], direction == "desc"))
    return terms


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Partner Center stub webhooks")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


class _Handler(BaseHTTPRequestHandler):
    stub: PartnerCenterStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> bytes:
        data = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", "application/json" if raw is None else "application/pkix-cert")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
        return data

    def _dispatch(self) -> None:
        body = self._body()
        parts = urlsplit(self.path)
        method = self.command
        if parts.path == CERTIFICATE_PATH and method == "GET":
            der = self.stub.certificate.public_bytes(serialization.Encoding.DER)
            self._send(200, None, raw=der)
            return
        if parts.path == f"/{TENANT}/oauth2/v2.0/token" and method == "POST":
            status, payload = self.stub.issue_token(parse_qs(body.decode()))
            self._send(status, payload)
            return
        if parts.path.startswith("/webhooks/v1/"):
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, payload = self.stub.handle_webhook_admin(method, parts.path, headers, body)
            self._send(status, payload)
            return
        if parts.path == API_PREFIX or parts.path.startswith(API_PREFIX + "/"):
            headers = {key.lower(): value for key, value in self.headers.items()}
            query = parse_qs(parts.query, keep_blank_values=True)
            status, extra, payload = self.stub.handle_api(method, parts.path, query, headers, body)
            sent = self._send(status, payload, extra)
            with self.stub._lock:
                self.stub.mismatches.extend(
                    self.stub.contract.check_response(method, parts.path, status, sent)
                )
            return
        self._send(HTTPStatus.NOT_FOUND, {"code": "NotFound"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


def stub_referrals(
    stub: PartnerCenterStub, count: int, start: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Seed `count` referrals of as many customers (each its own email, phone and company),
    alternating marketing- and sales-qualified."""
    for index in range(count):
        qualification = "SalesQualified" if index % 2 else "MarketingQualified"
        yield stub.add(
            make_referral(
                f"ref-{index:06d}",
                qualification=qualification,
                company=f"Customer {index:06d}",
                email=f"buyer{index}@customer{index}.example.org",
                phone=f"+49 30 {90_000_000 + index}",
                created=start,
            )
        )
