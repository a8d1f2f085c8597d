"""Lead intake triggers (contract §3): the two queues and the marketplace's HTTP endpoint."""

from __future__ import annotations

import logging
from functools import partial

import azure.functions as func

from functions.queue_input import run_queue_stage
from shared.adapters.http import http_route, json_response, read_json_object
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE, REFERRALS_QUEUE
from shared.services import intake
from shared.services.container import services

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.function_name("ingest_marketplace_lead")
@bp.queue_trigger(arg_name="msg", queue_name=MARKETPLACE_LEADS_QUEUE, connection="AzureWebJobsStorage")
def ingest_marketplace_lead(msg: func.QueueMessage) -> None:
    run_queue_stage(MARKETPLACE_LEADS_QUEUE, msg, partial(intake.ingest, mapper=intake.MARKETPLACE))


@bp.function_name("ingest_referral")
@bp.queue_trigger(arg_name="msg", queue_name=REFERRALS_QUEUE, connection="AzureWebJobsStorage")
def ingest_referral(msg: func.QueueMessage) -> None:
    run_queue_stage(REFERRALS_QUEUE, msg, partial(intake.ingest, mapper=intake.REFERRAL))


@http_route(bp, "POST", "marketplace/leads", principal=False, auth_level=func.AuthLevel.FUNCTION)
def post_marketplace_lead(req: func.HttpRequest) -> func.HttpResponse:
    body = read_json_object(req)
    intake.queue_marketplace_lead(services(), body)
    return json_response(202, {"status": "accepted"})
