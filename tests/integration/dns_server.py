"""A small authoritative DNS server on loopback (UDP and TCP, same free port), built on dnslib.

Each zone entry says how the server behaves for one name: records to answer with,
NXDOMAIN, SERVFAIL, or silence (the query is dropped, so the client times out).
Every query received is counted per (name, type, transport) so tests can prove what
was asked and how often.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from dnslib import AAAA, MX, QTYPE, RCODE, RR, A, DNSRecord

# Classic DNS-over-UDP limit without EDNS: bigger answers are truncated (TC bit), and
# the client must ask again over TCP.
UDP_PAYLOAD_LIMIT = 512


class Behaviour(Enum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    SILENT = "silent"


@dataclass
class Zone:
    behaviour: Behaviour = Behaviour.ANSWER
    mx: list[tuple[int, str]] = field(default_factory=list)
    a: list[str] = field(default_factory=list)
    aaaa: list[str] = field(default_factory=list)


class LoopbackDnsServer:
    def __init__(self, zones: dict[str, Zone]) -> None:
        self.zones = {name.lower().rstrip("."): zone for name, zone in zones.items()}
        self.queries: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []
        self.port = 0

    @property
    def address(self) -> str:
        """In the `ip:port` form of EMAIL_DNS_SERVERS."""
        return f"127.0.0.1:{self.port}"

    def count(self, name: str, qtype: str | None = None, transport: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (q_name, q_type, q_transport), n in self.queries.items()
                if q_name == name and qtype in (None, q_type) and transport in (None, q_transport)
            )

    def start(self) -> LoopbackDnsServer:
        # Bind UDP on a free port, then TCP on the same number; retry if that one is taken.
        for _ in range(50):
            udp = _UdpServer(("127.0.0.1", 0), _UdpHandler, self)
            port = udp.server_address[1]
            try:
                tcp = _TcpServer(("127.0.0.1", port), _TcpHandler, self)
            except OSError:
                udp.server_close()
                continue
            self.port = port
            self._servers = [udp, tcp]
            break
        else:
            raise RuntimeError("no free port for both UDP and TCP")
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> LoopbackDnsServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, data: bytes, transport: str) -> bytes | None:
        """The reply to one query, or None to stay silent."""
        request = DNSRecord.parse(data)
        name = str(request.q.qname).lower().rstrip(".")
        qtype = QTYPE[request.q.qtype]
        with self._lock:
            self.queries[(name, qtype, transport)] += 1
        reply = request.reply()
        reply.header.ra = 0
        zone = self.zones.get(name)
        if zone is None or zone.behaviour is Behaviour.NXDOMAIN:
            reply.header.rcode = RCODE.NXDOMAIN
        elif zone.behaviour is Behaviour.SERVFAIL:
            reply.header.rcode = RCODE.SERVFAIL
        elif zone.behaviour is Behaviour.SILENT:
            return None
        elif qtype == "MX":
            for preference, exchange in zone.mx:
                reply.add_answer(RR(name, QTYPE.MX, rdata=MX(exchange, preference), ttl=300))
        elif qtype == "A":
            for address in zone.a:
                reply.add_answer(RR(name, QTYPE.A, rdata=A(address), ttl=300))
        elif qtype == "AAAA":
            for address in zone.aaaa:
                reply.add_answer(RR(name, QTYPE.AAAA, rdata=AAAA(address), ttl=300))
        packed = reply.pack()
        if transport == "udp" and len(packed) > UDP_PAYLOAD_LIMIT:
            # Keep the question (dnslib's truncate() drops it, and resolvers ignore a
            # reply whose question does not match theirs); no records, TC set.
            truncated = request.reply()
            truncated.header.tc = 1
            packed = truncated.pack()
        return packed


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, owner: LoopbackDnsServer) -> None:
        self.owner = owner
        super().__init__(address, handler)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], handler: type, owner: LoopbackDnsServer) -> None:
        self.owner = owner
        super().__init__(address, handler)


class _UdpHandler(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.owner.answer(data, "udp")
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        while True:
            header = _read_exactly(conn, 2)
            if header is None:
                return
            (length,) = struct.unpack("!H", header)
            data = _read_exactly(conn, length)
            if data is None:
                return
            reply = self.server.owner.answer(data, "tcp")
            if reply is None:
                return
            conn.sendall(struct.pack("!H", len(reply)) + reply)


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        try:
            chunk = conn.recv(size - len(chunks))
        except OSError:
            return None
        if not chunk:
            return None
        chunks += chunk
    return chunks
