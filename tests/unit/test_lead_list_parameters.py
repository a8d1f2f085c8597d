"""The list's query parameters are one pydantic model: parsing and the schema come from it."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.domain.enums import Stage
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_query import (
    DEFAULT_TOP,
    ENUM_FILTERS,
    MAX_TOP,
    QUERY_PARAMETERS,
    LeadFilters,
    LeadListParameters,
    after_lead,
    encode_continuation,
    parse_list_request,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_the_schema_names_every_parameter_as_clients_send_it() -> None:
    properties = LeadListParameters.model_json_schema(by_alias=True)["properties"]
    assert tuple(properties) == QUERY_PARAMETERS
    assert QUERY_PARAMETERS == (
        "tab",
        "callToAction",
        "leadSource",
        "leadType",
        "quality",
        "stage",
        "status",
        "emailValidity",
        "phoneValidity",
        "qualification",
        "country",
        "customerName",
        "createdFrom",
        "createdTo",
        "q",
        "owner",
        "sort",
        "top",
        "continuationToken",
    )
    # A comma-separated list of the enum, as the API description states it.
    assert properties["stage"]["type"] == "array"
    assert properties["stage"]["items"]["enum"] == [stage.value for stage in Stage]
    assert {key: properties["top"][key] for key in ("type", "minimum", "maximum", "default")} == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_TOP,
        "default": DEFAULT_TOP,
    }
    assert "top" not in LeadFilters.model_json_schema(by_alias=True)["properties"]


def test_the_enum_filter_table_is_derived_from_the_model() -> None:
    assert ENUM_FILTERS["emailValidity"][1:] == ("EmailValidity", "email_validity")
    assert ENUM_FILTERS["stage"][0] is Stage
    assert list(ENUM_FILTERS) == list(QUERY_PARAMETERS[1:10])


def test_a_list_request_reads_filters_page_size_and_continuation() -> None:
    lead_id = new_lead_id(NOW)
    request, errors = parse_list_request(
        {
            "stage": "received",
            "top": " 20 ",
            "continuationToken": encode_continuation(after_lead(lead_id)),
            "code": "k",
        }
    )
    assert errors == []
    assert request.query.column_filters()["Stage"] == frozenset({"Received"})
    assert (request.top, request.position) == (20, after_lead(lead_id))
    assert parse_list_request({})[0].top == DEFAULT_TOP


def test_every_bad_list_parameter_is_named_in_parameter_order() -> None:
    _, errors = parse_list_request({"continuationToken": "forged", "top": "0", "tab": "inbox"})
    assert [error.field for error in errors] == ["tab", "top", "continuationToken"]
    assert errors[1].message == f"must be a whole number from 1 to {MAX_TOP}"
    assert errors[2].message == "is not a continuation token issued by this service"
