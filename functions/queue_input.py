"""The queue triggers' one step: hand a message's plain values to the pipeline's stage runner.

The `azure.functions` message type stops here, so the use cases never see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func

from shared.services.container import Services, services
from shared.services.queue_stage import run_stage


def run_queue_stage(queue: str, msg: func.QueueMessage, stage: Callable[[Services, bytes], Any]) -> None:
    run_stage(
        services(),
        queue,
        msg.get_body(),
        stage,
        message_id=msg.id,
        dequeue_count=msg.dequeue_count,
    )
