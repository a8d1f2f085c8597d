"""The OpenAPI 3.1 document, generated from the models, enums and limits the handlers validate with.

It states exactly what the API enforces, so a client (or a fuzzer) that follows it is never refused
for a request the document allows: parameter enums and formats, lengths, conditional requirements,
nullability, every error status with the error envelope, `If-Match` / `ETag`, and links between
operations (the list gives a lead's id and ETag to the calls that act on it).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import core_schema

from shared.domain import action_center
from shared.domain.commands import (
    NOT_BLANK_PATTERN,
    AcceptBody,
    CloseBody,
    DealUpdateBody,
    DeclineBody,
    OwnerBody,
    TeamMemberBody,
)
from shared.domain.enums import ActionKind, DeclineReason, HistoryAction, SpamFlag, Status, Urgency
from shared.domain.errors import DetailCode
from shared.domain.insights import GroupBy, InsightsParameters, Interval
from shared.domain.lead import INTERNAL_FIELDS, PARTNER_CENTER_INTERNAL_FIELDS, Lead, WireModel
from shared.domain.lead_ids import LEAD_ID_PATTERN
from shared.domain.lead_query import (
    CONTINUATION_TOKEN_FORMAT,
    LeadFilters,
    LeadListParameters,
)
from shared.domain.recipients import NotificationSettingsBody
from shared.domain.routing import RoutingSettingsBody

_REF = "#/components/schemas/{model}"
# A custom string format: the only valid values are tokens the service issued in an earlier page.
PORTAL_MEDIA_TYPES = ("text/html", "text/css", "text/javascript", "image/svg+xml")


class LeadResource(Lead):
    """A lead as the API shows it: the stored lead plus what depends on reader and clock."""

    # The document names the flags the domain sets; the stored lead keeps plain names.
    spam_flags: list[SpamFlag] = Field(default_factory=list)  # type: ignore[assignment]
    urgency: Urgency | None = None
    favorite: bool = False
    e_tag: str = Field(alias="eTag")
    # Only in the list: whether the lead has related leads (contract §11), for its marker.
    has_related_leads: bool = Field(False, description="In the list only: the lead has related leads")


class RelatedList(WireModel):
    value: list[LeadResource]


class UserResource(WireModel):
    user_id: str
    name: str | None = None


class UserList(WireModel):
    """The people the portal offers as owners: users seen lately and the routing rules' users."""

    value: list[UserResource]


class LeadList(WireModel):
    value: list[LeadResource]
    continuation_token: str | None = Field(None, json_schema_extra={"format": CONTINUATION_TOKEN_FORMAT})


class LeadCount(WireModel):
    count: int = Field(ge=0)
    exact: bool = Field(
        description="False when the count stopped after a bounded read: `count` is then a lower bound"
    )


class HistoryEntryResource(WireModel):
    at: str
    actor: str
    actor_name: str | None = Field(
        description="The person's display name (the `name` claim); null for `system`"
    )
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


class ActionSummary(BaseModel):
    """How many items of each kind the partner has, over every page."""

    model_config = ConfigDict(extra="forbid")

    ContactOverdue: int = Field(ge=0)
    ContactRequested: int = Field(ge=0)
    ExpiringSoon: int = Field(ge=0)
    Respond: int = Field(ge=0)
    RecordOutcome: int = Field(ge=0)


class ActionList(WireModel):
    summary: ActionSummary
    value: list[RecommendedActionResource]
    continuation_token: str | None = Field(
        None, json_schema_extra={"format": action_center.CONTINUATION_TOKEN_FORMAT}
    )


def _action_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": "top",
            "in": "query",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": action_center.MAX_TOP,
                "default": action_center.DEFAULT_TOP,
            },
        },
        {
            "name": "continuationToken",
            "in": "query",
            "description": "The previous page's `continuationToken`, as issued; any other value answers 400",
            "schema": {
                "type": "string",
                "format": action_center.CONTINUATION_TOKEN_FORMAT,
                "maxLength": action_center.MAX_TOKEN_LENGTH,
            },
        },
    ]


