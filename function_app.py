"""The referral leads service: Azure Functions app (Python v2 programming model)."""

import azure.functions as func

from functions import (
    http_api,
    intake,
    notifications,
    operations,
    partner_center,
    partner_center_writeback,
    pipeline,
    portal,
    timers,
)
from shared.config import settings

# Fail at start-up, with one log line naming the setting, rather than on the first request.
settings()

app = func.FunctionApp()
for blueprint in (
    operations.bp,
    intake.bp,
    http_api.bp,
    pipeline.bp,
    notifications.bp,
    timers.bp,
    partner_center.bp,
    partner_center_writeback.bp,
    portal.bp,
):
    app.register_functions(blueprint)
