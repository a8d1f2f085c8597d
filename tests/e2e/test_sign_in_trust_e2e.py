"""Whom the API believes (contract §2): the principal header only where App Service Authentication is on.

The shared `host` fixture is the local host as `make run` starts it, which stands in for App Service
Authentication. A second host here runs with `WEBSITE_AUTH_ENABLED=false`, as an app in Azure (or
`func start`) without sign-in: there a perfect, forged header must get the caller nowhere.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devhost.process import HostProcess
from tests.conftest import REPO_ROOT, storage_of_its_own
from tests.support.leads import unique_partner
from tests.support.principals import principal_header

# The routes that need no signed-in user: the contract's three, and the portal's static files (the
# page must load for a signed-out user, so that it can send the browser to sign in).
ANONYMOUS = {
    ("GET", "/api/health"),
    ("GET", "/api/openapi.json"),
    ("POST", "/api/marketplace/leads"),
    ("GET", "/api/portal/{path}"),
}


@pytest.fixture(scope="module")
def signed_out_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """The app where App Service Authentication is off: anyone could have written the header.

    On an Azurite of its own, so that the session's host stays the only one working its queues."""
    directory: Path = tmp_path_factory.mktemp("host-without-sign-in")
    log_path = directory / "host.log"
    with (
        storage_of_its_own(directory / "outbox") as storage,
        HostProcess(
            cwd=REPO_ROOT,
            env={
                **storage,
                "WEBSITE_AUTH_ENABLED": "false",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            log_path=log_path,
        ) as process,
        httpx.Client(base_url=process.base_url, timeout=30, trust_env=False) as client,
    ):
        yield client


def _routes_needing_a_principal(client: httpx.Client) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json").json()
    routes = [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "patch", "delete")
    ]
    return [route for route in routes if route not in ANONYMOUS]


def _assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "Unauthenticated"


def test_without_sign_in_every_route_refuses_even_a_perfect_header(signed_out_app: httpx.Client) -> None:
    routes = _routes_needing_a_principal(signed_out_app)
    # The document lists the lead routes, the settings and the action center at least.
    assert {("GET", "/api/leads"), ("GET", "/api/leads/{id}"), ("PUT", "/api/settings/notifications")} <= set(
        routes
    )
    forged = principal_header(
        partner_id=unique_partner("forged"), roles=("ReferralsAdmin", "BusinessProfileAdmin")
    )
    for method, path in routes:
        url = path.replace("{id}", "01JD0000000000000000000000")
        body = {"reason": "Other", "notes": "x"} if method in ("POST", "PUT", "PATCH") else None
        _assert_unauthenticated(signed_out_app.request(method, url, headers=forged, json=body))


def test_without_sign_in_the_anonymous_routes_still_answer(signed_out_app: httpx.Client) -> None:
    assert signed_out_app.get("/api/health").status_code == 200
    assert signed_out_app.get("/api/openapi.json").status_code == 200
    assert signed_out_app.get("/api/portal/").status_code == 200


def test_the_local_host_stands_in_for_sign_in(api: httpx.Client) -> None:
    partner = unique_partner("trusted")
    assert api.get("/api/leads", headers=principal_header(partner_id=partner)).status_code == 200
    _assert_unauthenticated(api.get("/api/leads"))


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(b"[" * 10_000).decode(),
        base64.b64encode(b'{"claims": ' + b"[" * 5_000).decode(),
        base64.b64encode(json.dumps({"claims": [{"typ": "oid", "val": "u"}] * 600}).encode()).decode(),
        "A" * 60_000,
    ],
    ids=["nested list", "nested claims", "many claims", "huge"],
)
def test_a_hostile_principal_header_is_401_not_500(api: httpx.Client, value: str) -> None:
    _assert_unauthenticated(api.get("/api/leads", headers={"X-MS-CLIENT-PRINCIPAL": value}))
