"""Pipeline stages after intake: contact validation (notifications have their own module)."""

from __future__ import annotations

import azure.functions as func

from shared.adapters.storage_clients import CONTACT_VALIDATION_QUEUE
from shared.services import validation
from shared.services.container import services
from shared.services.queue_stage import run_stage

bp = func.Blueprint()


@bp.function_name("validate_contact")
@bp.queue_trigger(arg_name="msg", queue_name=CONTACT_VALIDATION_QUEUE, connection="AzureWebJobsStorage")
def validate_contact(msg: func.QueueMessage) -> None:
    run_stage(CONTACT_VALIDATION_QUEUE, msg, lambda body: validation.validate_lead(services(), body))
