"""Local sign-in for `python -m devhost --dev-auth`: App Service Authentication, imitated on loopback.

In Azure, App Service Authentication (Easy Auth) signs users in with Entra ID and adds the
`X-MS-CLIENT-PRINCIPAL` header to every request it lets through. Locally this module plays that part
so the portal can be used in a browser:

- `GET /.auth/login` (also `/.auth/login/aad`, the path the portal uses in Azure too) shows a form
  to choose a user id, display name, email, partner id and roles; `POST` to it sets a cookie holding
  that principal and redirects to `post_login_redirect_uri`: a path on this host, query and fragment
  kept (`/#/leads/{id}`, the link in an email), and anything else (another host, `//host`, `/\\host`,
  control characters) replaced by `/`, so the sign-in is no open redirect.
- A request under `/api/` without an `X-MS-CLIENT-PRINCIPAL` header gets one built from the cookie,
  in Easy Auth's format (base64 JSON with `auth_typ`, `name_typ`, `role_typ` and `claims`).
- `GET /.auth/me` answers as Easy Auth does: the user's claims, or 401 when signed out; plus the
  header `X-Dev-Auth-Login` naming the local sign-in page, so a page can tell this host from Azure.
- `GET /.auth/logout` clears the cookie.

The cookie is not signed: anyone who can reach the local host can send any principal header anyway.
This is development tooling and is never deployed.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from dataclasses import dataclass, replace
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devhost.http_server import Request, Response

COOKIE_NAME = "devhost_principal"
PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"
LOGIN_PATH = "/.auth/login"
ROLES = ("ReferralsAdmin", "BusinessProfileAdmin")
_MAX_FIELD = 200


@dataclass(frozen=True)
class DevPrincipal:
    user_id: str
    name: str
    email: str
    partner_id: str
    roles: tuple[str, ...]

    def claims(self) -> list[dict[str, str]]:
        claims = [{"typ": "oid", "val": self.user_id}, {"typ": "partner_id", "val": self.partner_id}]
        claims += [{"typ": "roles", "val": role} for role in self.roles]
        if self.email:
            claims.append({"typ": "preferred_username", "val": self.email})
        if self.name:
            claims.append({"typ": "name", "val": self.name})
        return claims

    def header_value(self) -> str:
        """What App Service Authentication puts in `X-MS-CLIENT-PRINCIPAL`."""
        body = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": self.claims()}
        return base64.b64encode(json.dumps(body).encode()).decode()

    def me(self) -> list[dict[str, Any]]:
        """The body of Easy Auth's `/.auth/me` for this user."""
        return [
            {
                "provider_name": "aad",
                "user_id": self.email or self.user_id,
                "user_claims": self.claims(),
            }
        ]

    def cookie_value(self) -> str:
        body = {
            "user_id": self.user_id,
            "name": self.name,
            "email": self.email,
            "partner_id": self.partner_id,
            "roles": list(self.roles),
        }
        return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")

    @classmethod
    def from_cookie_value(cls, value: str) -> DevPrincipal | None:
        try:
            body = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(body, dict):
            return None
        return cls.from_fields(body)

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> DevPrincipal | None:
        def text(name: str) -> str:
            value = fields.get(name)
            return value.strip()[:_MAX_FIELD] if isinstance(value, str) else ""

        roles = fields.get("roles")
        chosen = tuple(role for role in ROLES if isinstance(roles, list) and role in roles)
        principal = cls(text("user_id"), text("name"), text("email"), text("partner_id"), chosen)
        return principal if principal.user_id and principal.partner_id else None


def _header(request: Request, name: str) -> str | None:
    return next((value for key, value in request.headers if key.lower() == name.lower()), None)


def _cookie_principal(request: Request) -> DevPrincipal | None:
    raw = _header(request, "Cookie")
    if not raw:
        return None
    try:
        cookies = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE_NAME)
    return DevPrincipal.from_cookie_value(morsel.value) if morsel else None


_MAX_REDIRECT = 2048


def safe_return_path(target: object) -> str:
    """`target` if it is a path on this host (query and fragment included), else `/`.

    A sign-in page must not send the browser elsewhere. Browsers read `\\` as `/` and drop tabs
    and newlines, so `/\\evil.example` or `/<tab>/evil.example` would leave the host: the path must
    start with one `/` and hold only printable ASCII without a backslash.
    """
    if not isinstance(target, str) or len(target) > _MAX_REDIRECT or not target.startswith("/"):
        return "/"
    if target.startswith("//") or any(char == "\\" or not " " < char < "\x7f" for char in target):
        return "/"
    split = urlsplit(target)
    if split.scheme or split.netloc:
        return "/"
    return target


