"""Serves the partner portal's static files from the Function App, behind the same sign-in as the API.

In Azure the portal lives at `/api/portal/` on the API's origin, so App Service
Authentication signs users in once and the API receives their Entra claims.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

import azure.functions as func

bp = func.Blueprint()

PORTAL_ROOT = Path(__file__).resolve().parent.parent / "portal" / "public"
_SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    # The same policy as the page's meta tag, plus what only a header can say.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
}


# The portal's own paths are short, plain names; anything else cannot be one of its files.
_MAX_PATH_LENGTH = 200
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._/-]*")


def portal_file(path: str) -> Path | None:
    """The file under the portal's root for a request path, or None (never outside the root).

    Checked before the file system sees it: a NUL byte (`index.html%00.js`) makes `resolve`
    raise, and an over-long name makes `is_file` raise.
    """
    relative = path.strip("/") or "index.html"
    if len(relative) > _MAX_PATH_LENGTH or not _PLAIN_PATH.fullmatch(relative):
        return None
    root = PORTAL_ROOT.resolve()
    try:
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
    except (OSError, ValueError):
        return None
    return candidate


@bp.function_name("portal")
@bp.route(route="portal/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def portal(req: func.HttpRequest) -> func.HttpResponse:
    path = req.route_params.get("path") or ""
    if not path and not req.url.split("?")[0].endswith("/"):
        # The page's assets are relative: /api/portal must become /api/portal/.
        return func.HttpResponse(status_code=308, headers={"Location": "/api/portal/"})
    found = portal_file(path)
    if found is None:
        return func.HttpResponse("Not found", status_code=404, mimetype="text/plain")
    mimetype = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return func.HttpResponse(
        found.read_bytes(),
        status_code=200,
        mimetype=mimetype,
        headers=_SECURITY_HEADERS,
    )
