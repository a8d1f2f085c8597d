"""The OpenAPI document describes every route of the API, is valid OpenAPI 3.1, and promises exactly
what the handlers enforce: its schemas accept a body exactly when the API's models do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

from shared.adapters.openapi import ERROR_CODES, openapi_document
from shared.domain.commands import (
    NOT_BLANK_PATTERN,
    AcceptBody,
    CloseBody,
    DealUpdateBody,
    DeclineBody,
    TeamMemberBody,
)
from shared.domain.lead_query import ENUM_FILTERS, QUERY_PARAMETERS
from shared.domain.recipients import RECIPIENT_EMAIL_PATTERN, NotificationSettingsBody

ALLOWLIST = Path(__file__).resolve().parent.parent / "e2e" / "openapi_allowlist.json"

# The route table of the contract (§5): path -> methods.
CONTRACT_ROUTES = {
    ("/api/leads", "get"),
    ("/api/leads/export", "get"),
    ("/api/leads/{id}", "get"),
    ("/api/leads/{id}/favorite", "put"),
    ("/api/leads/{id}/favorite", "delete"),
    ("/api/leads/{id}/accept", "post"),
    ("/api/leads/{id}/decline", "post"),
    ("/api/leads/{id}/deal", "patch"),
    ("/api/leads/{id}/team", "post"),
    ("/api/leads/{id}/close", "post"),
    ("/api/leads/{id}/history", "get"),
    ("/api/leads/{id}/owner", "put"),
    ("/api/leads/{id}/related", "get"),
    ("/api/actions", "get"),
    ("/api/insights", "get"),
    ("/api/settings/routing", "get"),
    ("/api/settings/routing", "put"),
    ("/api/settings/notifications", "get"),
    ("/api/settings/notifications", "put"),
    ("/api/marketplace/leads", "post"),
    ("/api/partner-center/events", "post"),
    ("/api/health", "get"),
    ("/api/openapi.json", "get"),
}


# Routes the API grew in the contract's style, for the portal.
ADDED_ROUTES = {("/api/leads/count", "get"), ("/api/portal/{path}", "get"), ("/api/users", "get")}


def test_document_is_valid_openapi_3() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.")
    validate(document)


def test_document_describes_exactly_the_contract_routes() -> None:
    described = {
        (path, method) for path, operations in openapi_document()["paths"].items() for method in operations
    }
    assert described == CONTRACT_ROUTES | ADDED_ROUTES


def test_every_described_route_is_a_registered_http_function() -> None:
    import function_app

    registered = set()
    for function in function_app.app.get_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() != "httpTrigger":
            continue
        for method in trigger.methods:
            route = trigger.route.replace("{*", "{")  # a catch-all parameter is one path parameter
            registered.add((f"/api/{route}", str(method).split(".")[-1].lower()))
    # The app may serve more than the API (the portal's static files), never less.
    assert registered >= CONTRACT_ROUTES | ADDED_ROUTES


def test_lead_routes_declare_the_id_parameter_and_errors() -> None:
    paths = openapi_document()["paths"]
    for path, operations in paths.items():
        if "{id}" not in path:
            continue
        for method, operation in operations.items():
            names = [parameter["name"] for parameter in operation["parameters"]]
            assert "id" in names, (path, method)
            assert "404" in operation["responses"], (path, method)


def test_list_parameters_cover_every_filter() -> None:
    operation = openapi_document()["paths"]["/api/leads"]["get"]
    names = [parameter["name"] for parameter in operation["parameters"]]
    assert sorted(names) == sorted(QUERY_PARAMETERS)


def test_lead_schema_has_the_resource_fields_and_no_internal_ones() -> None:
    schemas = openapi_document()["components"]["schemas"]
    properties = set(schemas["LeadResource"]["properties"])
    for name in ("id", "partnerId", "customer", "urgency", "favorite", "eTag", "createdDateTime", "deal"):
        assert name in properties
    assert "overdueRecorded" not in properties and "historyCount" not in properties


def parameters(path: str, method: str = "get") -> dict[str, dict[str, Any]]:
    operation = openapi_document()["paths"][path][method]
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def test_enum_filters_are_comma_separated_lists_of_the_enum() -> None:
    for path in ("/api/leads", "/api/leads/export", "/api/leads/count"):
        described = parameters(path)
        for name, (enum, _column, _attribute) in ENUM_FILTERS.items():
            parameter = described[name]
            assert (parameter["style"], parameter["explode"]) == ("form", False)
            assert parameter["schema"]["type"] == "array" and parameter["schema"]["minItems"] == 1
            assert parameter["schema"]["items"]["enum"] == [member.value for member in enum]
        country = described["country"]["schema"]["items"]
        assert country["pattern"] == "^[A-Za-z]{2}$"
        assert "NL" in country["enum"] and "ZZ" not in country["enum"]


def test_paging_parameters_state_their_limits() -> None:
    described = parameters("/api/leads")
    assert described["top"]["schema"] | {} == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert described["continuationToken"]["schema"]["format"] == "continuation-token"
    assert "top" not in parameters("/api/leads/export")


def test_every_signed_in_operation_documents_its_errors_in_the_envelope() -> None:
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            if operation["security"] != [{"easyAuth": []}]:
                continue
            expected = {401, 403, 500, 503}
            if "{id}" in path:
                expected.add(404)
            if "requestBody" in operation:
                expected |= {400, 413, 415}
            documented = {int(status) for status in operation["responses"] if status.startswith(("4", "5"))}
            assert documented >= expected, (path, method)
            for status in documented:
                schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
                assert schema["allOf"][0] == {"$ref": "#/components/schemas/ErrorEnvelope"}
                code = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["const"]
                assert code == ERROR_CODES[status]


def test_mutations_take_if_match_and_answer_with_the_etag() -> None:
    for path, method in (
        ("/api/leads/{id}/accept", "post"),
        ("/api/leads/{id}/decline", "post"),
        ("/api/leads/{id}/deal", "patch"),
        ("/api/leads/{id}/team", "post"),
        ("/api/leads/{id}/close", "post"),
    ):
        operation = openapi_document()["paths"][path][method]
        if_match = parameters(path, method)["If-Match"]
        assert if_match["in"] == "header" and if_match["schema"]["minLength"] == 1
        assert {"409", "412"} <= set(operation["responses"])
        answer = operation["responses"]["200"]
        assert answer["headers"]["ETag"]["required"] is True
        assert answer["links"]["get_lead"]["parameters"] == {"id": "$response.body#/id"}
    lead = openapi_document()["paths"]["/api/leads/{id}"]["get"]["responses"]["200"]
    assert lead["links"]["accept_lead"]["parameters"]["header.If-Match"] == "$response.header.ETag"


def test_intake_is_a_function_key_route() -> None:
    operation = openapi_document()["paths"]["/api/marketplace/leads"]["post"]
    assert operation["security"] == [{"functionKeyQuery": []}, {"functionKeyHeader": []}]
    schemes = openapi_document()["components"]["securitySchemes"]
    assert (schemes["functionKeyQuery"]["in"], schemes["functionKeyQuery"]["name"]) == ("query", "code")
    assert (schemes["functionKeyHeader"]["in"], schemes["functionKeyHeader"]["name"]) == (
        "header",
        "x-functions-key",
    )


def body_validator(model: type[BaseModel]) -> Draft202012Validator:
    # A model that is also an answer has its request form under "-Input".
    name = "NotificationSettingsBody-Input" if model is NotificationSettingsBody else model.__name__
    root = {"$ref": f"#/components/schemas/{name}", "components": openapi_document()["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def model_accepts(model: type[BaseModel], body: Any) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


ACCEPT = {
    "dealName": "Rollout",
    "estimatedValue": 100,
    "estimatedCloseDate": "2027-01-31",
    "notes": "Signed.",
}
BODIES: list[tuple[type[BaseModel], Any]] = [
    (AcceptBody, ACCEPT),
    (
        AcceptBody,
        ACCEPT | {"currency": "EUR", "campaignId": None, "team": [{"name": "A", "email": "a@b.nl"}]},
    ),
    (AcceptBody, ACCEPT | {"currency": "EUE"}),
    (AcceptBody, ACCEPT | {"currency": None}),
    (AcceptBody, ACCEPT | {"estimatedValue": "100"}),
    (AcceptBody, ACCEPT | {"estimatedValue": -1}),
    (AcceptBody, ACCEPT | {"estimatedValue": 1e16}),
    (AcceptBody, ACCEPT | {"estimatedValue": True}),
    (AcceptBody, ACCEPT | {"dealName": "\x1c\u3000 "}),
    (AcceptBody, ACCEPT | {"dealName": "\ufeff"}),
    (AcceptBody, ACCEPT | {"notes": ""}),
    (AcceptBody, ACCEPT | {"estimatedCloseDate": "2027-01-31T00:00:00Z"}),
    (AcceptBody, ACCEPT | {"estimatedCloseDate": "2027-02-30"}),
    (AcceptBody, ACCEPT | {"extra": 1}),
    (AcceptBody, ACCEPT | {"team": [{"name": "A", "email": "a b@c.nl"}]}),
    (AcceptBody, ACCEPT | {"team": [{"name": "A", "email": "a@b\x85c.nl"}]}),
    (DeclineBody, {"reason": "Spam"}),
    (DeclineBody, {"reason": "Spam", "notes": ""}),
    (DeclineBody, {"reason": "Other"}),
    (DeclineBody, {"reason": "Other", "notes": None}),
    (DeclineBody, {"reason": "Other", "notes": " \u2028"}),
    (DeclineBody, {"reason": "Other", "notes": "Moved on."}),
    (DeclineBody, {"reason": "other"}),
    (DealUpdateBody, {}),
    (DealUpdateBody, {"crmId": None}),
    (DealUpdateBody, {"dealName": None}),
    (DealUpdateBody, {"estimatedValue": None}),
    (DealUpdateBody, {"currency": "USD", "notes": "x"}),
    (CloseBody, {"outcome": "Won"}),
    (CloseBody, {"outcome": "Won", "reason": None, "finalValue": 5}),
    (CloseBody, {"outcome": "Won", "reason": "Spam"}),
    (CloseBody, {"outcome": "Lost", "reason": "Spam", "notes": None}),
    (TeamMemberBody, {"name": "A", "email": "a@b.nl", "phone": None}),
    (TeamMemberBody, {"name": "A", "email": "a@b.nl\n"}),
    (NotificationSettingsBody, {"recipients": [{"email": "sales@contoso.nl", "name": None}]}),
    (NotificationSettingsBody, {"recipients": [{"email": "sales@contoso.local"}]}),
    (NotificationSettingsBody, {"recipients": []}),
]


# Where the document is stricter than the API, on purpose: no pattern states email-validator's rules.
STRICTER: list[tuple[type[BaseModel], Any]] = [
    (NotificationSettingsBody, {"recipients": [{"email": "Jürgen@bäckerei.de"}]}),
]


@pytest.mark.parametrize(("model", "body"), BODIES + STRICTER)
def test_the_document_allows_a_body_exactly_when_the_api_accepts_it(
    model: type[BaseModel], body: Any
) -> None:
    allowed = body_validator(model).is_valid(body)
    accepted = model_accepts(model, body)
    if (model, body) in STRICTER:
        assert accepted and not allowed
    else:
        assert allowed == accepted, "the document allows it, the API refuses it" if allowed else "vice versa"


def test_not_blank_pattern_is_what_python_strips() -> None:
    import re

    whitespace = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())
    blank = re.compile(NOT_BLANK_PATTERN)
    assert not any(blank.search(character) for character in whitespace)
    assert all(blank.search(character) for character in ("a", "\ufeff", "\x00", "\u200b"))


@settings(max_examples=100, deadline=None)
@given(st.from_regex(RECIPIENT_EMAIL_PATTERN, fullmatch=True))
def test_every_recipient_address_the_document_allows_is_accepted(address: str) -> None:
    validate_email(address, check_deliverability=False)


def test_every_allowlist_entry_names_a_documented_operation_and_a_reason() -> None:
    allowlist = json.loads(ALLOWLIST.read_text())
    documented = {
        f"{method.upper()} {path}"
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }
    assert allowlist["format_version"] == 1
    for entry in allowlist["entries"]:
        assert entry["operation"] in documented, entry
        assert len(entry["reason"]) > 40, entry
        assert {"check", "failure", "signature"} <= set(entry), entry
