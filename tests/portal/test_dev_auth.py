"""The devhost's local sign-in (`--dev-auth`) over HTTP: what App Service Authentication does in Azure."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from devhost.dev_auth import COOKIE_NAME
from devhost.process import HostProcess
from tests.support.leads import unique_partner
from tests.support.principals import principal_header


def sign_in(
    client: httpx.Client, partner_id: str, *, roles: tuple[str, ...] = ("ReferralsAdmin",)
) -> httpx.Response:
    form = [
        ("user_id", "dev-user"),
        ("name", "Dev User"),
        ("email", "dev@partner.example"),
        ("partner_id", partner_id),
        *[("roles", role) for role in roles],
        ("post_login_redirect_uri", "/#/leads/abc"),
    ]
    return client.post(
        "/.auth/login",
        content=str(httpx.QueryParams(form)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_signed_out_me_is_401_and_names_the_local_sign_in(portal_host: HostProcess) -> None:
    with httpx.Client(base_url=portal_host.base_url, trust_env=False) as client:
        me = client.get("/.auth/me")
        # As App Service Authentication where sign-in is required.
        assert me.status_code == 401
        assert me.headers["X-Dev-Auth-Login"] == "/.auth/login"
        refused = client.get("/api/leads")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "Unauthenticated"
        for login in ("/.auth/login", "/.auth/login/aad"):
            form = client.get(f"{login}?post_login_redirect_uri=%2F%23%2Fsettings")
            assert form.status_code == 200 and 'name="partner_id"' in form.text and "/#/settings" in form.text


def test_sign_in_sets_a_cookie_that_becomes_the_principal_header(portal_host: HostProcess) -> None:
    partner_id = unique_partner("dev")
    with httpx.Client(base_url=portal_host.base_url, trust_env=False) as client:
        answer = sign_in(client, partner_id, roles=("BusinessProfileAdmin",))
        assert answer.status_code == 303 and answer.headers["Location"] == "/#/leads/abc"
        assert COOKIE_NAME in client.cookies
        assert client.get("/api/leads").status_code == 200
        me = client.get("/.auth/me").json()
        claims = {(claim["typ"], claim["val"]) for claim in me[0]["user_claims"]}
        assert {("oid", "dev-user"), ("partner_id", partner_id), ("roles", "BusinessProfileAdmin")} <= claims
        assert me[0]["provider_name"] == "aad"
        # The roles are the chosen ones: a BusinessProfileAdmin may not change settings.
        refused = client.put("/api/settings/notifications", json={"recipients": []})
        assert refused.status_code == 403
        # A header sent by the client wins over the cookie, as behind Easy Auth.
        other = principal_header(partner_id=unique_partner("other"))
        assert client.get("/api/leads", headers=other).json()["value"] == []
        out = client.get("/.auth/logout")
        assert out.status_code == 303
        assert client.get("/api/leads").status_code == 401
        assert client.get("/.auth/me").status_code == 401


def test_principal_header_is_easy_auths_format(portal_host: HostProcess) -> None:
    from devhost.dev_auth import DevPrincipal

    principal = DevPrincipal(
        "u1", "Name", "a@b.example", "contoso", ("ReferralsAdmin", "BusinessProfileAdmin")
    )
    body = json.loads(base64.b64decode(principal.header_value()))
    assert set(body) == {"auth_typ", "name_typ", "role_typ", "claims"}
    assert [claim["val"] for claim in body["claims"] if claim["typ"] == "roles"] == [
        "ReferralsAdmin",
        "BusinessProfileAdmin",
    ]
    assert DevPrincipal.from_cookie_value(principal.cookie_value()) == principal


def post_sign_in_form(client: httpx.Client, target: str) -> httpx.Response:
    form = [("user_id", "u"), ("partner_id", "contoso"), ("post_login_redirect_uri", target)]
    return client.post(
        "/.auth/login/aad",
        content=str(httpx.QueryParams(form)),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


OFF_THE_HOST = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/ /evil.example/",
    "javascript:alert(1)",
    "http:/evil.example/",
    "evil.example/#/leads/abc",
    "/#/leads/abc\r\nSet-Cookie: stolen=1",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", OFF_THE_HOST)
def test_sign_in_never_redirects_off_the_host(portal_host: HostProcess, target: str) -> None:
    with httpx.Client(base_url=portal_host.base_url, trust_env=False) as client:
        answer = post_sign_in_form(client, target)
        assert answer.status_code == 303 and answer.headers["Location"] == "/"
        assert "stolen" not in answer.headers.get("Set-Cookie", "")
        page = client.get("/.auth/login", params={"post_login_redirect_uri": target})
        assert 'name="post_login_redirect_uri" value="/"' in page.text
        json_answer = client.post(
            "/.auth/login", json={"user_id": "u", "partner_id": "contoso", "post_login_redirect_uri": target}
        )
        assert json_answer.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target", ["/", "/#/leads/01JD0ABC", "/api/portal/#/leads/01JD0ABC", "/?x=1#/leads?tab=qualified&q=a%20b"]
)
def test_sign_in_comes_back_to_any_page_of_the_host(portal_host: HostProcess, target: str) -> None:
    with httpx.Client(base_url=portal_host.base_url, trust_env=False) as client:
        answer = post_sign_in_form(client, target)
        assert answer.status_code == 303 and answer.headers["Location"] == target


def test_a_form_without_partner_asks_again(portal_host: HostProcess) -> None:
    with httpx.Client(base_url=portal_host.base_url, trust_env=False) as client:
        missing = client.post(
            "/.auth/login", content="user_id=u", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert missing.status_code == 200 and "partner id are needed" in missing.text
