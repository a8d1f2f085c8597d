"""Each 400 `details` entry has a stable `code` (contract §5, "Errors") a client can word itself."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.adapters.http import field_errors
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.errors import DetailCode, detail_code
from shared.domain.lead_query import parse_list_request
from shared.domain.recipients import NotificationSettingsBody

ACCEPT: dict[str, Any] = {
    "dealName": "Contoso CRM for Fabrikam",
    "estimatedValue": 12000,
    "estimatedCloseDate": "2026-12-31",
    "notes": "Demo booked",
}


def codes(model: type[BaseModel], body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return {error.field: error.code.value for error in field_errors(raised.value)}


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (
            AcceptBody,
            {},
            {
                "dealName": "required",
                "estimatedValue": "required",
                "estimatedCloseDate": "required",
                "notes": "required",
            },
        ),
        (AcceptBody, {**ACCEPT, "dealName": "x" * 201}, {"dealName": "too_long"}),
        (AcceptBody, {**ACCEPT, "dealName": ""}, {"dealName": "too_short"}),
        (AcceptBody, {**ACCEPT, "notes": "   "}, {"notes": "required"}),
        (AcceptBody, {**ACCEPT, "estimatedValue": -1}, {"estimatedValue": "out_of_range"}),
        (AcceptBody, {**ACCEPT, "estimatedValue": "100"}, {"estimatedValue": "wrong_type"}),
        (
            AcceptBody,
            {**ACCEPT, "estimatedCloseDate": "31-12-2026"},
            {"estimatedCloseDate": "invalid_format"},
        ),
        (AcceptBody, {**ACCEPT, "currency": "EUE"}, {"currency": "invalid"}),
        (AcceptBody, {**ACCEPT, "colour": "red"}, {"colour": "not_allowed"}),
        (AcceptBody, {**ACCEPT, "team": [{"name": "A", "email": "a@b.example"}] * 51}, {"team": "too_many"}),
        (TeamMemberBody, {"name": "Ann", "email": "not an address"}, {"email": "invalid_format"}),
        (DeclineBody, {"reason": "Bored"}, {"reason": "invalid"}),
        (DeclineBody, {"reason": "Other"}, {"notes": "required"}),
        (CloseBody, {"outcome": "Won", "reason": "Spam"}, {"reason": "not_allowed"}),
        (DealUpdateBody, {}, {"body": "required"}),
        (DealUpdateBody, {"dealName": None}, {"dealName": "required"}),
        (
            NotificationSettingsBody,
            {"recipients": [{"email": "a@@b"}]},
            {"recipients.0.email": "invalid_format"},
        ),
        (
            NotificationSettingsBody,
            {"recipients": [{"email": "a@contoso.example"}, {"email": "A@contoso.example"}]},
            {"recipients": "duplicate"},
        ),
        (
            NotificationSettingsBody,
            {"recipients": [{"email": "a@contoso.example", "language": "de"}]},
            {"recipients.0.language": "invalid"},
        ),
    ],
)
def test_body_errors_carry_their_code(
    model: type[BaseModel], body: dict[str, Any], expected: dict[str, str]
) -> None:
    assert codes(model, body) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"quality": "Great"}, {"quality": "invalid"}),
        ({"country": "Netherlands"}, {"country": "invalid"}),
        ({"createdFrom": "yesterday"}, {"createdFrom": "invalid_format"}),
        ({"top": "501"}, {"top": "out_of_range"}),
        ({"customerName": "x" * 1000}, {"customerName": "too_long"}),
        ({"continuationToken": "forged"}, {"continuationToken": "invalid"}),
    ],
)
def test_list_parameter_errors_carry_their_code(params: dict[str, str], expected: dict[str, str]) -> None:
    _request, errors = parse_list_request(params)
    assert {error.field: error.code.value for error in errors} == expected


def test_codes_are_the_contracts_and_every_pydantic_type_maps_to_one() -> None:
    contract = {"required", "invalid", "too_long", "too_short", "not_allowed", "out_of_range"}
    assert contract <= {code.value for code in DetailCode}
    assert detail_code("string_type") is DetailCode.WRONG_TYPE
    assert detail_code("missing") is DetailCode.REQUIRED
    assert detail_code("complex_type") is DetailCode.WRONG_TYPE
    assert detail_code("too_long") is DetailCode.TOO_MANY  # pydantic's, of a list
    assert detail_code("refusal:too_long") is DetailCode.TOO_LONG
    assert detail_code("value_error") is DetailCode.INVALID


def test_the_openapi_document_lists_every_code_as_an_enum() -> None:
    from shared.adapters.openapi import openapi_document

    schemas = openapi_document()["components"]["schemas"]
    assert schemas["DetailCode"]["enum"] == [code.value for code in DetailCode]
    assert "code" in schemas["ErrorDetail"]["required"]
    assert schemas["Recipient-Input"]["properties"]["language"]["default"] == "en"
