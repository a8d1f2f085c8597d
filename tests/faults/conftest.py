"""Fault tests: a host of their own, its storage reached through a fault-injecting proxy.

These tests have an Azurite of their own: a second host polling the session's queues would
take their messages, and they read the whole `lead-events` queue. Azurite itself is never
stopped; faults are injected on the link between the host and it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devhost.azurite import Azurite, connection_string
from devhost.process import HostProcess
from devhost.queues import RECEIVE_VISIBILITY_SETTING
from shared.config import load_settings
from shared.services.container import Services
from tests.conftest import REPO_ROOT, Clock
from tests.faults.proxy import FaultProxy, Mode

# Failed messages come back after 1 s instead of host.json's value, so a test sees retries quickly.
TEST_VISIBILITY_TIMEOUT = "00:00:01"
# Messages whose run a kill or an outage cut short come back after 15 s instead of the local
# host's 60 (the Functions host's is 10 minutes): long enough for any run in these tests.
TEST_RECEIVE_VISIBILITY = {RECEIVE_VISIBILITY_SETTING: "15"}


@pytest.fixture(scope="module")
def fault_azurite() -> Iterator[Azurite]:
    with Azurite() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def fault_outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fault-outbox")


@pytest.fixture(scope="module")
def fault_env(app_env: dict[str, str], fault_azurite: Azurite, fault_outbox: Path) -> dict[str, str]:
    """The tests' settings, on this Azurite and outbox."""
    return {
        **app_env,
        "AzureWebJobsStorage": fault_azurite.connection_string,
        "OUTBOX_DIR": str(fault_outbox),
        # Every lead gets its own email: the daily digest is not what these tests are about.
        "INDIVIDUAL_EMAILS_PER_DAY": "100000",
    }


@pytest.fixture
def direct(fault_env: dict[str, str]) -> Services:
    """In-process services on the fault tests' Azurite, not through the proxy: the test's own view."""
    return Services.build(load_settings(fault_env), clock=Clock())


@pytest.fixture(scope="module")
def test_host_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    config["extensions"]["queues"].update(
        visibilityTimeout=TEST_VISIBILITY_TIMEOUT, maxPollingInterval="00:00:01"
    )
    path = tmp_path_factory.mktemp("host-json") / "host.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


class Link:
    """The host's way to storage: one proxy for the queue service and one for the table service."""

    def __init__(self, azurite: Azurite) -> None:
        self.queue = FaultProxy(azurite.queue_port).start()
        self.table = FaultProxy(azurite.table_port).start()
        self.connection_string = connection_string(azurite.blob_port, self.queue.port, self.table.port)

    def set_mode(self, mode: Mode) -> None:
        self.queue.set_mode(mode)
        self.table.set_mode(mode)

    def set_latency(self, seconds: float) -> None:
        self.queue.latency = self.table.latency = seconds

    def stop(self) -> None:
        self.queue.stop()
        self.table.stop()


@pytest.fixture
def link(fault_azurite: Azurite) -> Iterator[Link]:
    proxies = Link(fault_azurite)
    yield proxies
    proxies.stop()


def start_host(
    env: dict[str, str], host_json: Path, log_path: Path, *, storage: str | None = None, **settings: str
) -> HostProcess:
    """A host of the test's own (not the session's shared one), optionally with storage through `storage`."""
    environment = {**env, **TEST_RECEIVE_VISIBILITY, **settings, "PYTHONDONTWRITEBYTECODE": "1"}
    if storage is not None:
        environment["AzureWebJobsStorage"] = storage
    process = HostProcess(
        cwd=REPO_ROOT, env=environment, log_path=log_path, extra_args=["--host-json", str(host_json)]
    )
    return process.start()


def client(host: HostProcess) -> httpx.Client:
    return httpx.Client(base_url=host.base_url, timeout=30, trust_env=False)
