"""The OpenAPI 3 document, generated from the same pydantic models the handlers use."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, Field
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.enums import ActionKind, HistoryAction, Status, Urgency
from shared.domain.lead import INTERNAL_FIELDS, Lead, WireModel
from shared.domain.lead_query import ENUM_FILTERS, MAX_TOP
from shared.services.notification_settings import NotificationSettingsBody

_REF = "#/components/schemas/{model}"


class LeadResource(Lead):
    """A lead as the API shows it: the stored lead plus what depends on reader and clock."""

    urgency: Urgency | None = None
    favorite: bool = False
    e_tag: str = Field(alias="eTag")


class LeadList(WireModel):
    value: list[LeadResource]
    continuation_token: str | None = None


class HistoryEntryResource(WireModel):
    at: str
    actor: str
    action: HistoryAction
    from_status: Status | None = None
    to_status: Status | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class HistoryList(WireModel):
    value: list[HistoryEntryResource]


class RecommendedActionResource(WireModel):
    kind: ActionKind
    lead_id: str
    customer_name: str
    due_date_time: str
    message: str


class ActionList(WireModel):
    value: list[RecommendedActionResource]


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (AcceptBody, "validation"),
    (DeclineBody, "validation"),
    (DealUpdateBody, "validation"),
    (TeamMemberBody, "validation"),
    (CloseBody, "validation"),
    (NotificationSettingsBody, "validation"),
    (LeadResource, "serialization"),
    (LeadList, "serialization"),
    (HistoryList, "serialization"),
    (ActionList, "serialization"),
    (ErrorEnvelope, "serialization"),
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "BadRequest",
        401: "Unauthenticated",
        403: "Forbidden",
        404: "NotFound",
        409: "InvalidTransition",
        412: "PreconditionFailed",
        413: "PayloadTooLarge",
        415: "UnsupportedMediaType",
    }
    return {str(code): {"description": text[code], "content": _json(ErrorEnvelope)} for code in codes}


def _lead_id_parameter() -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _mutation(summary: str, body: type[BaseModel], method_errors: tuple[int, ...] = ()) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [
            _lead_id_parameter(),
            {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
        "requestBody": {"required": True, "content": _json(body)},
        "responses": {
            "200": {
                "description": "The updated lead",
                "headers": {"ETag": {"schema": {"type": "string"}}},
                "content": _json(LeadResource),
            },
            **_errors(400, 401, 403, 404, 409, 412, 413, 415, *method_errors),
        },
        "security": [{"easyAuth": []}],
    }


def _list_parameters() -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": "tab",
            "in": "query",
            "schema": {"type": "string", "enum": ["marketplace", "qualified", "favorites"]},
        },
    ]
    for name, (enum, _column, _attribute) in ENUM_FILTERS.items():
        parameters.append(
            {
                "name": name,
                "in": "query",
                "description": "Comma-separated; any of: " + ", ".join(member.value for member in enum),
                "schema": {"type": "string"},
            }
        )
    parameters += [
        {
            "name": "country",
            "in": "query",
            "description": "Comma-separated ISO 3166-1 alpha-2 codes",
            "schema": {"type": "string"},
        },
        {
            "name": "customerName",
            "in": "query",
            "description": "Case-insensitive substring of the company",
            "schema": {"type": "string"},
        },
        {
            "name": "createdFrom",
            "in": "query",
            "description": "Inclusive; date or date-time",
            "schema": {"type": "string"},
        },
        {
            "name": "createdTo",
            "in": "query",
            "description": "Exclusive; date or date-time",
            "schema": {"type": "string"},
        },
    ]
    return parameters


@cache
def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema(_MODELS, by_alias=True, ref_template=_REF)
    definitions = schemas.get("$defs", {})
    for internal in INTERNAL_FIELDS:
        definitions["LeadResource"]["properties"].pop(to_camel(internal), None)
    secured: list[dict[str, list[str]]] = [{"easyAuth": []}]
    lead_path = [_lead_id_parameter()]
    paths: dict[str, Any] = {
        "/api/leads": {
            "get": {
                "summary": "List leads, newest first",
                "parameters": [
                    *_list_parameters(),
                    {
                        "name": "top",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": 50},
                    },
                    {"name": "continuationToken", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "A page of leads", "content": _json(LeadList)},
                    **_errors(400, 401, 403),
                },
                "security": secured,
            }
        },
        "/api/leads/export": {
            "get": {
                "summary": "The filtered list as CSV",
                "parameters": _list_parameters(),
                "responses": {
                    "200": {
                        "description": "CSV, UTF-8 with BOM",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    **_errors(400, 401, 403),
                },
                "security": secured,
            }
        },
        "/api/leads/count": {
            "get": {
                "summary": "How many leads the list shows for the same tab and filters, over all pages",
                "parameters": _list_parameters(),
                "responses": {
                    "200": {
                        "description": "The count",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"count": {"type": "integer", "minimum": 0}},
                                    "required": ["count"],
                                }
                            }
                        },
                    },
                    **_errors(400, 401, 403),
                },
                "security": secured,
            }
        },
        "/api/leads/{id}": {
            "get": {
                "summary": "One lead",
                "parameters": lead_path,
                "responses": {
                    "200": {
                        "description": "The lead",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": _json(LeadResource),
                    },
                    **_errors(401, 403, 404),
                },
                "security": secured,
            }
        },
        "/api/leads/{id}/favorite": {
            method: {
                "summary": f"{verb} the lead as the caller's favorite",
                "parameters": lead_path,
                "responses": {"204": {"description": "Done"}, **_errors(401, 403, 404)},
                "security": secured,
            }
            for method, verb in (("put", "Mark"), ("delete", "Unmark"))
        },
        "/api/leads/{id}/accept": {"post": _mutation("Accept a received lead", AcceptBody)},
        "/api/leads/{id}/decline": {"post": _mutation("Decline a received lead", DeclineBody)},
        "/api/leads/{id}/deal": {"patch": _mutation("Edit the deal of an accepted lead", DealUpdateBody)},
        "/api/leads/{id}/team": {"post": _mutation("Add a team member to an accepted lead", TeamMemberBody)},
        "/api/leads/{id}/close": {"post": _mutation("Close an accepted lead as Won or Lost", CloseBody)},
        "/api/leads/{id}/history": {
            "get": {
                "summary": "The lead's audit trail, oldest first",
                "parameters": lead_path,
                "responses": {
                    "200": {"description": "History", "content": _json(HistoryList)},
                    **_errors(401, 403, 404),
                },
                "security": secured,
            }
        },
        "/api/actions": {
            "get": {
                "summary": "The action center",
                "responses": {
                    "200": {"description": "Recommended actions", "content": _json(ActionList)},
                    **_errors(401, 403),
                },
                "security": secured,
            }
        },
        "/api/settings/notifications": {
            "get": {
                "summary": "Who receives lead emails",
                "responses": {
                    "200": {"description": "Settings", "content": _json(NotificationSettingsBody)},
                    **_errors(401, 403),
                },
                "security": secured,
            },
            "put": {
                "summary": "Replace the recipients (ReferralsAdmin only)",
                "requestBody": {"required": True, "content": _json(NotificationSettingsBody)},
                "responses": {
                    "200": {"description": "Stored settings", "content": _json(NotificationSettingsBody)},
                    **_errors(400, 401, 403, 413, 415),
                },
                "security": secured,
            },
        },
        "/api/marketplace/leads": {
            "post": {
                "summary": "Marketplace lead intake (function key)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {"202": {"description": "Queued for intake"}, **_errors(400, 413, 415)},
                "security": [{"functionKey": []}],
            }
        },
        "/api/health": {
            "get": {
                "summary": "Storage reachability",
                "responses": {"200": {"description": "ok"}, "503": {"description": "storage unavailable"}},
            }
        },
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI"}}}
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Referral leads service", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "easyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-MS-CLIENT-PRINCIPAL",
                    "description": "Set by App Service Authentication (Microsoft Entra ID).",
                },
                "functionKey": {"type": "apiKey", "in": "query", "name": "code"},
            },
        },
    }
