"""A function app exercising every trigger the local host serves. Records go to SAMPLE_RESULTS_DIR."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import azure.functions as func

# Read at import time: the host must load local.settings.json before importing the app.
SETTING_AT_IMPORT = os.environ.get("SAMPLE_FROM_FILE")
PORTAL_BASE_URL_AT_IMPORT = os.environ.get("PORTAL_BASE_URL")

PARALLEL_MESSAGES = 16
# The test host.json's batchSize + newBatchThreshold: what one queue function may run at once.
CONCURRENCY_LIMIT = 16 + 8

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
bp = func.Blueprint()

_parallel_barrier = threading.Barrier(PARALLEL_MESSAGES, timeout=15)
_concurrency_lock = threading.Lock()
_concurrency = {"started": 0, "running": 0, "peak": 0}
_concurrency_full = threading.Event()


def record(kind: str, **values: Any) -> None:
    directory = Path(os.environ["SAMPLE_RESULTS_DIR"])
    document = {"kind": kind, "at": time.time(), **values}
    # Written under a temporary name and renamed, so a reader never sees half a file.
    temporary = directory / f".{uuid.uuid4()}.tmp"
    temporary.write_text(json.dumps(document))
    temporary.rename(directory / f"{kind}-{uuid.uuid4()}.json")


def json_response(value: Any, status_code: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status_code, mimetype="application/json")


# HTTP


@app.route(route="leads/export", methods=["GET"])
def export_leads(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "export_leads"})


@app.route(route="leads/{id}", methods=["GET", "PATCH"])
def get_lead(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "get_lead", "route_params": dict(req.route_params)})


@app.route(route="items/{id:int}", methods=["GET"])
def item_by_number(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "item_by_number", "route_params": dict(req.route_params)})


@app.route(route="items/{slug}", methods=["GET"])
def item_by_slug(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "item_by_slug", "route_params": dict(req.route_params)})


@app.route(route="things/{id:guid}", methods=["GET"])
def thing(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "thing", "route_params": dict(req.route_params)})


@app.route(route="greet/{name:alpha?}", methods=["GET"])
def greet(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "greet", "route_params": dict(req.route_params)})


@app.route(route="files/{*path}", methods=["GET"])
def files(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "files", "route_params": dict(req.route_params)})


@app.route(route="only-post", methods=["POST"])
def only_post(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "only_post"})


@app.route(route="echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    return json_response(
        {
            "method": req.method,
            "url": req.url,
            "headers": dict(req.headers),
            "params": dict(req.params),
            "body_length": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
    )


@app.route(route="echo/raw", methods=["POST"])
def echo_raw(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        req.get_body(),
        status_code=201,
        mimetype="application/octet-stream",
        headers={"X-Body-Length": str(len(req.get_body()))},
    )


@app.route(route="any-method")
def any_method(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"method": req.method}), mimetype="application/json")


@app.route(route="fail", methods=["POST"])
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("sample failure")


@app.route(route="settings", methods=["GET"])
def settings(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(
        {
            "at_import": SETTING_AT_IMPORT,
            "portal_base_url_at_import": PORTAL_BASE_URL_AT_IMPORT,
            "from_file": os.environ.get("SAMPLE_FROM_FILE"),
            "overridden": os.environ.get("SAMPLE_OVERRIDDEN"),
        }
    )


@app.route(route="async", methods=["GET"])
async def async_hello(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    logging.getLogger("sample").info("async function ran")
    return func.HttpResponse("async ok", headers={"X-Async": "yes"})


@bp.function_name("from_blueprint")
@bp.route(methods=["GET"])
def blueprint_function(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "from_blueprint"})


# Queues


@app.queue_trigger(arg_name="msg", queue_name="sample-records", connection="AzureWebJobsStorage")
def record_message(msg: func.QueueMessage) -> None:
    record("record_message", body=msg.get_body().decode(), dequeue_count=msg.dequeue_count, id=msg.id)


@app.queue_trigger(arg_name="msg", queue_name="sample-flaky", connection="AzureWebJobsStorage")
def flaky(msg: func.QueueMessage) -> None:
    record("flaky_attempt", body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)
    if msg.dequeue_count < 3:
        raise RuntimeError(f"failing delivery {msg.dequeue_count}")
    record("flaky_done", body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)


@app.queue_trigger(arg_name="msg", queue_name="sample-doomed", connection="AzureWebJobsStorage")
def doomed(msg: func.QueueMessage) -> None:
    record("doomed_attempt", body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)
    raise RuntimeError("always fails")


@app.queue_trigger(arg_name="msg", queue_name="sample-parallel", connection="AzureWebJobsStorage")
def parallel(msg: func.QueueMessage) -> None:
    # The barrier opens only when every message is running at the same time.
    try:
        _parallel_barrier.wait()
        passed = True
    except threading.BrokenBarrierError:
        passed = False
    record("parallel", body=msg.get_body().decode(), passed=passed)


@app.queue_trigger(arg_name="msg", queue_name="sample-concurrency", connection="AzureWebJobsStorage")
def concurrency(msg: func.QueueMessage) -> None:
    """Records how many messages run at once.

    Of the first batch of 16, the 9th to 16th to start finish at once and the others hold on: with 8
    left in flight the host fetches a new batch of 16, so 24 run at once. Holders let go once 24
    run (or after a while, so that a host that never gets there still ends the test).
    """
    with _concurrency_lock:
        _concurrency["started"] += 1
        position = _concurrency["started"]
        _concurrency["running"] += 1
        _concurrency["peak"] = max(_concurrency["peak"], _concurrency["running"])
        if _concurrency["running"] >= CONCURRENCY_LIMIT:
            _concurrency_full.set()
    try:
        if not 8 < position <= 16:
            _concurrency_full.wait(timeout=8)
    finally:
        with _concurrency_lock:
            _concurrency["running"] -= 1
            peak = _concurrency["peak"]
    record("concurrency", body=msg.get_body().decode(), peak=peak)


# Timers


@app.timer_trigger(arg_name="timer", schedule="*/1 * * * * *")
def every_second(timer: func.TimerRequest) -> None:
    record("every_second", past_due=timer.past_due, input=getattr(timer, "input", "missing"))


@app.timer_trigger(arg_name="timer", schedule="%SAMPLE_RARE_SCHEDULE%", run_on_startup=True)
def rare(timer: func.TimerRequest) -> None:
    record("rare", past_due=timer.past_due, input=getattr(timer, "input", "missing"))


app.register_functions(bp)


# Turned off by the test session's `AzureWebJobs.disabled_probe.Disabled` setting.
@app.route(route="disabled-probe", methods=["GET"])
def disabled_probe(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"function": "disabled_probe"})
