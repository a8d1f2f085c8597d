"""A missing or contradictory setting stops the host at start-up with one line naming it."""

from __future__ import annotations

import os

import pytest

from devhost.process import HostProcess, HostProcessError
from tests.conftest import REPO_ROOT


def _start_without_settings(tmp_path, env: dict[str, str]) -> str:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    host = HostProcess(
        cwd=REPO_ROOT,
        env={**base, **env},
        inherit_env=False,
        extra_args=["--settings", str(tmp_path / "absent.settings.json")],
        log_path=tmp_path / "host.log",
    )
    with pytest.raises(HostProcessError):
        host.start(timeout=20)
    return host.log_text()


def test_no_storage_configured_names_the_setting(tmp_path) -> None:
    log = _start_without_settings(tmp_path, {})
    lines = [line for line in log.splitlines() if "configuration error" in line]
    assert len(lines) == 1
    assert "AzureWebJobsStorage" in lines[0]


def test_acs_endpoint_without_key_or_identity_names_the_setting(tmp_path) -> None:
    log = _start_without_settings(
        tmp_path,
        {
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            "ACS_ENDPOINT": "https://acs.example.communication.azure.com",
        },
    )
    lines = [line for line in log.splitlines() if "configuration error" in line]
    assert len(lines) == 1
    assert "ACS_ENDPOINT" in lines[0]
