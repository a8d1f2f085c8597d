"""The write-back of Partner Center leads to their referrals (contract §10), off the user's request."""

from __future__ import annotations

import azure.functions as func

from functions.queue_input import run_queue_stage
from shared.domain.queues import PARTNER_CENTER_WRITEBACK_QUEUE
from shared.services import partner_center_writeback

bp = func.Blueprint()


@bp.function_name("write_back_partner_center")
@bp.queue_trigger(arg_name="msg", queue_name=PARTNER_CENTER_WRITEBACK_QUEUE, connection="AzureWebJobsStorage")
def write_back_partner_center(msg: func.QueueMessage) -> None:
    run_queue_stage(PARTNER_CENTER_WRITEBACK_QUEUE, msg, partner_center_writeback.write_back)
