"""Shared fixtures: a real Azurite per test session and in-process services on it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devhost.azurite import Azurite
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


def service_env(azurite: Azurite, outbox: Path) -> dict[str, str]:
    """The settings the service runs with in tests, on `azurite`, writing emails to `outbox`."""
    return {
        "AzureWebJobsStorage": azurite.connection_string,
        "OUTBOX_DIR": str(outbox),
        "EMAIL_DELIVERABILITY_CHECK": "off",
        "PORTAL_BASE_URL": "http://127.0.0.1:7071",
        **DEFAULT_SCHEDULES,
    }


@contextmanager
def storage_of_its_own(outbox: Path) -> Iterator[dict[str, str]]:
    """The service's settings on an Azurite started for the caller and stopped after it."""
    with Azurite() as azurite:
        yield service_env(azurite, outbox)


@pytest.fixture(scope="session")
def app_env(azurite: Azurite, outbox_dir: Path) -> dict[str, str]:
    """The settings of the in-process services.

    No host runs on this Azurite: a host consumes every queue of the storage it runs on, and would
    validate, notify or expire what an in-process test stored and is about to count. The end-to-end
    tests and the portal's tests override this with an Azurite of their own that their host shares.
    """
    return service_env(azurite, outbox_dir)


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


# The longest test files, longest first. `make test` runs files in two processes, each file whole in
# one (--dist loadfile), handing the next file to whichever process is free: starting the longest
# ones first lets both finish at about the same time instead of one waiting on a late long file.
LONGEST_FILES_FIRST = (
    "tests/e2e/test_openapi_conformance.py",
    "tests/faults/test_storage_outage.py",
    "tests/faults/test_host_crash.py",
    "tests/portal/test_portal_lead.py",
    "tests/faults/test_storage_latency.py",
    "tests/integration/test_lead_counters.py",
    "tests/integration/test_list_search_sort.py",
    "tests/portal/test_portal_dutch_a11y.py",
    "tests/portal/test_portal_list.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: position for position, path in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
