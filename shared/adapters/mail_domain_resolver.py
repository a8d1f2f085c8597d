"""Does a mail domain accept mail? The DNS side of the `dns` deliverability check.

MX first (RFC 5321 §5.1): a null MX (RFC 7505, `0 .`) or a domain that does not exist
means no mail; a domain that exists without MX records falls back to its A/AAAA
address ("implicit MX"). Timeouts, SERVFAIL and silent servers are resolver failures:
UNKNOWN, never a verdict on the address.

One instance serves the whole process: results are cached per domain (bounded, with
a time to live) and concurrent look-ups of one domain share a single query, because
the queue trigger runs up to 16 messages at once and leads cluster on a few domains.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.inet
import dns.name
import dns.nameserver
import dns.rdata
import dns.rdatatype
import dns.rdtypes.ANY.MX
import dns.resolver

from shared.config import EMAIL_DNS_SERVERS, ConfigurationError, Settings
from shared.domain.contact_validation import MailDomainStatus

log = logging.getLogger(__name__)

# Total time budget for one domain (MX and, when needed, A and AAAA together): a slow
# resolver must not hold a queue message for long; a miss is only UNKNOWN.
DEFAULT_LIFETIME_SECONDS = 2.0
DEFAULT_CACHE_SIZE = 4096
# Verdicts hold for an hour; a resolver failure is retried after a minute.
DEFAULT_VERDICT_TTL_SECONDS = 3600.0
DEFAULT_FAILURE_TTL_SECONDS = 60.0
DNS_PORT = 53


@dataclass
class _InFlight:
    done: threading.Event = field(default_factory=threading.Event)
    status: MailDomainStatus = MailDomainStatus.UNKNOWN


class _LookupFailed(Exception):
    """The resolver could not get an answer (timeout, SERVFAIL, no server reachable)."""


def parse_dns_servers(entries: Sequence[str]) -> list[dns.nameserver.Nameserver]:
    """`ip`, `ip:port`, `[ipv6]:port` or bare IPv6 entries of EMAIL_DNS_SERVERS."""
    servers: list[dns.nameserver.Nameserver] = []
    for raw in entries:
        entry = raw.strip()
        host, port_text = entry, ""
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port_text = rest.removeprefix(":")
        elif entry.count(":") == 1:
            host, _, port_text = entry.partition(":")
        if not dns.inet.is_address(host):
            raise ConfigurationError(EMAIL_DNS_SERVERS, f"{raw!r} is not an IP address")
        port = DNS_PORT
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ConfigurationError(EMAIL_DNS_SERVERS, f"{raw!r} has a bad port")
            port = int(port_text)
        servers.append(dns.nameserver.Do53Nameserver(host, port))
    return servers


class MailDomainResolver:
    """Callable `resolver(domain) -> MailDomainStatus`; never raises."""

    def __init__(
        self,
        servers: Sequence[str] = (),
        *,
        lifetime: float = DEFAULT_LIFETIME_SECONDS,
        cache_size: int = DEFAULT_CACHE_SIZE,
        verdict_ttl: float = DEFAULT_VERDICT_TTL_SECONDS,
        failure_ttl: float = DEFAULT_FAILURE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if servers:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = parse_dns_servers(servers)
        else:
            try:
                resolver = dns.resolver.Resolver()  # the system's resolv.conf / registry
            except dns.resolver.NoResolverConfiguration:
                # Without any resolver every look-up fails, i.e. answers UNKNOWN.
                log.warning("no system DNS resolver configured; mail domain checks answer Unknown")
                resolver = dns.resolver.Resolver(configure=False)
        # Each attempt gets at most half the budget so a second server (or a retry of
        # a lost UDP datagram) still fits in the lifetime.
        resolver.timeout = lifetime / 2
        resolver.lifetime = lifetime
        resolver.cache = None  # this class caches verdicts, not records
        self._resolver = resolver
        self._lifetime = lifetime
        self._cache_size = cache_size
        self._verdict_ttl = verdict_ttl
        self._failure_ttl = failure_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, MailDomainStatus]] = OrderedDict()
        self._in_flight: dict[str, _InFlight] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> MailDomainResolver:
        return cls(settings.email_dns_servers)

    def __call__(self, domain: str) -> MailDomainStatus:
        key = domain.strip().rstrip(".").lower()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                expires_at, status = cached
                if expires_at > self._clock():
                    self._cache.move_to_end(key)
                    return status
                del self._cache[key]
            pending = self._in_flight.get(key)
            owner = pending is None
            if pending is None:
                pending = self._in_flight[key] = _InFlight()
        if not owner:
            # Someone is already asking: wait for that answer instead of a second query.
            if pending.done.wait(self._lifetime + 1.0):
                return pending.status
            return MailDomainStatus.UNKNOWN

        status = MailDomainStatus.UNKNOWN
        try:
            status = self._look_up(key)
        finally:
            with self._lock:
                self._remember(key, status)
                del self._in_flight[key]
            pending.status = status
            pending.done.set()
        return status

    def _remember(self, key: str, status: MailDomainStatus) -> None:
        ttl = self._failure_ttl if status == MailDomainStatus.UNKNOWN else self._verdict_ttl
        self._cache[key] = (self._clock() + ttl, status)
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _look_up(self, domain: str) -> MailDomainStatus:
        try:
            name = dns.name.from_text(domain)  # absolute: never tried with search suffixes
        except (dns.exception.DNSException, UnicodeError, ValueError):
            # A name that cannot exist in DNS cannot receive mail.
            return MailDomainStatus.NO_MAIL
        deadline = time.monotonic() + self._lifetime
        try:
            exchanges = self._records(name, dns.rdatatype.MX, deadline)
            if exchanges is None:
                return MailDomainStatus.NO_MAIL
            if exchanges:
                # Null MX: the domain declares it accepts no mail. (An MX answer holds only MX rdata.)
                if all(cast(dns.rdtypes.ANY.MX.MX, mx).exchange == dns.name.root for mx in exchanges):
                    return MailDomainStatus.NO_MAIL
                return MailDomainStatus.ACCEPTS_MAIL
            for address_type in (dns.rdatatype.A, dns.rdatatype.AAAA):
                addresses = self._records(name, address_type, deadline)
                if addresses is None:
                    return MailDomainStatus.NO_MAIL
                if addresses:
                    return MailDomainStatus.ACCEPTS_MAIL
            return MailDomainStatus.NO_MAIL
        except _LookupFailed as failure:
            log.info("mail domain look-up for %s failed: %s", domain, failure)
            return MailDomainStatus.UNKNOWN
        except Exception:
            # Whatever dnspython or the network throws, a failed look-up is UNKNOWN.
            log.warning("mail domain look-up for %s failed unexpectedly", domain, exc_info=True)
            return MailDomainStatus.UNKNOWN

    def _records(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, deadline: float
    ) -> list[dns.rdata.Rdata] | None:
        """The records of one type; [] when the name exists without them; None for NXDOMAIN."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _LookupFailed("time budget spent")
        try:
            answer = self._resolver.resolve(
                name, rdtype, search=False, raise_on_no_answer=False, lifetime=remaining
            )
        except dns.resolver.NXDOMAIN:
            return None
        except dns.exception.Timeout as error:
            raise _LookupFailed(f"timeout: {error}") from error
        except dns.resolver.NoNameservers as error:
            raise _LookupFailed(f"no server answered: {error}") from error
        except dns.exception.DNSException as error:
            raise _LookupFailed(str(error)) from error
        return list(answer.rrset) if answer.rrset is not None else []
