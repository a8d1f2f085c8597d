"""What the host reads from `host.json` and `local.settings.json`."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<hours>\d+):(?P<minutes>\d+):(?P<seconds>\d+(?:\.\d+)?)$")


def parse_timespan(text: str) -> timedelta:
    """A .NET TimeSpan as host.json writes it: `hh:mm:ss`, optionally `d.hh:mm:ss` and fractions."""
    match = _TIMESPAN.match(text.strip())
    if match is None:
        raise ValueError(f"not a timespan (expected hh:mm:ss): {text!r}")
    return timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"]),
        minutes=int(match["minutes"]),
        seconds=float(match["seconds"]),
    )


class QueueOptions(BaseModel):
    """`extensions.queues` of host.json, with the real host's defaults."""

    model_config = ConfigDict(frozen=True)

    max_polling_interval: timedelta = timedelta(minutes=1)
    visibility_timeout: timedelta = timedelta(0)
    batch_size: int = 16
    new_batch_threshold: int | None = None
    max_dequeue_count: int = 5
    message_encoding: str = "base64"

    @property
    def effective_new_batch_threshold(self) -> int:
        # The real host's default is half the batch size.
        return self.new_batch_threshold if self.new_batch_threshold is not None else self.batch_size // 2


class HostConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    route_prefix: str = "api"
    queues: QueueOptions = QueueOptions()

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> HostConfig:
        extensions = document.get("extensions") or {}
        http = extensions.get("http") or {}
        queues = extensions.get("queues") or {}
        queue_values: dict[str, Any] = {}
        if "maxPollingInterval" in queues:
            queue_values["max_polling_interval"] = _timespan_or_millis(queues["maxPollingInterval"])
        if "visibilityTimeout" in queues:
            queue_values["visibility_timeout"] = _timespan_or_millis(queues["visibilityTimeout"])
        for json_name, field_name in (
            ("batchSize", "batch_size"),
            ("newBatchThreshold", "new_batch_threshold"),
            ("maxDequeueCount", "max_dequeue_count"),
            ("messageEncoding", "message_encoding"),
        ):
            if json_name in queues:
                queue_values[field_name] = queues[json_name]
        route_prefix = http.get("routePrefix", "api")
        return cls(route_prefix=str(route_prefix).strip("/"), queues=QueueOptions(**queue_values))

    @classmethod
    def load(cls, path: Path) -> HostConfig:
        if not path.exists():
            return cls()
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8-sig")))


_SETTING_REFERENCE = re.compile(r"%([^%]+)%")


def resolve_setting_references(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `%NAME%` with the setting NAME, as the host does in schedules and queue names."""
    settings = os.environ if environ is None else environ

    def setting(match: re.Match[str]) -> str:
        name = match[1]
        if name not in settings:
            raise KeyError(f"{text!r} refers to setting {name!r}, which is not set")
        return settings[name]

    return _SETTING_REFERENCE.sub(setting, text)


def _timespan_or_millis(value: str | int) -> timedelta:
    # Older host.json files give milliseconds as a number.
    if isinstance(value, int | float):
        return timedelta(milliseconds=value)
    return parse_timespan(value)


def load_local_settings(path: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Copy `Values` of local.settings.json into the environment without overriding what is set.

    Returns the names that were set from the file.
    """
    target = os.environ if environ is None else environ
    if not path.exists():
        return []
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    loaded: list[str] = []
    for name, value in (document.get("Values") or {}).items():
        if name not in target and value is not None:
            target[name] = str(value)
            loaded.append(name)
    return loaded
