"""A fault-injecting TCP proxy for tests: put it between the host and Azurite and break the link.

    with FaultProxy(upstream_port=azurite.queue_port) as proxy:
        proxy.latency = 0.2          # every chunk forwarded waits 200 ms
        proxy.set_mode(Mode.RESET)   # live connections and every new one are reset (RST)
        proxy.set_mode(Mode.SILENT)  # connections are accepted and never answered
        proxy.set_mode(Mode.UP)      # forward again; connections held while silent are reset

The proxy runs its own asyncio loop on a daemon thread, so a test drives it with plain calls.
Toxiproxy would do this, but it is neither a Debian nor a PyPI package; this is the part we need.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from enum import StrEnum
from types import TracebackType
from typing import Any, Self, TypeVar

HOST = "127.0.0.1"
CHUNK = 64 * 1024
T = TypeVar("T")


class Mode(StrEnum):
    UP = "up"
    RESET = "reset"
    SILENT = "silent"


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset, as a crashed peer or a dropped route looks to the client."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = HOST) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.latency = 0.0
        self.mode = Mode.UP
        self.connections = 0  # accepted so far, for tests that want to see traffic went through
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._live: set[asyncio.StreamWriter] = set()

    # --- control, from the test's thread -------------------------------------------------

    def start(self) -> Self:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, HOST, 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def set_mode(self, mode: Mode) -> None:
        """Switch; every connection open at the switch is reset, so none outlives the old mode."""
        self.mode = mode
        self._call(self._reset_live())

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._call(self._reset_live())
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    # --- the proxy, on its loop ------------------------------------------------------------

    async def _reset_live(self) -> None:
        for writer in list(self._live):
            _abort(writer)
        self._live.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode is Mode.RESET:
            _abort(client_writer)
            return
        self._live.add(client_writer)
        if self.mode is Mode.SILENT:
            # Read and drop whatever comes, answer nothing, until the client gives up or a switch resets it.
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while await client_reader.read(CHUNK):
                    pass
            self._live.discard(client_writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            self._live.discard(client_writer)
            _abort(client_writer)
            return
        self._live.add(upstream_writer)
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer),
            self._pipe(upstream_reader, client_writer),
        )
        for writer in (client_writer, upstream_writer):
            self._live.discard(writer)
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                if self.latency:
                    await asyncio.sleep(self.latency)
                if self.mode is not Mode.UP:
                    _abort(writer)
                    return
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            _abort(writer)
            return
        with contextlib.suppress(OSError):
            writer.write_eof()
