"""Stopping: SIGTERM stops the host and the Azurite it started, with exit code 0."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

from devhost.process import HostProcess
from tests.devhost.support import SAMPLE_DIR


def _process_group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_host_and_its_azurite(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0"}))
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SAMPLE_DIR),
        "SAMPLE_RESULTS_DIR": str(tmp_path / "results"),
        "SAMPLE_RARE_SCHEDULE": "0 0 0 1 1 *",
    }
    host = HostProcess(
        cwd=tmp_path,
        app="sample_app",
        env=environment,
        inherit_env=False,
        extra_args=["--azurite", "--azurite-ports", "0,0,0", "--azurite-location", str(tmp_path / "azurite")],
    )
    with host:
        started = re.search(r"Azurite started \(pid (\d+)\)", host.log_text())
        assert started is not None, host.log_text()
        azurite_pid = int(started[1])
        assert _process_group_exists(azurite_pid)
        assert host.process is not None
        host.process.send_signal(signal.SIGTERM)
        assert host.process.wait(timeout=20) == 0
    assert not _process_group_exists(azurite_pid)
    log = host.log_text()
    assert "Azurite stopped" in log
    assert "Host stopped" in log
    # The queue listeners used the Azurite the host started: no storage errors were logged.
    assert "polling queue" not in log


def test_sigint_exits_cleanly_while_storage_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    host = HostProcess(
        cwd=tmp_path,
        app="sample_app",
        env={
            "PYTHONPATH": str(SAMPLE_DIR),
            "SAMPLE_RESULTS_DIR": str(tmp_path / "results"),
            "SAMPLE_RARE_SCHEDULE": "0 0 0 1 1 *",
            # Nothing listens here: the queue listeners keep retrying, which must not block stopping.
            "AzureWebJobsStorage": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            "AccountKey=a2V5;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        },
    )
    with host:
        assert host.process is not None
        host.process.send_signal(signal.SIGINT)
        assert host.process.wait(timeout=20) == 0
    assert "received SIGINT" in host.log_text()
