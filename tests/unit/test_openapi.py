"""The OpenAPI document describes every route of the API and is valid OpenAPI 3."""

from __future__ import annotations

from openapi_spec_validator import validate

from shared.adapters.openapi import openapi_document

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
    ("/api/actions", "get"),
    ("/api/settings/notifications", "get"),
    ("/api/settings/notifications", "put"),
    ("/api/marketplace/leads", "post"),
    ("/api/health", "get"),
    ("/api/openapi.json", "get"),
}


# Routes the API grew in the contract's style, for the portal.
ADDED_ROUTES = {("/api/leads/count", "get")}


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
            registered.add((f"/api/{trigger.route}", str(method).split(".")[-1].lower()))
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
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == {
        "tab",
        "callToAction",
        "country",
        "customerName",
        "leadSource",
        "leadType",
        "quality",
        "stage",
        "status",
        "emailValidity",
        "phoneValidity",
        "createdFrom",
        "createdTo",
        "top",
        "continuationToken",
    }


def test_lead_schema_has_the_resource_fields_and_no_internal_ones() -> None:
    schemas = openapi_document()["components"]["schemas"]
    properties = set(schemas["LeadResource"]["properties"])
    for name in ("id", "partnerId", "customer", "urgency", "favorite", "eTag", "createdDateTime", "deal"):
        assert name in properties
    assert "overdueRecorded" not in properties and "historyCount" not in properties
