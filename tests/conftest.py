"""Shared fixtures: a real Azurite per test session, in-process services, and the local host."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devhost.azurite import Azurite
from devhost.process import HostProcess
from shared.config import DEFAULT_SCHEDULES, load_settings
from shared.services.container import Services
from tests.support.partner_center_stub import PartnerCenterStub

REPO_ROOT = Path(__file__).resolve().parent.parent

# function_app checks its settings on import; tests that import it in-process need storage set.
os.environ.setdefault("AzureWebJobsStorage", "UseDevelopmentStorage=true")


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def outbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outbox")


@pytest.fixture(scope="session")
def app_env(azurite: Azurite, outbox_dir: Path) -> dict[str, str]:
    """The settings the service runs with in tests (the host's environment)."""
    return {
        "AzureWebJobsStorage": azurite.connection_string,
        "OUTBOX_DIR": str(outbox_dir),
        "EMAIL_DELIVERABILITY_CHECK": "off",
        "PORTAL_BASE_URL": "http://127.0.0.1:7071",
        **DEFAULT_SCHEDULES,
    }


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(app_env: dict[str, str], clock: Clock) -> Services:
    """In-process services on the session's Azurite, with a clock the test controls."""
    return Services.build(load_settings(app_env), clock=clock)


@pytest.fixture(scope="session")
def host(app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """The local functions host serving function_app.py, shared by the end-to-end tests.

    It runs the repository's host.json with one change: a failed message is retried after 5 s
    instead of the minute chosen for Azure, so retry paths finish within a test's patience.
    """
    directory = tmp_path_factory.mktemp("host")
    host_json = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    host_json["extensions"]["queues"]["visibilityTimeout"] = "00:00:05"
    (directory / "host.json").write_text(json.dumps(host_json), encoding="utf-8")
    env = {**app_env, "PYTHONDONTWRITEBYTECODE": "1"}
    process = HostProcess(
        cwd=REPO_ROOT,
        env=env,
        log_path=directory / "host.log",
        extra_args=["--host-json", str(directory / "host.json")],
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def api(host: HostProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.base_url, timeout=30, trust_env=False) as client:
        yield client


def wait_for(condition: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until `condition()` is truthy; the value is returned. Fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> None:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def partner_center() -> Iterator[PartnerCenterStub]:
    """A local Partner Center; the test fails if anything exchanged with it left the API definition."""
    with PartnerCenterStub() as stub:
        yield stub
        stub.assert_conforms()
