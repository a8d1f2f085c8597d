"""Run the local host as a subprocess, for tests and benchmarks.

    with HostProcess(cwd=app_dir, env={"AzureWebJobsStorage": azurite.connection_string}) as host:
        httpx.get(f"{host.base_url}/api/health")

The host's stderr (its log) goes to a file, `log_path`, kept after the host stops so that a failed
test can show it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from devhost.azurite import HOST, free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
# Loopback only: never through a proxy configured in the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HostProcessError(RuntimeError):
    pass


class HostProcess:
    """`python -m devhost --port <free port> ...` in `cwd`, with `env` added to this environment."""

    def __init__(
        self,
        *,
        cwd: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        app: str = "function_app",
        extra_args: Sequence[str] = (),
        port: int = 0,
        log_path: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
    ) -> None:
        self.cwd = Path(cwd)
        self.port = port or free_port()
        self.app = app
        self.extra_args = list(extra_args)
        environment = dict(os.environ) if inherit_env else {}
        environment.update(env or {})
        # The devhost package must be importable whatever the working directory is.
        python_path = [str(REPO_ROOT), *filter(None, [environment.get("PYTHONPATH")])]
        environment["PYTHONPATH"] = os.pathsep.join(python_path)
        environment.setdefault("PYTHONUNBUFFERED", "1")
        self.env = environment
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="devhost-", suffix=".log")
            os.close(handle)
            log_path = name
        self.log_path = Path(log_path)
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "devhost",
            "--app",
            self.app,
            "--host",
            HOST,
            "--port",
            str(self.port),
            *self.extra_args,
        ]

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> Self:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.wait_until_running(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_running(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        status_url = f"{self.base_url}/admin/host/status"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HostProcessError(
                    f"host exited with code {self.process.returncode} while starting:\n{self.log_text()}"
                )
            try:
                with _DIRECT.open(status_url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise HostProcessError(f"host did not answer {status_url} within {timeout}s:\n{self.log_text()}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return None if process is None else process.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
