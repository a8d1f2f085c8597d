"""The portal's files served from the Function App, and the list's count route."""

from __future__ import annotations

import json

import httpx

from shared.services.container import Services
from tests.conftest import wait_for
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header


def test_portal_index_and_assets_with_security_headers(api: httpx.Client) -> None:
    index = api.get("/api/portal/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
    assert index.headers["x-content-type-options"] == "nosniff"
    script = api.get("/api/portal/js/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_portal_without_trailing_slash_redirects(api: httpx.Client) -> None:
    response = api.get("/api/portal", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/api/portal/"


def test_portal_never_serves_files_outside_its_folder(api: httpx.Client) -> None:
    for path in (
        "/api/portal/../function_app.py",
        "/api/portal/..%2F..%2Ffunction_app.py",
        "/api/portal/nope.js",
    ):
        assert api.get(path).status_code == 404, path


def test_count_matches_the_list(api: httpx.Client, services: Services) -> None:
    partner = unique_partner()
    headers = principal_header(partner_id=partner)
    for index in range(7):
        code = "PLT" if index % 2 else "FreeTrial"
        services.queues.send_text(
            "marketplace-leads", json.dumps(marketplace_lead(partner, action_code=code))
        )

    def listed() -> list[dict[str, object]]:
        leads = api.get("/api/leads", params={"top": 500}, headers=headers).json()["value"]
        return leads if len(leads) == 7 else []

    wait_for(listed)
    assert api.get("/api/leads/count", headers=headers).json() == {"count": 7, "exact": True}
    filtered = api.get("/api/leads/count", params={"callToAction": "ContactMe"}, headers=headers)
    assert filtered.json() == {"count": 3, "exact": True}
    qualified = api.get("/api/leads/count", params={"tab": "qualified"}, headers=headers)
    assert qualified.json() == {"count": 0, "exact": True}
    informational = api.get("/api/leads/count", params={"stage": "Informational"}, headers=headers)
    assert informational.json() == {"count": 4, "exact": True}
    assert api.get("/api/leads/count", params={"tab": "favorites"}, headers=headers).json() == {
        "count": 0,
        "exact": True,
    }
    bad = api.get("/api/leads/count", params={"quality": "Great"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "quality"
    assert api.get("/api/leads/count").status_code == 401
