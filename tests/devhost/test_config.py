"""host.json and local.settings.json reading."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from devhost.config import HostConfig, load_local_settings, parse_timespan, resolve_setting_references

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:00:02", timedelta(seconds=2)),
        ("00:01:00", timedelta(minutes=1)),
        ("01:30:05", timedelta(hours=1, minutes=30, seconds=5)),
        ("00:00:00.500", timedelta(milliseconds=500)),
        ("1.02:00:00", timedelta(days=1, hours=2)),
    ],
)
def test_timespans(text: str, expected: timedelta) -> None:
    assert parse_timespan(text) == expected


def test_bad_timespan() -> None:
    with pytest.raises(ValueError):
        parse_timespan("2 seconds")


def test_repository_host_json() -> None:
    document = json.loads((REPO_ROOT / "host.json").read_text())
    assert document["version"] == "2.0"
    assert document["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }
    config = HostConfig.load(REPO_ROOT / "host.json")
    assert config.route_prefix == "api"
    queues = config.queues
    assert queues.max_polling_interval == timedelta(seconds=2)
    assert queues.visibility_timeout == timedelta(minutes=1)
    assert (queues.batch_size, queues.new_batch_threshold, queues.max_dequeue_count) == (16, 8, 5)
    assert queues.message_encoding == "base64"


def test_defaults_without_host_json(tmp_path: Path) -> None:
    config = HostConfig.load(tmp_path / "host.json")
    assert config.route_prefix == "api"
    assert config.queues.max_polling_interval == timedelta(minutes=1)
    assert config.queues.visibility_timeout == timedelta(0)
    assert config.queues.batch_size == 16
    assert config.queues.effective_new_batch_threshold == 8
    assert config.queues.max_dequeue_count == 5


def test_route_prefix_can_be_empty() -> None:
    assert HostConfig.from_dict({"extensions": {"http": {"routePrefix": ""}}}).route_prefix == ""


def test_local_settings_do_not_override_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": False, "Values": {"A": "file", "B": "file", "C": 3}}))
    environ = {"B": "environment"}
    loaded = load_local_settings(path, environ)
    assert environ == {"A": "file", "B": "environment", "C": "3"}
    assert sorted(loaded) == ["A", "C"]


def test_missing_local_settings_change_nothing(tmp_path: Path) -> None:
    environ = {"A": "1"}
    assert load_local_settings(tmp_path / "local.settings.json", environ) == []
    assert environ == {"A": "1"}


def test_setting_references() -> None:
    assert resolve_setting_references("%SCHEDULE%", {"SCHEDULE": "0 5 * * * *"}) == "0 5 * * * *"
    assert resolve_setting_references("leads-%ENV%", {"ENV": "dev"}) == "leads-dev"
    with pytest.raises(KeyError):
        resolve_setting_references("%MISSING%", {})
