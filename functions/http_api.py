"""The HTTP API (contract §5): each function parses, calls one service, shapes the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeVar

import azure.functions as func
from pydantic import BaseModel

from shared.adapters.http import http_route, json_response, parse_body
from shared.domain import action_center, lifecycle
from shared.domain.commands import (
    AcceptBody,
    CloseBody,
    DealUpdateBody,
    DeclineBody,
    OwnerBody,
    TeamMemberBody,
)
from shared.domain.errors import bad_request
from shared.domain.insights import parse_insights_request
from shared.domain.lead import Lead, Owner
from shared.domain.lead_query import LeadQuery, encode_continuation, parse_lead_query, parse_list_request
from shared.domain.principal import Principal
from shared.domain.recipients import NotificationSettingsBody
from shared.domain.routing import RoutingSettingsBody
from shared.services import export, insights, leads, routing
from shared.services import notification_settings as settings_service
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


def _change(
    req: func.HttpRequest, principal: Principal, model: type[BodyModel], apply: Apply[BodyModel]
) -> func.HttpResponse:
    """A lifecycle action: who asks, what they send, then the rules decide on the stored lead."""
    body = parse_body(req, model)
    view = leads.change_lead(
        services(),
        principal,
        req.route_params["id"],
        lambda lead, now: apply(lead, body, actor=principal.user_id, now=now),
        if_match=req.headers.get("if-match"),
    )
    return _lead_response(view)


@http_route(bp, "GET", "leads")
def list_leads(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    request, errors = parse_list_request(req.params)
    if errors:
        raise bad_request(errors)
    routing.note_caller(services(), principal)
    page = leads.list_leads(services(), principal, request)
    token = encode_continuation(page.resume) if page.resume is not None else None
    return json_response(200, {"value": page.leads, "continuationToken": token})


@http_route(bp, "GET", "leads/export")
def export_leads(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    document = export.export_csv(services(), principal, _filtered_query(req))
    return func.HttpResponse(
        document.body,
        status_code=200,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
        mimetype="text/csv",
        charset="utf-8",
    )


@http_route(bp, "GET", "leads/count")
def count_leads(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    counted = leads.count_leads(services(), principal, _filtered_query(req))
    return json_response(200, {"count": counted.count, "exact": counted.exact})


@http_route(bp, "GET", "leads/{id}")
def get_lead(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return _lead_response(leads.get_lead(services(), principal, req.route_params["id"]))


@http_route(bp, ("PUT", "DELETE"), "leads/{id}/favorite")
def favorite_lead(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    leads.set_favorite(services(), principal, req.route_params["id"], favorite=req.method.upper() == "PUT")
    return func.HttpResponse(status_code=204)


@http_route(bp, "POST", "leads/{id}/accept")
def accept_lead(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return _change(req, principal, AcceptBody, lifecycle.accept)


@http_route(bp, "POST", "leads/{id}/decline")
def decline_lead(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return _change(req, principal, DeclineBody, lifecycle.decline)


@http_route(bp, "PATCH", "leads/{id}/deal")
def update_deal(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return _change(req, principal, DealUpdateBody, lifecycle.update_deal)


@http_route(bp, "POST", "leads/{id}/team")
def add_team_member(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return _change(req, principal, TeamMemberBody, lifecycle.add_team_member)


@http_route(bp, "POST", "leads/{id}/close")
def close_lead(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return _change(req, principal, CloseBody, lifecycle.close)


@http_route(bp, "GET", "leads/{id}/history")
def lead_history(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return json_response(200, {"value": leads.history(services(), principal, req.route_params["id"])})


@http_route(bp, "PUT", "leads/{id}/owner")
def assign_owner(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    body = parse_body(req, OwnerBody)
    owner = None if body.user_id is None else Owner(user_id=body.user_id, name=body.name)
    view = leads.assign_owner(
        services(), principal, req.route_params["id"], owner, if_match=req.headers.get("if-match")
    )
    return _lead_response(view)


@http_route(bp, "GET", "leads/{id}/related")
def related_leads(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    return json_response(200, {"value": leads.related_leads(services(), principal, req.route_params["id"])})


@http_route(bp, ("GET", "PUT"), "settings/routing")
def routing_settings(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    if req.method.upper() == "PUT":
        principal.require_admin()
        body = parse_body(req, RoutingSettingsBody)
        return json_response(200, routing.replace(services(), principal.partner_id, body))
    return json_response(200, routing.get(services(), principal.partner_id))


@http_route(bp, "GET", "users")
def list_users(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    routing.note_caller(services(), principal)
    return json_response(200, {"value": routing.people(services(), principal.partner_id)})


@http_route(bp, "GET", "actions")
def recommended_actions(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    top, after, errors = action_center.parse_actions_request(req.params)
    if errors:
        raise bad_request(errors)
    page = leads.recommended_actions(services(), principal, top=top, after=after)
    return json_response(200, page.to_resource())


@http_route(bp, "GET", "insights")
def lead_insights(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    request, errors = parse_insights_request(req.params)
    if request is None:
        raise bad_request(errors)
    return json_response(200, insights.insights_report(services(), principal, request))


@http_route(bp, ("GET", "PUT"), "settings/notifications")
def notification_settings(req: func.HttpRequest, principal: Principal) -> func.HttpResponse:
    if req.method.upper() == "PUT":
        principal.require_admin()
        body = parse_body(req, NotificationSettingsBody)
        return json_response(200, settings_service.replace(services(), principal.partner_id, body))
    return json_response(200, settings_service.get(services(), principal.partner_id))
