"""Operational endpoints: health and the OpenAPI document."""

from __future__ import annotations

import azure.functions as func

from shared.adapters.http import http_route, json_response
from shared.services.container import services

bp = func.Blueprint()


@http_route(bp, "GET", "health", principal=False)
def health(req: func.HttpRequest) -> func.HttpResponse:
    try:
        services().check_storage()
    except Exception:
        return json_response(503, {"status": "unavailable"})
    return json_response(200, {"status": "ok"})


@http_route(bp, "GET", "openapi.json", principal=False)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    # Imported here: building the document's models is work a cold start need not do.
    from shared.adapters.openapi import openapi_document

    return json_response(200, openapi_document())
