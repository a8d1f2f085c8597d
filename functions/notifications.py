"""Notification triggers: the per-lead email stage and the daily digest."""

from __future__ import annotations

import azure.functions as func

from functions.queue_input import run_queue_stage
from shared.domain.queues import LEAD_NOTIFICATIONS_QUEUE
from shared.services import notifications
from shared.services.container import services

bp = func.Blueprint()


@bp.function_name("notify_lead")
@bp.queue_trigger(arg_name="msg", queue_name=LEAD_NOTIFICATIONS_QUEUE, connection="AzureWebJobsStorage")
def notify_lead(msg: func.QueueMessage) -> None:
    run_queue_stage(LEAD_NOTIFICATIONS_QUEUE, msg, notifications.notify_lead)


@bp.function_name("send_daily_digest")
@bp.timer_trigger(arg_name="timer", schedule="%DAILY_DIGEST_SCHEDULE%", run_on_startup=False)
def send_daily_digest(timer: func.TimerRequest) -> None:
    # The local host passes admin input `{"date": "YYYY-MM-DD"}` as `timer.input`; Azure does not.
    day = notifications.parse_digest_input(getattr(timer, "input", None))
    notifications.send_daily_digest(services(), day=day)
