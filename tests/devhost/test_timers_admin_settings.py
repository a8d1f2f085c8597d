"""Timers, the admin endpoint and settings, through the running host."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

Records = Callable[..., list[dict[str, Any]]]


def test_every_second_timer_fires(records: Records) -> None:
    fired = records("every_second", 2, where=lambda r: r["input"] is None)
    assert all(record["past_due"] is False for record in fired)
    assert len({round(record["at"]) for record in fired}) >= 2


def test_run_on_startup_with_schedule_from_a_setting(records: Records) -> None:
    [startup] = records("rare", where=lambda r: r["input"] is None)
    assert startup["past_due"] is False


def test_admin_runs_a_queue_function_with_the_input_as_body(client: httpx.Client, records: Records) -> None:
    text = f"admin {uuid.uuid4()}"
    response = client.post("/admin/functions/record_message", json={"input": text})
    assert response.status_code == 202
    [record] = records("record_message", where=lambda r: r["body"] == text)
    assert record["dequeue_count"] == 1


def test_admin_runs_a_timer_function_with_input_on_the_timer(client: httpx.Client, records: Records) -> None:
    text = '{"date": "2024-05-01"}'
    response = client.post("/admin/functions/rare", json={"input": text})
    assert response.status_code == 202
    [record] = records("rare", where=lambda r: r["input"] == text)
    assert record["past_due"] is False


def test_admin_unknown_function_is_404(client: httpx.Client) -> None:
    assert client.post("/admin/functions/no_such_function", json={"input": ""}).status_code == 404


def test_admin_refuses_http_functions(client: httpx.Client) -> None:
    assert client.post("/admin/functions/echo", json={"input": ""}).status_code == 400


def test_local_settings_fill_in_and_the_environment_wins(client: httpx.Client) -> None:
    seen = client.get("/api/settings").json()
    assert {name: seen[name] for name in ("at_import", "from_file", "overridden")} == {
        "at_import": "file",
        "from_file": "file",
        "overridden": "environment",
    }
