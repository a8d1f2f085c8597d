"""Fixtures: one in-memory Azurite and one local host serving `sample_app` for the whole session."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devhost.azurite import Azurite
from devhost.process import HostProcess
from tests.devhost.support import CONCURRENCY_MESSAGES, PARALLEL_MESSAGES, SAMPLE_DIR, queue_client

# As the repository's host.json, but quicker to retry, so that failure paths run in seconds.
TEST_HOST_JSON = {
    "version": "2.0",
    "extensions": {
        "http": {"routePrefix": "api"},
        "queues": {
            "maxPollingInterval": "00:00:00.500",
            "visibilityTimeout": "00:00:00",
            "batchSize": 16,
            "newBatchThreshold": 8,
            "maxDequeueCount": 5,
            "messageEncoding": "base64",
        },
    },
}

STATIC_FILES = {
    "index.html": "<!doctype html><title>portal</title>",
    "app.js": "console.log('portal');",
    "styles/site.css": "body { margin: 0 }",
    "docs/index.html": "<p>docs</p>",
}


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite() as running:
        yield running


@pytest.fixture(scope="session")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("app")
    (directory / "host.json").write_text(json.dumps(TEST_HOST_JSON))
    (directory / "results").mkdir()
    static = directory / "static"
    for name, text in STATIC_FILES.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(text)
    (directory / "secret.txt").write_text("outside the static directory")
    (directory / "local.settings.json").write_text(
        json.dumps(
            {
                "IsEncrypted": False,
                "Values": {
                    "SAMPLE_FROM_FILE": "file",
                    "SAMPLE_OVERRIDDEN": "file",
                    "SAMPLE_RARE_SCHEDULE": "0 0 0 1 1 *",
                    "SAMPLE_RESULTS_DIR": str(directory / "results"),
                },
            }
        )
    )
    return directory


@pytest.fixture(scope="session")
def host(azurite: Azurite, app_dir: Path) -> Iterator[HostProcess]:
    # Queued before the host starts, so that its first receive takes all of them at once.
    parallel = queue_client(azurite, "sample-parallel")
    for index in range(PARALLEL_MESSAGES):
        parallel.send_message(f"parallel-{index}")
    concurrency = queue_client(azurite, "sample-concurrency")
    for index in range(CONCURRENCY_MESSAGES):
        concurrency.send_message(f"concurrency-{index}")
    process = HostProcess(
        cwd=app_dir,
        app="sample_app",
        env={
            "AzureWebJobsStorage": azurite.connection_string,
            "PYTHONPATH": str(SAMPLE_DIR),
            "SAMPLE_OVERRIDDEN": "environment",
            "AzureWebJobs.disabled_probe.Disabled": "true",
        },
        extra_args=["--static", "static"],
    )
    with process:
        yield process
    print(f"host log: {process.log_path}")


@pytest.fixture
def client(host: HostProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.base_url, trust_env=False, timeout=30) as http:
        yield http


Record = dict[str, Any]


@pytest.fixture
def records(app_dir: Path, host: HostProcess) -> Callable[..., list[Record]]:
    """`records(kind, count, where=...)`: wait until `count` records of `kind` match, and return them."""

    def wait_for(
        kind: str, count: int = 1, *, where: Callable[[Record], bool] = lambda _: True, timeout: float = 15
    ) -> list[Record]:
        deadline = time.monotonic() + timeout
        while True:
            found = [
                document
                for path in sorted((app_dir / "results").glob(f"{kind}-*.json"))
                if where(document := json.loads(path.read_text()))
            ]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, (
                    f"{len(found)} of {count} {kind!r} records after {timeout}s; host log:\n{host.log_text()}"
                )
                return found
            time.sleep(0.05)

    return wait_for
