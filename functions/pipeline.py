"""Pipeline stages after intake: contact validation (notifications have their own module)."""

from __future__ import annotations

import azure.functions as func

from functions.queue_input import run_queue_stage
from shared.domain.queues import CONTACT_VALIDATION_QUEUE
from shared.services import validation

bp = func.Blueprint()


@bp.function_name("validate_contact")
@bp.queue_trigger(arg_name="msg", queue_name=CONTACT_VALIDATION_QUEUE, connection="AzureWebJobsStorage")
def validate_contact(msg: func.QueueMessage) -> None:
    run_queue_stage(CONTACT_VALIDATION_QUEUE, msg, validation.validate_lead)
