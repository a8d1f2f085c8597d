"""Operations: health, the OpenAPI document, and the backfill an operator starts after an upgrade."""

from __future__ import annotations

import azure.functions as func

from functions.queue_input import run_queue_stage
from shared.adapters.http import http_route, json_response
from shared.domain.queues import LEAD_BACKFILL_QUEUE
from shared.services import derived_backfill
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


@bp.function_name("backfill_derived_rows")
@bp.queue_trigger(arg_name="msg", queue_name=LEAD_BACKFILL_QUEUE, connection="AzureWebJobsStorage")
def backfill_derived_rows(msg: func.QueueMessage) -> None:
    run_queue_stage(LEAD_BACKFILL_QUEUE, msg, derived_backfill.run)