Share = Annotated[float | None, Field(ge=0, le=1)]
Hours = Annotated[float | None, Field(ge=0)]


class InsightsFigures(WireModel):
    """Contract §12's figures; rates and shares are null when nothing was answered or closed."""

    received: int
    accepted: int
    declined: int
    expired: int
    won: int
    lost: int
    acceptance_rate: Share
    win_rate: Share
    median_response_hours: Hours
    p90_response_hours: Hours = Field(alias="p90ResponseHours")
    answered_within24h: Share = Field(alias="answeredWithin24h")
    contact_requests_answered_within72h: Share = Field(alias="contactRequestsAnsweredWithin72h")
    won_value: dict[str, float] = Field(description="By ISO 4217 currency; never summed across currencies")
    pipeline_value: dict[str, float] = Field(description="Open accepted deals, by currency")
    decline_reasons: dict[DeclineReason, int]


class InsightsSeriesItem(InsightsFigures):
    group: str | None = Field(description="The group's value; null for groupBy none or a lead without one")
    period: date = Field(description="First day (UTC) of the day, ISO week (Monday) or month")


class InsightsAnswer(WireModel):
    from_: date = Field(alias="from")
    to: date
    interval: Interval
    group_by: GroupBy
    totals: InsightsFigures
    series: list[InsightsSeriesItem]


class Health(BaseModel):
    status: str


