"""`http_route`: one decorator names the function after its def and hands the handler the caller."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator

import azure.functions as func
import pytest

from shared.adapters.http import http_route, json_response
from shared.config import settings
from shared.domain.principal import Principal
from tests.support.principals import principal_header


@pytest.fixture
def sign_in_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "true")
    settings.cache_clear()
    yield
    settings.cache_clear()


def _app() -> tuple[dict[str, func.FunctionBuilder], list[str]]:
    bp = func.Blueprint()
    seen: list[str] = []

    @http_route(bp, "GET", "things/{id}")
    def get_thing(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
        seen.append(principal.partner_id)
        return json_response(200, {"id": req.route_params["id"], "partner": principal.partner_id})

    @http_route(
        bp, ("PUT", "DELETE"), "things/{id}/star", principal=False, auth_level=func.AuthLevel.FUNCTION
    )
    def star_thing(req: func.HttpRequest) -> func.HttpResponse:
        seen.append(req.method)
        return func.HttpResponse(status_code=204)

    app = func.FunctionApp()
    app.register_functions(bp)
    return {function.get_function_name(): function for function in app.get_functions()}, seen


def _request(method: str, url: str, headers: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(method, url, headers=headers or {}, route_params={"id": "42"}, body=b"")


def test_the_function_is_named_after_its_def_with_the_route_methods_and_auth_level() -> None:
    functions, _ = _app()
    assert set(functions) == {"get_thing", "star_thing"}
    read = functions["get_thing"].get_trigger()
    assert read.route == "things/{id}"
    assert [str(method).split(".")[-1] for method in read.methods] == ["GET"]
    assert str(read.auth_level).split(".")[-1] == "ANONYMOUS"
    star = functions["star_thing"].get_trigger()
    assert [str(method).split(".")[-1] for method in star.methods] == ["PUT", "DELETE"]
    assert str(star.auth_level).split(".")[-1] == "FUNCTION"


def test_the_host_sees_only_the_request_parameter() -> None:
    # The Functions host binds parameters by name: a visible `principal` would fail to load.
    functions, _ = _app()
    for function in functions.values():
        assert list(inspect.signature(function.get_user_function()).parameters) == ["req"]


def test_the_handler_gets_the_signed_in_caller(sign_in_on: None) -> None:
    functions, seen = _app()
    response = functions["get_thing"].get_user_function()(
        _request("GET", "/api/things/42", principal_header(partner_id="contoso"))
    )
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {"id": "42", "partner": "contoso"}
    assert response.headers["Cache-Control"] == "no-store"
    assert seen == ["contoso"]


def test_without_a_caller_the_handler_never_runs(sign_in_on: None) -> None:
    functions, seen = _app()
    response = functions["get_thing"].get_user_function()(_request("GET", "/api/things/42"))
    assert response.status_code == 401
    assert json.loads(response.get_body())["error"]["code"] == "Unauthenticated"
    assert seen == []


def test_a_route_without_principal_runs_for_anyone(sign_in_on: None) -> None:
    functions, seen = _app()
    response = functions["star_thing"].get_user_function()(_request("DELETE", "/api/things/42/star"))
    assert response.status_code == 204
    assert seen == ["DELETE"]