def with_principal(request: Request, api_prefix: str) -> Request:
    """The request with Easy Auth's principal header from the cookie, for `/api/` requests without one."""
    path = urlsplit(request.target).path.lower()
    if not (path == f"/{api_prefix}" or path.startswith(f"/{api_prefix}/")):
        return request
    if _header(request, PRINCIPAL_HEADER) is not None:
        return request
    principal = _cookie_principal(request)
    if principal is None:
        return request
    return replace(request, headers=[*request.headers, (PRINCIPAL_HEADER, principal.header_value())])


def is_auth_path(path: str) -> bool:
    return path == "/.auth" or path.startswith("/.auth/")


def handle(request: Request) -> Response:
    """Answer a request under `/.auth/`."""
    split = urlsplit(request.target)
    path = split.path.rstrip("/")
    query = dict(parse_qsl(split.query))
    if path == "/.auth/me" and request.method in ("GET", "HEAD"):
        principal = _cookie_principal(request)
        if principal is None:
            # As Easy Auth where sign-in is required: signed out is 401.
            response = Response.json(401, json.dumps({"error": "not signed in"}))
        else:
            response = Response.json(200, json.dumps(principal.me()))
        response.headers += [("X-Dev-Auth-Login", LOGIN_PATH), ("Cache-Control", "no-store")]
        return response
    if path in (LOGIN_PATH, f"{LOGIN_PATH}/aad"):
        if request.method in ("GET", "HEAD"):
            return _login_form(_cookie_principal(request), query.get("post_login_redirect_uri"))
        if request.method == "POST":
            return _sign_in(request)
    if path == "/.auth/logout" and request.method in ("GET", "POST"):
        target = safe_return_path(query.get("post_logout_redirect_uri") or LOGIN_PATH)
        return Response(
            303,
            [
                ("Location", target),
                ("Set-Cookie", f"{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
                ("Cache-Control", "no-store"),
            ],
        )
    return Response(404)


def _sign_in(request: Request) -> Response:
    content_type = (_header(request, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            fields = json.loads(request.body or b"{}")
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            return Response.json(400, '{"error": "body must be a JSON object"}')
    else:
        pairs = parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        fields = {name: value for name, value in pairs if name != "roles"}
        fields["roles"] = [value for name, value in pairs if name == "roles"]
    principal = DevPrincipal.from_fields(fields)
    if principal is None:
        return _login_form(
            None, fields.get("post_login_redirect_uri"), error="User id and partner id are needed."
        )
    target = safe_return_path(fields.get("post_login_redirect_uri"))
    return Response(
        303,
        [
            ("Location", target),
            ("Set-Cookie", f"{COOKIE_NAME}={principal.cookie_value()}; Path=/; HttpOnly; SameSite=Lax"),
            ("Cache-Control", "no-store"),
        ],
    )


_FORM_STYLE = (
    "body{font:16px system-ui,sans-serif;margin:2rem auto;max-width:28rem;padding:0 1rem}"
    "label{display:block;margin:.75rem 0 .25rem}input[type=text],input[type=email]{width:100%;"
    "padding:.4rem;box-sizing:border-box}fieldset{margin-top:1rem}button{margin-top:1rem;padding:.5rem 1rem}"
    ".error{color:#a4262c}"
)


def _login_form(current: DevPrincipal | None, redirect: str | None, error: str | None = None) -> Response:
    chosen = current or DevPrincipal("local-user", "Local User", "user@partner.example", "contoso", ROLES)
    escape = html.escape

    def field(name: str, label: str, value: str, kind: str = "text") -> str:
        return (
            f'<label for="{name}">{label}</label>'
            f'<input id="{name}" name="{name}" type="{kind}" value="{escape(value)}">'
        )

    roles = "".join(
        f'<label><input type="checkbox" name="roles" value="{role}"'
        f"{' checked' if role in chosen.roles else ''}> {role}</label>"
        for role in ROLES
    )
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Local sign-in</title><style>{_FORM_STYLE}</style>"
        "<h1>Local sign-in</h1><p>Development host only: choose who you are.</p>"
        + (f'<p class="error" role="alert">{escape(error)}</p>' if error else "")
        + f'<form method="post" action="{LOGIN_PATH}">'
        + field("user_id", "User id", chosen.user_id)
        + field("name", "Display name", chosen.name)
        + field("email", "Email", chosen.email, "email")
        + field("partner_id", "Partner id", chosen.partner_id)
        + f"<fieldset><legend>Roles</legend>{roles}</fieldset>"
        + f'<input type="hidden" name="post_login_redirect_uri" value="{escape(safe_return_path(redirect))}">'
        + '<button type="submit">Sign in</button></form>'
    )
    return Response(
        200,
        [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
        page.encode(),
    )