class ErrorDetail(BaseModel):
    field: str
    message: str = Field(description="English; a client words its own message from `code`.")
    code: DetailCode = Field(description="Why the field was refused; stable, one of the listed values.")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = Field(
        default_factory=list, description="One entry per bad field; left out when there is none."
    )


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class _AnswerSchema(GenerateJsonSchema):
    """Answers always carry every field of their model (null when empty), so each one is required."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization":
            return True
        return super().field_is_required(field, total)


_REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    AcceptBody,
    DeclineBody,
    DealUpdateBody,
    TeamMemberBody,
    CloseBody,
    NotificationSettingsBody,
    OwnerBody,
    RoutingSettingsBody,
)
_ANSWER_MODELS: tuple[type[BaseModel], ...] = (
    LeadResource,
    LeadList,
    LeadCount,
    HistoryList,
    ActionList,
    NotificationSettingsBody,
    RoutingSettingsBody,
    RelatedList,
    UserList,
    Health,
    InsightsAnswer,
)
# status -> the error code the envelope carries with it (shared/domain/errors.py, shared/adapters/http.py).
ERROR_CODES = {
    400: "BadRequest",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "NotFound",
    409: "InvalidTransition",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    500: "InternalError",
    503: "ServiceUnavailable",
}
_ERROR_TEXT = {
    400: "The request is not valid: `details` names each bad field",
    401: "No signed-in user (no or unusable `X-MS-CLIENT-PRINCIPAL`, or sign-in is off)",
    403: "The signed-in user has no role that allows this",
    404: "No lead with that id for the caller's partner",
    409: "The lead's stage does not allow this change",
    412: "`If-Match` is not the lead's current ETag",
    413: "The body is larger than 64 KiB",
    415: "The body is not sent as application/json",
    500: "An unexpected error (a bug: no request should cause it)",
    503: "Storage is not answering; retry",
}


# Partner Center's webhook event (contract §10); the signature, not the schema, decides.
_PARTNER_CENTER_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["EventName", "ResourceUri", "ResourceName", "ResourceChangeUtcDate"],
    "properties": {
        "EventName": {"type": "string"},
        "ResourceUri": {"type": "string"},
        "ResourceName": {"type": "string"},
        "AuditUri": {"type": ["string", "null"]},
        "ResourceChangeUtcDate": {"type": "string"},
    },
}


# The marketplace's lead format (contract §3a) as far as a schema can say it: the customer and its
# company are required. Routing (PartnerId or the publisher in LeadSource) and the call to action
# (CallToAction, ActionCode or the action in LeadSource) are chosen among several fields, which the
# summary states and a 400 names.
_MARKETPLACE_LEAD: dict[str, Any] = {
    "type": "object",
    "required": ["UserDetails"],
    "properties": {
        "UserDetails": {
            "type": "object",
            "required": ["Company"],
            "properties": {"Company": {"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN}},
        },
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*statuses: int) -> dict[str, Any]:
    """Error answers in the envelope with their fixed codes; 500 (a bug) and 503 (storage) anywhere."""
    answers = {}
    for status in sorted({*statuses, 500, 503}):
        code_is = {"properties": {"error": {"properties": {"code": {"const": ERROR_CODES[status]}}}}}
        answers[str(status)] = {
            "description": f"{ERROR_CODES[status]}: {_ERROR_TEXT[status]}",
            "content": _json({"allOf": [_request(ErrorEnvelope), code_is]}),
        }
    return answers


_SIGNED_IN_ERRORS = (401, 403)
_BODY_ERRORS = (400, 413, 415)
_ETAG_HEADER = {
    "ETag": {
        "description": "The lead's version, equal to `eTag`; send it back as `If-Match`",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    }
}


def _lead_id_parameter() -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "A lead id; any other value answers 404",
        "schema": {"type": "string", "pattern": LEAD_ID_PATTERN.pattern},
    }


def _if_match_parameter() -> dict[str, Any]:
    return {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The lead's `ETag` (or `*`): the change is made only if the lead is still that "
        "version, else 412. Without it a change that loses a race is decided again on the fresh lead.",
        "schema": {"type": "string", "minLength": 1},
    }


_MUTATIONS = ("accept_lead", "decline_lead", "update_deal", "add_team_member", "close_lead", "assign_owner")
_AFTER_CHANGE = ("get_lead", "lead_history")


def _links(id_source: str, etag_source: str, *operations: str) -> dict[str, Any]:
    """OpenAPI links: the lead an answer names (and, to a change, its ETag) for the calls that act on it."""
    links: dict[str, Any] = {}
    for operation in operations:
        parameters = {"id": id_source}
        if operation in _MUTATIONS:
            parameters["header.If-Match"] = etag_source
        links[operation] = {"operationId": operation, "parameters": parameters}
    return links


def _lead_answer(description: str, links: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _ETAG_HEADER,
        "content": _json(_answer(LeadResource)),
        "links": links,
    }


def _mutation(operation_id: str, summary: str, body: type[BaseModel], *next_ops: str) -> dict[str, Any]:
    links = _links("$response.body#/id", "$response.header.ETag", *next_ops, *_AFTER_CHANGE)
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [_lead_id_parameter(), _if_match_parameter()],
        "requestBody": {"required": True, "content": _json(_request(body))},
        "responses": {
            "200": _lead_answer("The updated lead", links),
            **_errors(*_SIGNED_IN_ERRORS, *_BODY_ERRORS, 404, 409, 412),
        },
        "security": [{"easyAuth": []}],
    }


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The query parameters of a route, read from the model the handler parses them with."""
    parameters: list[dict[str, Any]] = []
    described_model = model.model_json_schema(by_alias=True)
    required = set(described_model.get("required", ()))
    for name, described in described_model["properties"].items():
        schema = {key: value for key, value in described.items() if key not in ("title", "description")}
        if schema.get("default", ...) is None:
            del schema["default"]  # absent, not null
        parameter: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
        if name in required:
            parameter["required"] = True
        if "description" in described:
            parameter["description"] = described["description"]
        if schema.get("type") == "array":
            parameter |= {"style": "form", "explode": False}  # comma-separated values
        parameters.append(parameter)
    return parameters


