"""The HTTP API (contract §5): each function parses, calls one service, shapes the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeVar

import azure.functions as func
from pydantic import BaseModel

from shared.adapters.http import api_endpoint, json_response, parse_body
from shared.adapters.principal import principal_from_headers
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.errors import bad_request
from shared.domain.lead import Lead
from shared.domain.lead_query import (
    LeadQuery,
    decode_continuation,
    encode_continuation,
    parse_lead_query,
    parse_top,
)
from shared.domain.recipients import NotificationSettingsBody
from shared.services import export, leads, notification_settings
from shared.services.container import services

bp = func.Blueprint()

BodyModel = TypeVar("BodyModel", bound=BaseModel, contravariant=True)


class Apply(Protocol[BodyModel]):
    def __call__(self, lead: Lead, body: BodyModel, *, actor: str, now: datetime) -> lifecycle.Change: ...


def _lead_response(view: leads.LeadView) -> func.HttpResponse:
    return json_response(200, view.body, {"ETag": view.etag})


def _filtered_query(req: func.HttpRequest) -> LeadQuery:
    """The list's tab and filters, as the list, the export and the count read them."""
    query, errors = parse_lead_query(req.params)
    if errors:
        raise bad_request(errors)
    return query


def _change(req: func.HttpRequest, model: type[BodyModel], apply: Apply[BodyModel]) -> func.HttpResponse:
    """A lifecycle action: who asks, what they send, then the rules decide on the stored lead."""
    principal = principal_from_headers(req.headers)
    body = parse_body(req, model)
    view = leads.change_lead(
        services(),
        principal,
        req.route_params["id"],
        lambda lead, now: apply(lead, body, actor=principal.user_id, now=now),
        if_match=req.headers.get("if-match"),
    )
    return _lead_response(view)


@bp.function_name("list_leads")
@bp.route(route="leads", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("list_leads")
def list_leads(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    query, errors = parse_lead_query(req.params)
    top, top_errors = parse_top(req.params.get("top"))
    after, token_errors = decode_continuation(req.params.get("continuationToken"))
    if errors or top_errors or token_errors:
        raise bad_request([*errors, *top_errors, *token_errors])
    page = leads.list_leads(services(), principal, query, top=top, after=after)
    token = encode_continuation(page.last_id) if page.more and page.last_id else None
    return json_response(200, {"value": page.leads, "continuationToken": token})


@bp.function_name("export_leads")
@bp.route(route="leads/export", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("export_leads")
def export_leads(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    document = export.export_csv(services(), principal, _filtered_query(req))
    return func.HttpResponse(
        document.body,
        status_code=200,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
        mimetype="text/csv",
        charset="utf-8",
    )


@bp.function_name("count_leads")
@bp.route(route="leads/count", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("count_leads")
def count_leads(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    return json_response(200, {"count": leads.count_leads(services(), principal, _filtered_query(req))})


@bp.function_name("get_lead")
@bp.route(route="leads/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("get_lead")
def get_lead(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    return _lead_response(leads.get_lead(services(), principal, req.route_params["id"]))


@bp.function_name("favorite_lead")
@bp.route(route="leads/{id}/favorite", methods=["PUT", "DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("favorite_lead")
def favorite_lead(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    leads.set_favorite(services(), principal, req.route_params["id"], favorite=req.method.upper() == "PUT")
    return func.HttpResponse(status_code=204)


@bp.function_name("accept_lead")
@bp.route(route="leads/{id}/accept", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("accept_lead")
def accept_lead(req: func.HttpRequest) -> func.HttpResponse:
    return _change(req, AcceptBody, lifecycle.accept)


@bp.function_name("decline_lead")
@bp.route(route="leads/{id}/decline", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("decline_lead")
def decline_lead(req: func.HttpRequest) -> func.HttpResponse:
    return _change(req, DeclineBody, lifecycle.decline)


@bp.function_name("update_deal")
@bp.route(route="leads/{id}/deal", methods=["PATCH"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("update_deal")
def update_deal(req: func.HttpRequest) -> func.HttpResponse:
    return _change(req, DealUpdateBody, lifecycle.update_deal)


@bp.function_name("add_team_member")
@bp.route(route="leads/{id}/team", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("add_team_member")
def add_team_member(req: func.HttpRequest) -> func.HttpResponse:
    return _change(req, TeamMemberBody, lifecycle.add_team_member)


@bp.function_name("close_lead")
@bp.route(route="leads/{id}/close", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("close_lead")
def close_lead(req: func.HttpRequest) -> func.HttpResponse:
    return _change(req, CloseBody, lifecycle.close)


@bp.function_name("lead_history")
@bp.route(route="leads/{id}/history", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("lead_history")
def lead_history(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    return json_response(200, {"value": leads.history(services(), principal, req.route_params["id"])})


@bp.function_name("recommended_actions")
@bp.route(route="actions", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("recommended_actions")
def recommended_actions(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    return json_response(200, {"value": leads.recommended_actions(services(), principal)})


@bp.function_name("notification_settings")
@bp.route(route="settings/notifications", methods=["GET", "PUT"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("notification_settings")
def notification_settings_endpoint(req: func.HttpRequest) -> func.HttpResponse:
    principal = principal_from_headers(req.headers)
    if req.method.upper() == "PUT":
        principal.require_admin()
        body = parse_body(req, NotificationSettingsBody)
        return json_response(200, notification_settings.replace(services(), principal.partner_id, body))
    return json_response(200, notification_settings.get(services(), principal.partner_id))
