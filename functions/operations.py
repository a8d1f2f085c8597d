"""Operational endpoints: health and the OpenAPI document."""

from __future__ import annotations

import contextlib

import azure.functions as func
from azure.core.exceptions import ResourceNotFoundError

from shared.adapters.http import api_endpoint, json_response
from shared.adapters.storage_clients import LEADS_TABLE, MARKETPLACE_LEADS_QUEUE
from shared.services.container import services

bp = func.Blueprint()

# One attempt with short timeouts: a probe answers within seconds whatever state storage is in.
STORAGE_PROBE = {"retry_total": 0, "connection_timeout": 2, "read_timeout": 2}


def storage_answers() -> None:
    """Both services the pipeline needs answer: the table the API reads and the intake queue."""
    clients = services().clients
    with contextlib.suppress(ResourceNotFoundError):  # not found is an answer all the same
        clients.table(LEADS_TABLE).get_entity("health", "0", **STORAGE_PROBE)
    clients.queue(MARKETPLACE_LEADS_QUEUE).get_queue_properties(**STORAGE_PROBE)


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_endpoint("health")
def health(req: func.HttpRequest) -> func.HttpResponse:
    try:
        storage_answers()
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
