"""Operational endpoints: health and the OpenAPI document."""

from __future__ import annotations

import azure.functions as func

from shared.adapters.http import api_endpoint, json_response
from shared.services.container import services

bp = func.Blueprint()


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("health")
def health(req: func.HttpRequest) -> func.HttpResponse:
    try:
        services().check_storage()
    except Exception:
        return json_response(503, {"status": "unavailable"})
    return json_response(200, {"status": "ok"})


@bp.function_name("openapi")
@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("openapi")
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    # Imported here: building the document's models is work a cold start need not do.
    from shared.adapters.openapi import openapi_document

    return json_response(200, openapi_document())
