"""The Partner Center Referrals API (contract §10): tokens, and a client for the referrals it holds.

`RefreshTokenProvider` gets App+User access tokens with the OAuth 2.0 refresh-token grant at
`<authority>/oauth2/v2.0/token` (the Secure Application Model: the refresh token is a setting,
in Azure a Key Vault reference) and keeps each until shortly before it expires. It is one form
POST: MSAL's refresh-token path insists on an https authority and OpenID discovery, which a
local stand-in on 127.0.0.1 does not serve, and nothing else of MSAL is needed.

`ReferralsClient` lists referrals changed since a moment (following `@odata.nextLink`, only on
the API's own origin so the bearer token never goes elsewhere), reads one by id or resource URI,
and updates one with PATCH (JSON Patch) or PUT under `If-Match`, returning the new eTag. Each
failure is a typed error the caller can act on: `PreconditionFailed` (412: re-read and merge),
`Throttled` (429, with the server's `Retry-After`), `ReferralNotFound` (404),
`PartnerCenterUnavailable` (5xx, timeouts, connection failures: try later) and
`PartnerCenterRefused` (any other refusal: permanent until someone fixes something).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

# The Referrals API's collection under the API root (PARTNER_CENTER_API_URL).
REFERRALS_PATH = "/v1.0/engagements/referrals"
# The delegated permission the Referrals API takes (Secure Application Model): everything the
# application was consented for on Partner Center's API, plus a new refresh token.
DEFAULT_SCOPE = "https://api.partner.microsoft.com/.default offline_access"
# The Referrals API answers at most 100 referrals a page.
MAX_PAGE_SIZE = 100
# A token is renewed this long before it expires, so no request carries one that lapses in flight.
TOKEN_EXPIRY_MARGIN_SECONDS = 120.0
# Connect and read timeouts: a hung Partner Center must not hold a timer or queue function.
TIMEOUT = (3.05, 30.0)
# When a 429 carries no usable Retry-After.
DEFAULT_RETRY_AFTER_SECONDS = 30.0

_REFERRAL_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class PartnerCenterError(Exception):
    """Partner Center did not do what was asked; `status` is the HTTP status, if there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PreconditionFailed(PartnerCenterError):
    """412: the referral changed since the eTag sent; read it again and merge."""


