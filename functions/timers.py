"""Timer triggers (contract §7). Schedules are app settings, defaults in local.settings.sample.json."""

from __future__ import annotations

import azure.functions as func

from shared.services import notifications, sweeps
from shared.services.container import services

bp = func.Blueprint()


@bp.function_name("expire_leads")
@bp.timer_trigger(arg_name="timer", schedule="%EXPIRE_LEADS_SCHEDULE%", run_on_startup=False)
def expire_leads(timer: func.TimerRequest) -> None:
    sweeps.expire_leads(services())
    sweeps.remove_expired_outbox_mail(services(), services().sender)


@bp.function_name("flag_overdue_contact_requests")
@bp.timer_trigger(arg_name="timer", schedule="%FLAG_OVERDUE_SCHEDULE%", run_on_startup=False)
def flag_overdue_contact_requests(timer: func.TimerRequest) -> None:
    sweeps.flag_overdue_contact_requests(services(), remind=notifications.remind_contact_overdue)


@bp.function_name("dispatch_lead_events")
@bp.timer_trigger(arg_name="timer", schedule="%DISPATCH_EVENTS_SCHEDULE%", run_on_startup=False)
def dispatch_lead_events(timer: func.TimerRequest) -> None:
    sweeps.dispatch_pending_events(services())