def _read(
    operation_id: str, summary: str, answer: dict[str, Any], *errors: int, **extra: Any
) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        **extra,
        "responses": {"200": answer, **_errors(*_SIGNED_IN_ERRORS, *errors)},
        "security": [{"easyAuth": []}],
    }


def _settings(name: str, model: type[BaseModel], read: str, replace: str) -> dict[str, Any]:
    """A settings resource: anyone with a role reads it, a ReferralsAdmin replaces it whole."""
    return {
        "get": _read(
            f"get_{name}_settings", read, {"description": "Settings", "content": _json(_answer(model))}
        ),
        "put": _read(
            f"replace_{name}_settings",
            replace,
            {"description": "Stored settings", "content": _json(_answer(model))},
            *_BODY_ERRORS,
            requestBody={"required": True, "content": _json(_request(model))},
        ),
    }


@cache
def _components() -> tuple[dict[tuple[type[BaseModel], str], dict[str, str]], dict[str, Any]]:
    """Each model's reference (requests as validated, answers as serialized) and every schema."""
    models: list[tuple[type[BaseModel], Any]] = [
        *((model, "validation") for model in _REQUEST_MODELS),
        *((model, "serialization") for model in _ANSWER_MODELS),
        (ErrorEnvelope, "validation"),
    ]
    refs, schemas = models_json_schema(
        models, by_alias=True, ref_template=_REF, schema_generator=_AnswerSchema
    )
    definitions = schemas["$defs"]
    resource = definitions["LeadResource"]
    for internal in INTERNAL_FIELDS:
        resource["properties"].pop(to_camel(internal), None)
        resource["required"].remove(to_camel(internal))
    resource["required"].remove("hasRelatedLeads")
    link = definitions["PartnerCenterLink"]
    for internal in PARTNER_CENTER_INTERNAL_FIELDS:
        link["properties"].pop(internal)
        link["required"].remove(internal)
    # pydantic types the keys as any model or dataclass; only the models above are passed.
    return cast(dict[tuple[type[BaseModel], str], dict[str, str]], dict(refs)), definitions


def _request(model: type[BaseModel]) -> dict[str, str]:
    return _components()[0][(model, "validation")]


def _answer(model: type[BaseModel]) -> dict[str, str]:
    return _components()[0][(model, "serialization")]


