"""Start and stop the Azurite storage emulator installed by npm (`node_modules/.bin/azurite`).

    with Azurite() as azurite:                      # in-memory, free ports
        client = QueueServiceClient.from_connection_string(azurite.connection_string)

    Azurite(location=".azurite", blob_port=10000, queue_port=10001, table_port=10002)

Ports left at 0 are picked free on 127.0.0.1. The emulator runs in its own process
group so that stopping it also stops anything node spawned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

HOST = "127.0.0.1"
ACCOUNT_NAME = "devstoreaccount1"
# The emulator's well-known, public development key (documented by Microsoft).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = REPO_ROOT / "node_modules" / ".bin" / "azurite"

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
# Free ports are picked by binding to port 0 and closing; another process can take one
# before Azurite binds it, so a start on picked ports is retried a few times.
PICKED_PORT_ATTEMPTS = 3


class AzuriteError(RuntimeError):
    """Azurite is missing, failed to start, or did not answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def connection_string(blob_port: int, queue_port: int, table_port: int, host: str = HOST) -> str:
    """An explicit Azurite connection string (the SDKs need explicit endpoints for non-default ports)."""
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={ACCOUNT_NAME};"
        f"AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://{host}:{blob_port}/{ACCOUNT_NAME};"
        f"QueueEndpoint=http://{host}:{queue_port}/{ACCOUNT_NAME};"
        f"TableEndpoint=http://{host}:{table_port}/{ACCOUNT_NAME};"
    )


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class Azurite:
    """One Azurite process serving blob, queue and table on 127.0.0.1.

    `location=None` keeps all data in memory (`--inMemoryPersistence`); a directory keeps it
    on disk (`--location DIR`, created if missing). Azurite cannot combine the two.
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        blob_port: int = 0,
        queue_port: int = 0,
        table_port: int = 0,
        *,
        binary: str | os.PathLike[str] | None = None,
    ) -> None:
        self.location = None if location is None else Path(location)
        self._requested_ports = (blob_port, queue_port, table_port)
        self.blob_port, self.queue_port, self.table_port = self._requested_ports
        self.binary = Path(binary) if binary is not None else DEFAULT_BINARY
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @property
    def connection_string(self) -> str:
        if self._process is None:
            raise AzuriteError("Azurite is not running; call start() first")
        return connection_string(self.blob_port, self.queue_port, self.table_port)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        if self._process is not None:
            raise AzuriteError("Azurite is already running")
        if not self.binary.exists():
            raise AzuriteError(
                f"Azurite not found at {self.binary}: run npm ci in {self.binary.parent.parent.parent}"
            )
        picks_ports = 0 in self._requested_ports
        attempts = PICKED_PORT_ATTEMPTS if picks_ports else 1
        for attempt in range(1, attempts + 1):
            self.blob_port, self.queue_port, self.table_port = self._choose_ports()
            try:
                self._launch_and_wait()
                return self
            except AzuriteError:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        elif process is not None:
            # Node may have left children behind in the group even if it exited itself.
            self._signal_group(process, signal.SIGKILL)
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _choose_ports(self) -> tuple[int, int, int]:
        chosen: list[int] = []
        for port in self._requested_ports:
            if port == 0:
                port = free_port()
                while port in chosen:
                    port = free_port()
            chosen.append(port)
        return chosen[0], chosen[1], chosen[2]

    def _command(self) -> list[str]:
        command = [
            str(self.binary),
            "--silent",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--loose",
            "--blobHost",
            HOST,
            "--queueHost",
            HOST,
            "--tableHost",
            HOST,
            "--blobPort",
            str(self.blob_port),
            "--queuePort",
            str(self.queue_port),
            "--tablePort",
            str(self.table_port),
        ]
        if self.location is None:
            command.append("--inMemoryPersistence")
        else:
            self.location.mkdir(parents=True, exist_ok=True)
            command += ["--location", str(self.location)]
        return command

    def _launch_and_wait(self) -> None:
        ports = (self.blob_port, self.queue_port, self.table_port)
        busy = [port for port in ports if _port_answers(port)]
        if busy:
            # Checked up front: otherwise the process already listening there would look like ours.
            raise AzuriteError(f"ports already in use on {HOST}: {busy}")
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                returncode, output = self._process.returncode, self._read_output()
                self.stop()
                raise AzuriteError(f"Azurite exited with code {returncode}: {output}")
            if all(_port_answers(port) for port in ports):
                return
            time.sleep(0.05)
        output = self._read_output()
        self.stop()
        raise AzuriteError(
            f"Azurite did not answer on ports {ports} within {START_TIMEOUT_SECONDS}s: {output}"
        )

    def _read_output(self) -> str:
        if self._output is None:
            return ""
        self._output.seek(0)
        return self._output.read().decode("utf-8", errors="replace").strip()[-2000:]

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
