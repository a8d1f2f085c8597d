"""Partner Center Referrals (contract §10): the pull's timer, the webhook and its fetch queue."""

from __future__ import annotations

import azure.functions as func

from functions.queue_input import run_queue_stage
from shared.adapters.http import MAX_BODY_BYTES, http_route, json_response
from shared.domain.errors import ServiceError
from shared.domain.queues import PARTNER_CENTER_FETCH_QUEUE
from shared.services import partner_center_sync, partner_center_webhook
from shared.services.container import services

bp = func.Blueprint()


@bp.function_name("sync_partner_center")
@bp.timer_trigger(arg_name="timer", schedule="%PARTNER_CENTER_SYNC_SCHEDULE%", run_on_startup=False)
def sync_partner_center(timer: func.TimerRequest) -> None:
    partner_center_sync.pull(services())


# Anonymous at the Functions level: Partner Center cannot send a function key; every event is
# verified by its signature instead.
@http_route(bp, "POST", "partner-center/events", principal=False)
def receive_partner_center_event(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    if len(body) > MAX_BODY_BYTES:
        raise ServiceError(413, "PayloadTooLarge", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    partner_center_webhook.receive_event(services(), body, dict(req.headers))
    return json_response(202, {"status": "accepted"})


@bp.function_name("fetch_partner_center_referral")
@bp.queue_trigger(arg_name="msg", queue_name=PARTNER_CENTER_FETCH_QUEUE, connection="AzureWebJobsStorage")
def fetch_partner_center_referral(msg: func.QueueMessage) -> None:
    run_queue_stage(PARTNER_CENTER_FETCH_QUEUE, msg, partner_center_sync.fetch_referral)