@cache
def openapi_document() -> dict[str, Any]:
    lead_path = [_lead_id_parameter()]
    from_list = _links(
        "$response.body#/value/0/id", "$response.body#/value/0/eTag", "get_lead", "lead_history", *_MUTATIONS
    )
    from_lead = _links("$response.body#/id", "$response.header.ETag", "lead_history", *_MUTATIONS)
    paths: dict[str, Any] = {
        "/api/leads": {
            "get": _read(
                "list_leads",
                "List leads, newest first",
                {"description": "A page of leads", "content": _json(_answer(LeadList)), "links": from_list},
                400,
                parameters=_query_parameters(LeadListParameters),
            )
        },
        "/api/leads/export": {
            "get": _read(
                "export_leads",
                "The filtered list as CSV (every page)",
                {
                    "description": "CSV, UTF-8 with BOM, CRLF rows",
                    "headers": {
                        "Content-Disposition": {
                            "required": True,
                            "schema": {
                                "type": "string",
                                "pattern": r'^attachment; filename="leads-\d{8}\.csv"$',
                            },
                        }
                    },
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                400,
                parameters=_query_parameters(LeadFilters),
            )
        },
        "/api/leads/count": {
            "get": _read(
                "count_leads",
                "How many leads the list shows for the same tab and filters, over all pages",
                {"description": "The count", "content": _json(_answer(LeadCount))},
                400,
                parameters=_query_parameters(LeadFilters),
            )
        },
        "/api/leads/{id}": {
            "get": _read(
                "get_lead", "One lead", _lead_answer("The lead", from_lead), 404, parameters=lead_path
            )
        },
        "/api/leads/{id}/favorite": {
            method: {
                "operationId": operation_id,
                "summary": f"{verb} the lead as the caller's favorite",
                "parameters": lead_path,
                "responses": {
                    # No link after DELETE: the lead itself stays, only the mark goes.
                    "204": {"description": "Done", "links": links},
                    **_errors(*_SIGNED_IN_ERRORS, 404),
                },
                "security": [{"easyAuth": []}],
            }
            for method, verb, operation_id, links in (
                (
                    "put",
                    "Mark",
                    "favorite_lead",
                    {"get_lead": {"operationId": "get_lead", "parameters": {"id": "$request.path.id"}}},
                ),
                ("delete", "Unmark", "unfavorite_lead", {}),
            )
        },
        "/api/leads/{id}/accept": {
            "post": _mutation(
                "accept_lead",
                "Accept a received lead",
                AcceptBody,
                "update_deal",
                "add_team_member",
                "close_lead",
            )
        },
        "/api/leads/{id}/decline": {
            "post": _mutation("decline_lead", "Decline a received lead", DeclineBody)
        },
        "/api/leads/{id}/deal": {
            "patch": _mutation(
                "update_deal",
                "Edit the deal of an accepted lead",
                DealUpdateBody,
                "add_team_member",
                "close_lead",
            )
        },
        "/api/leads/{id}/team": {
            "post": _mutation(
                "add_team_member",
                "Add a team member to an accepted lead",
                TeamMemberBody,
                "update_deal",
                "close_lead",
            )
        },
        "/api/leads/{id}/close": {
            "post": _mutation("close_lead", "Close an accepted lead as Won or Lost", CloseBody)
        },
        "/api/leads/{id}/owner": {
            "put": _mutation(
                "assign_owner",
                'Give the lead an owner, or none with `{"userId": null}` (any role; archived leads: 409)',
                OwnerBody,
            )
        },
        "/api/leads/{id}/related": {
            "get": _read(
                "related_leads",
                "Leads of the same customer (email, E.164 phone, or company and email domain), newest first",
                {"description": "Related leads", "content": _json(_answer(RelatedList))},
                404,
                parameters=lead_path,
            )
        },
        "/api/leads/{id}/history": {
            "get": _read(
                "lead_history",
                "The lead's audit trail, oldest first",
                {"description": "History", "content": _json(_answer(HistoryList))},
                404,
                parameters=lead_path,
            )
        },
        "/api/actions": {
            "get": _read(
                "recommended_actions",
                "The action center: one item per lead that needs doing, most urgent first",
                {"description": "Recommended actions", "content": _json(_answer(ActionList))},
                400,
                parameters=_action_parameters(),
            )
        },
        "/api/insights": {
            "get": _read(
                "lead_insights",
                "Response time, acceptance and win rates, pipeline, per UTC period and group (§12). "
                "`to` must not be before `from`; the range holds at most 1,098 days (else 400 naming `to`).",
                {"description": "The figures", "content": _json(_answer(InsightsAnswer))},
                400,
                parameters=_query_parameters(InsightsParameters),
            )
        },
        "/api/settings/notifications": _settings(
            "notification",
            NotificationSettingsBody,
            "Who receives lead emails",
            "Replace the recipients (ReferralsAdmin only). Addresses must be unique, ignoring case.",
        ),
        "/api/settings/routing": _settings(
            "routing",
            RoutingSettingsBody,
            "The routing rules, in order",
            "Replace the routing rules (ReferralsAdmin only); they route leads that arrive afterwards",
        ),
        "/api/users": {
            "get": _read(
                "list_users",
                "The people a lead can be given to: users seen lately and the routing rules' users",
                {"description": "Users", "content": _json(_answer(UserList))},
            )
        },
        "/api/marketplace/leads": {
            "post": {
                "operationId": "post_marketplace_lead",
                "summary": "Marketplace lead intake (function key). A lead intake can take is queued (202); "
                "one it could only poison (no customer or company, unroutable, an unknown action, a creation "
                "time outside 2000-01-01 to a day from now, not strict JSON) is refused with 400 naming the "
                "field; a body whose queue message would exceed 64 KiB is refused with 413.",
                "requestBody": {"required": True, "content": _json(_MARKETPLACE_LEAD)},
                "responses": {
                    "202": {
                        "description": "Queued for intake",
                        "content": _json(
                            {
                                "type": "object",
                                "properties": {"status": {"const": "accepted"}},
                                "required": ["status"],
                            }
                        ),
                    },
                    "401": {"description": "No or wrong function key (answered by the Functions host)"},
                    **_errors(*_BODY_ERRORS),
                },
                "security": [{"functionKeyQuery": []}, {"functionKeyHeader": []}],
            }
        },
        "/api/partner-center/events": {
            "post": {
                "operationId": "receive_partner_center_event",
                "summary": "Partner Center webhook events (contract §10). Not behind sign-in: an event is "
                "believed only when its RSA-SHA256 signature (`Authorization: Signature <base64>`) verifies "
                "over the exact body with the certificate at `X-MS-Certificate-Url`, on a host of "
                "PARTNER_CENTER_WEBHOOK_CERT_HOSTS; a missing, bad or replayed signature, or an event over "
                "24 hours from now, answers 401 and changes nothing. A good referral event is answered 202 "
                "and its `ResourceUri` is read afterwards.",
                "parameters": [
                    {
                        "name": name,
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": description,
                    }
                    for name, description in (
                        ("X-MS-Certificate-Url", "Where the signing certificate is served"),
                        ("X-MS-Signature-Algorithm", "`rsa-sha256`"),
                    )
                ],
                "requestBody": {"required": True, "content": _json(_PARTNER_CENTER_EVENT)},
                "responses": {
                    "202": {
                        "description": "Verified and accepted",
                        "content": _json(
                            {
                                "type": "object",
                                "properties": {"status": {"const": "accepted"}},
                                "required": ["status"],
                            }
                        ),
                    },
                    **_errors(400, 401, 413, 503),
                },
                "security": [{"partnerCenterSignature": []}],
            }
        },
        "/api/health": {
            "get": {
                "operationId": "health",
                "summary": "Storage reachability",
                "responses": {
                    "200": {"description": "Storage answers", "content": _json(_answer(Health))},
                    "503": {"description": "Storage is not answering", "content": _json(_answer(Health))},
                },
                "security": [],
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": _json({"type": "object"})}},
                "security": [],
            }
        },
        "/api/portal/{path}": {
            "get": {
                "operationId": "portal",
                "summary": "The partner portal's static files (in Azure behind App Service Authentication, "
                "which sends a signed-out browser to sign-in first)",
                "parameters": [
                    {
                        "name": "path",
                        "in": "path",
                        "required": True,
                        "description": "A file under the portal's folder; empty for index.html",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {
                            media_type: {"schema": {"type": "string"}} for media_type in PORTAL_MEDIA_TYPES
                        },
                    },
                    "308": {"description": "`/api/portal` redirects to `/api/portal/`"},
                    "404": {
                        "description": "No such file",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                },
                "security": [],
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Referral leads service", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": _components()[1],
            "securitySchemes": {
                "easyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-MS-CLIENT-PRINCIPAL",
                    "description": "Set by App Service Authentication (Microsoft Entra ID): base64 JSON "
                    "with the caller's claims. Trusted only where sign-in is on.",
                },
                "functionKeyQuery": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "code",
                    "description": "The function key (auth level FUNCTION); the local host checks none.",
                },
                "functionKeyHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-functions-key",
                    "description": "The function key, as a header.",
                },
                "partnerCenterSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`Signature <base64 RSA-SHA256 of the body>`, checked with the "
                    "certificate named by `X-MS-Certificate-Url`.",
                },
            },
        },
    }
