"""The Azurite launcher, with the real emulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from devhost.azurite import Azurite, AzuriteError


def test_running_azurite_serves_queues_and_tables(azurite: Azurite) -> None:
    connection_string = azurite.connection_string
    assert f"QueueEndpoint=http://127.0.0.1:{azurite.queue_port}/devstoreaccount1;" in connection_string
    assert f"TableEndpoint=http://127.0.0.1:{azurite.table_port}/devstoreaccount1;" in connection_string
    assert f"BlobEndpoint=http://127.0.0.1:{azurite.blob_port}/devstoreaccount1;" in connection_string
    QueueServiceClient.from_connection_string(connection_string).create_queue("launcher-check")
    tables = TableServiceClient.from_connection_string(connection_string)
    tables.create_table("launchercheck")
    assert "launchercheck" in [table.name for table in tables.list_tables()]


def test_location_persists_data_and_stop_ends_the_process_group(tmp_path: Path) -> None:
    with Azurite(location=tmp_path / "data") as first:
        QueueServiceClient.from_connection_string(first.connection_string).create_queue("kept")
        pid = first.pid
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    with Azurite(location=tmp_path / "data") as second:
        names = [
            queue.name
            for queue in QueueServiceClient.from_connection_string(second.connection_string).list_queues()
        ]
    assert "kept" in names


def test_ports_in_use_are_refused(azurite: Azurite) -> None:
    clash = Azurite(blob_port=azurite.blob_port, queue_port=azurite.queue_port, table_port=azurite.table_port)
    with pytest.raises(AzuriteError, match="already in use"):
        clash.start()
    assert not clash.running


def test_missing_installation_says_to_run_npm_ci(tmp_path: Path) -> None:
    with pytest.raises(AzuriteError, match="npm ci"):
        Azurite(binary=tmp_path / "node_modules" / ".bin" / "azurite").start()


def test_connection_string_needs_a_running_emulator() -> None:
    with pytest.raises(AzuriteError):
        _ = Azurite().connection_string
