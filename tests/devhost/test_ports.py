"""Ports: a busy one stops the start in one clear line; links in emails follow the host's port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devhost.__main__ import portal_base_url_default
from devhost.process import REPO_ROOT, HostProcess
from tests.devhost.support import SAMPLE_DIR


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _devhost(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "devhost", "--app", "sample_app", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_busy_host_port_is_one_clear_line_and_a_failing_exit(tmp_path: Path, busy_port: int) -> None:
    finished = _devhost(tmp_path, "--port", str(busy_port))

    assert finished.returncode == 1
    output = (finished.stdout + finished.stderr).strip()
    assert "Traceback" not in output
    assert output.count("\n") == 0, output
    assert f"port {busy_port} on 127.0.0.1 is already in use" in output
    assert "PORT=" in output


def test_a_busy_azurite_port_names_the_setting_to_change(tmp_path: Path, busy_port: int) -> None:
    finished = _devhost(tmp_path, "--port", "0", "--azurite", "--azurite-ports", f"0,{busy_port},0")

    assert finished.returncode == 1
    output = (finished.stdout + finished.stderr).strip()
    assert output.count("\n") == 0, output
    assert f"Azurite's queue port {busy_port}" in output
    assert "AZURITE_QUEUE_PORT" in output
    assert not (tmp_path / ".azurite").exists()  # nothing was started


@pytest.mark.parametrize(
    ("environ", "expected", "kept"),
    [
        ({}, "http://127.0.0.1:7072", None),
        ({"PORTAL_BASE_URL": ""}, "http://127.0.0.1:7072", None),
        ({"PORTAL_BASE_URL": "https://leads.contoso.example"}, None, "https://leads.contoso.example"),
    ],
)
def test_portal_base_url_follows_the_port_unless_set(
    environ: dict[str, str], expected: str | None, kept: str | None
) -> None:
    assert portal_base_url_default(environ, "127.0.0.1", 7072) == expected
    assert environ["PORTAL_BASE_URL"] == (expected or kept)


def test_the_running_host_tells_the_app_its_own_address(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    settings = tmp_path / "local.settings.json"
    settings.write_text('{"Values": {"PORTAL_BASE_URL": ""}}')
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SAMPLE_DIR),
        "SAMPLE_RESULTS_DIR": str(tmp_path / "results"),
        "SAMPLE_RARE_SCHEDULE": "0 0 0 1 1 *",
        # No storage is needed to start; nothing listens here.
        "AzureWebJobsStorage": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;",
    }
    with HostProcess(cwd=tmp_path, app="sample_app", env=environment, inherit_env=False) as host:
        # What the app saw when it was imported, as the product's settings read it.
        seen = httpx.get(f"{host.base_url}/api/settings", timeout=10, trust_env=False).json()
    assert seen["portal_base_url_at_import"] == f"http://127.0.0.1:{host.port}"
