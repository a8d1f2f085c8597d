"""End-to-end fixtures: the local host serving function_app.py, on an Azurite of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devhost.process import HostProcess
from tests.conftest import REPO_ROOT, storage_of_its_own


@pytest.fixture(scope="session")
def app_env(outbox_dir: Path) -> Iterator[dict[str, str]]:
    """The host's settings; the in-process services of these tests share its storage and outbox."""
    with storage_of_its_own(outbox_dir) as env:
        yield env


@pytest.fixture(scope="session")
def host(app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """The local functions host, shared by the end-to-end tests; the only host on its Azurite.

    It runs the repository's host.json with one change: a failed message is retried after 5 s
    instead of the minute chosen for Azure, so retry paths finish within a test's patience.
    """
    directory = tmp_path_factory.mktemp("host")
    host_json = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    host_json["extensions"]["queues"]["visibilityTimeout"] = "00:00:05"
    (directory / "host.json").write_text(json.dumps(host_json), encoding="utf-8")
    process = HostProcess(
        cwd=REPO_ROOT,
        env={**app_env, "PYTHONDONTWRITEBYTECODE": "1"},
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