class Throttled(PartnerCenterError):
    """429: wait `retry_after` seconds before the next call."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, 429)
        self.retry_after = retry_after


class ReferralNotFound(PartnerCenterError):
    """404: no such referral (or not this partner's)."""


class PartnerCenterUnavailable(PartnerCenterError):
    """A 5xx, a timeout or a connection failure: transient, try again later."""


class PartnerCenterRefused(PartnerCenterError):
    """Any other refusal (400, 401 after a fresh token, 403, an unusable answer): not transient."""


class TokenProvider(Protocol):
    def access_token(self) -> str: ...

    def invalidate(self) -> None: ...


def referral_id_of(referral: str) -> str:
    """The referral id in an id or in a resource URI ending `/referrals/<id>` (a webhook's
    `ResourceUri`). Only the id is taken from a URI: the request goes to the configured API."""
    candidate = referral
    if "/" in referral:
        path = urlsplit(referral).path.rstrip("/")
        head, _, candidate = path.rpartition("/")
        if not head.lower().endswith("/referrals"):
            raise ValueError(f"not a referral resource URI: {referral[:200]!r}")
    if not _REFERRAL_ID.fullmatch(candidate):
        raise ValueError(f"not a referral id: {candidate[:200]!r}")
    return candidate


def odata_datetime(moment: datetime) -> str:
    """An OData date-time literal (UTC, `Z`), as `$filter` compares it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _retry_after(response: requests.Response) -> float:
    raw = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def _error_for(response: requests.Response, what: str) -> PartnerCenterError:
    status = response.status_code
    message = f"{what}: Partner Center answered {status} {response.text[:300]}"
    if status == 412:
        return PreconditionFailed(message, status)
    if status == 429:
        return Throttled(message, _retry_after(response))
    if status == 404:
        return ReferralNotFound(message, status)
    if status >= 500 or status == 408:
        return PartnerCenterUnavailable(message, status)
    return PartnerCenterRefused(message, status)


class RefreshTokenProvider:
    """Access tokens from the refresh-token grant, cached until shortly before they expire.

    A rotated refresh token in the answer is used from then on (in this process; the setting
    keeps the one it was deployed with, which stays valid for its own lifetime).
    """

    def __init__(
        self,
        authority: str,
        client_id: str,
        refresh_token: str,
        *,
        scope: str = DEFAULT_SCOPE,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = f"{authority.rstrip('/')}/oauth2/v2.0/token"
        self._client_id = client_id
        self._refresh_token = refresh_token
        self._scope = scope
        self._session = session or requests.Session()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or self._monotonic() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> None:
        if self._refresh_token.startswith("@Microsoft.KeyVault("):
            raise PartnerCenterRefused(
                "PARTNER_CENTER_REFRESH_TOKEN is an unresolved Key Vault reference: give the app's "
                "identity the Key Vault Secrets User role on the vault"
            )
        started = self._monotonic()
        try:
            response = self._session.post(
                self._token_url,
                data={
                    "grant_type": "refresh_token",
                    "client_id": self._client_id,
                    "refresh_token": self._refresh_token,
                    "scope": self._scope,
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise PartnerCenterUnavailable(f"token endpoint unreachable: {error}") from None
        if response.status_code != 200:
            # invalid_grant and friends are 400: the refresh token must be renewed by a person.
            raise _error_for(response, "token request")
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise PartnerCenterRefused("token endpoint answered without an access_token") from None
        self._token = token
        self._renew_at = started + max(0.0, lifetime - TOKEN_EXPIRY_MARGIN_SECONDS)
        if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
            self._refresh_token = body["refresh_token"]


class ReferralsClient:
    """The Referrals API's list, get, PATCH and PUT, with typed errors (see the module)."""

    def __init__(
        self,
        api_url: str,
        tokens: TokenProvider,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self._root = api_url.rstrip("/")
        self._origin = urlsplit(self._root)[:2]
        self._tokens = tokens
        self._session = session or requests.Session()
        self._timeout = timeout
        # Every request this client made (a benchmark's and an operator's measure of cost).
        self.request_count = 0

    @property
    def referrals_url(self) -> str:
        return f"{self._root}{REFERRALS_PATH}"

    def _request(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        if urlsplit(url)[:2] != self._origin:
            raise PartnerCenterRefused(f"{what}: refusing to send the token to {url[:200]!r}")
        for attempt in (1, 2):
            all_headers = {
                "Authorization": f"Bearer {self._tokens.access_token()}",
                "Accept": "application/json",
                # The definition declares content-type as a required header on every operation.
                "Content-Type": "application/json",
                **(headers or {}),
            }
            self.request_count += 1
            try:
                response = self._session.request(
                    method, url, params=params, json=json_body, headers=all_headers, timeout=self._timeout
                )
            except requests.RequestException as error:
                raise PartnerCenterUnavailable(f"{what}: {error}") from None
            if response.status_code == 401 and attempt == 1:
                # The token was revoked or expired early: one more try with a new one.
                self._tokens.invalidate()
                continue
            if response.status_code >= 400:
                raise _error_for(response, what)
            return response
        raise AssertionError("unreachable")

    @staticmethod
    def _json_object(response: requests.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise PartnerCenterRefused(f"{what}: answer is not JSON") from None
        if not isinstance(body, dict):
            raise PartnerCenterRefused(f"{what}: answer is not a JSON object")
        return body

    def list_changed_since(
        self, since: datetime | None, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Incoming referrals updated at or after `since` (all when None), oldest change first,
        every page to the end. A referral changed at exactly `since` comes again: the caller
        drops it by its unchanged eTag, so a change sharing its moment with the watermark is
        never missed."""
        for page in self.pages_changed_since(since, page_size=page_size):
            yield from page

    def pages_changed_since(
        self, since: datetime | None, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """`list_changed_since`, a page (one request) at a time."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1-{MAX_PAGE_SIZE}")
        clauses = ["direction eq 'Incoming'"]
        if since is not None:
            clauses.append(f"updatedDateTime ge {odata_datetime(since)}")
        params: dict[str, str] | None = {
            "$filter": " and ".join(clauses),
            "$orderby": "updatedDateTime asc",
            "$top": str(page_size),
        }
        url: str | None = self.referrals_url
        while url is not None:
            page = self._json_object(
                self._request("GET", url, "list referrals", params=params), "list referrals"
            )
            value = page.get("value")
            if not isinstance(value, list):
                raise PartnerCenterRefused("list referrals: answer has no value array")
            yield [item for item in value if isinstance(item, dict)]
            next_link = page.get("@odata.nextLink")
            url = next_link if isinstance(next_link, str) and next_link else None
            params = None  # the next link carries the query

    def get(self, referral: str) -> dict[str, Any]:
        """One referral, by id or by resource URI (only its id is used)."""
        referral_id = referral_id_of(referral)
        response = self._request("GET", f"{self.referrals_url}/{referral_id}", f"get referral {referral_id}")
        body = self._json_object(response, f"get referral {referral_id}")
        if "eTag" not in body and response.headers.get("ETag"):
            body["eTag"] = response.headers["ETag"]
        return body

    def patch(self, referral_id: str, operations: list[dict[str, Any]], *, etag: str) -> str:
        """Apply JSON Patch operations under If-Match; returns the referral's new eTag."""
        referral_id = referral_id_of(referral_id)
        what = f"patch referral {referral_id}"
        response = self._request(
            "PATCH",
            f"{self.referrals_url}/{referral_id}",
            what,
            json_body=operations,
            headers={"If-Match": etag},
        )
        new_etag = response.headers.get("ETag")
        if not new_etag:
            # The PATCH answer has no body; without its ETag the new version must be read.
            return str(self.get(referral_id).get("eTag", ""))
        return new_etag

    def put(self, referral: dict[str, Any], *, etag: str) -> dict[str, Any]:
        """Replace a referral under If-Match; returns it as stored (its `eTag` the new one)."""
        referral_id = referral_id_of(str(referral.get("id", "")))
        what = f"put referral {referral_id}"
        response = self._request(
            "PUT", f"{self.referrals_url}/{referral_id}", what, json_body=referral, headers={"If-Match": etag}
        )
        body = self._json_object(response, what)
        if response.headers.get("ETag"):
            body["eTag"] = response.headers["ETag"]
        return body
