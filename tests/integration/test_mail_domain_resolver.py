"""MailDomainResolver against a real DNS server on loopback (UDP and TCP)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from shared.adapters.mail_domain_resolver import MailDomainResolver, parse_dns_servers
from shared.config import ConfigurationError, load_settings
from shared.domain.contact_validation import MailDomainStatus, check_contact
from shared.domain.enums import EmailValidity, Quality
from tests.integration.dns_server import Behaviour, LoopbackDnsServer, Zone

# Short budget for the silent server so the suite stays fast; the production default
# is exercised by every other test.
SHORT_LIFETIME = 0.4

ZONES = {
    "mx.example-mail.nl": Zone(mx=[(10, "mail.mx.example-mail.nl")]),
    "null-mx.nl": Zone(mx=[(0, ".")], a=["192.0.2.10"]),
    "address-only.nl": Zone(a=["192.0.2.20"]),
    "ipv6-only.nl": Zone(aaaa=["2001:db8::25"]),
    "parked.nl": Zone(),
    "silent.nl": Zone(behaviour=Behaviour.SILENT),
    "broken.nl": Zone(behaviour=Behaviour.SERVFAIL),
    # 40 MX records do not fit in a 512-byte UDP answer: the client must retry over TCP.
    "big-mx.nl": Zone(mx=[(n, f"mx{n:02d}.mail-exchangers.big-mx.nl") for n in range(40)]),
    "xn--bcher-kva.de": Zone(mx=[(10, "mail.xn--bcher-kva.de")]),
}


@pytest.fixture
def dns_server() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(ZONES) as server:
        yield server


@pytest.fixture
def resolver(dns_server: LoopbackDnsServer) -> MailDomainResolver:
    return MailDomainResolver([dns_server.address])


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("mx.example-mail.nl", MailDomainStatus.ACCEPTS_MAIL),
        ("null-mx.nl", MailDomainStatus.NO_MAIL),
        ("does-not-exist.nl", MailDomainStatus.NO_MAIL),
        ("address-only.nl", MailDomainStatus.ACCEPTS_MAIL),
        ("ipv6-only.nl", MailDomainStatus.ACCEPTS_MAIL),
        ("parked.nl", MailDomainStatus.NO_MAIL),
        ("broken.nl", MailDomainStatus.UNKNOWN),
        ("big-mx.nl", MailDomainStatus.ACCEPTS_MAIL),
        ("xn--bcher-kva.de", MailDomainStatus.ACCEPTS_MAIL),
        ("MX.Example-Mail.NL.", MailDomainStatus.ACCEPTS_MAIL),
    ],
)
def test_each_dns_outcome_maps_to_its_status(
    resolver: MailDomainResolver, domain: str, expected: MailDomainStatus
) -> None:
    assert resolver(domain) == expected


def test_a_silent_server_is_unknown_within_the_lifetime(dns_server: LoopbackDnsServer) -> None:
    resolver = MailDomainResolver([dns_server.address], lifetime=SHORT_LIFETIME)
    before = dns_server.count("silent.nl", "MX")
    assert resolver("silent.nl") == MailDomainStatus.UNKNOWN
    assert dns_server.count("silent.nl", "MX") > before


def test_address_fallback_only_after_an_empty_mx_answer(
    resolver: MailDomainResolver, dns_server: LoopbackDnsServer
) -> None:
    assert resolver("address-only.nl") == MailDomainStatus.ACCEPTS_MAIL
    assert dns_server.count("address-only.nl", "A") == 1
    assert resolver("mx.example-mail.nl") == MailDomainStatus.ACCEPTS_MAIL
    assert dns_server.count("mx.example-mail.nl", "A") == 0
    # A null MX is final even though the domain has an address.
    assert resolver("null-mx.nl") == MailDomainStatus.NO_MAIL
    assert dns_server.count("null-mx.nl", "A") == 0


def test_a_truncated_udp_answer_is_retried_over_tcp(
    resolver: MailDomainResolver, dns_server: LoopbackDnsServer
) -> None:
    assert resolver("big-mx.nl") == MailDomainStatus.ACCEPTS_MAIL
    assert dns_server.count("big-mx.nl", "MX", "udp") >= 1
    assert dns_server.count("big-mx.nl", "MX", "tcp") >= 1


def test_the_cache_answers_a_second_look_up_without_a_query(dns_server: LoopbackDnsServer) -> None:
    resolver = MailDomainResolver([dns_server.address])
    zones = {"cached-once.nl": Zone(mx=[(10, "mail.cached-once.nl")])}
    dns_server.zones.update(zones)
    assert resolver("cached-once.nl") == MailDomainStatus.ACCEPTS_MAIL
    assert resolver("Cached-Once.nl") == MailDomainStatus.ACCEPTS_MAIL
    assert dns_server.count("cached-once.nl") == 1
    # Negative verdicts are cached too.
    assert resolver("gone-for-good.nl") == MailDomainStatus.NO_MAIL
    assert resolver("gone-for-good.nl") == MailDomainStatus.NO_MAIL
    assert dns_server.count("gone-for-good.nl") == 1


def test_cached_verdicts_expire_after_their_ttl(dns_server: LoopbackDnsServer) -> None:
    now = [1000.0]
    resolver = MailDomainResolver([dns_server.address], verdict_ttl=60, clock=lambda: now[0])
    dns_server.zones["ttl.nl"] = Zone(mx=[(10, "mail.ttl.nl")])
    assert resolver("ttl.nl") == MailDomainStatus.ACCEPTS_MAIL
    now[0] += 59
    assert resolver("ttl.nl") == MailDomainStatus.ACCEPTS_MAIL
    assert dns_server.count("ttl.nl") == 1
    now[0] += 2
    dns_server.zones["ttl.nl"] = Zone(mx=[(0, ".")])
    assert resolver("ttl.nl") == MailDomainStatus.NO_MAIL
    assert dns_server.count("ttl.nl") == 2


def test_failures_are_cached_for_a_shorter_time(dns_server: LoopbackDnsServer) -> None:
    now = [0.0]
    resolver = MailDomainResolver(
        [dns_server.address], verdict_ttl=3600, failure_ttl=30, clock=lambda: now[0]
    )
    assert resolver("broken.nl") == MailDomainStatus.UNKNOWN
    asked = dns_server.count("broken.nl")
    assert resolver("broken.nl") == MailDomainStatus.UNKNOWN
    assert dns_server.count("broken.nl") == asked
    now[0] += 31
    assert resolver("broken.nl") == MailDomainStatus.UNKNOWN
    assert dns_server.count("broken.nl") > asked


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(dns_server: LoopbackDnsServer) -> None:
    resolver = MailDomainResolver([dns_server.address], cache_size=2)
    for name in ("lru-a.nl", "lru-b.nl", "lru-c.nl"):
        dns_server.zones[name] = Zone(mx=[(10, f"mail.{name}")])
    resolver("lru-a.nl")
    resolver("lru-b.nl")
    resolver("lru-a.nl")  # a is now the most recently used
    resolver("lru-c.nl")  # evicts b
    resolver("lru-a.nl")
    resolver("lru-b.nl")
    assert dns_server.count("lru-a.nl") == 1
    assert dns_server.count("lru-b.nl") == 2
    assert dns_server.count("lru-c.nl") == 1


def test_concurrent_look_ups_of_one_domain_share_one_query(dns_server: LoopbackDnsServer) -> None:
    resolver = MailDomainResolver([dns_server.address])
    dns_server.zones["busy.nl"] = Zone(mx=[(10, "mail.busy.nl")])
    start = threading.Barrier(16)
    results: list[MailDomainStatus] = []
    results_lock = threading.Lock()

    def look_up() -> None:
        start.wait()
        status = resolver("busy.nl")
        with results_lock:
            results.append(status)

    threads = [threading.Thread(target=look_up) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [MailDomainStatus.ACCEPTS_MAIL] * 16
    assert dns_server.count("busy.nl") == 1


def test_the_second_server_answers_when_the_first_is_silent(dns_server: LoopbackDnsServer) -> None:
    with LoopbackDnsServer({"mx.example-mail.nl": Zone(behaviour=Behaviour.SILENT)}) as silent:
        resolver = MailDomainResolver([silent.address, dns_server.address], lifetime=SHORT_LIFETIME * 2)
        assert resolver("mx.example-mail.nl") == MailDomainStatus.ACCEPTS_MAIL


def test_a_port_where_nobody_listens_is_unknown() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    resolver = MailDomainResolver([f"127.0.0.1:{closed_port}"], lifetime=SHORT_LIFETIME)
    assert resolver("mx.example-mail.nl") == MailDomainStatus.UNKNOWN


def test_built_from_settings(dns_server: LoopbackDnsServer) -> None:
    settings = load_settings(
        {
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            "EMAIL_DELIVERABILITY_CHECK": "dns",
            "EMAIL_DNS_SERVERS": f" {dns_server.address} ",
        }
    )
    resolver = MailDomainResolver.from_settings(settings)
    assert resolver("null-mx.nl") == MailDomainStatus.NO_MAIL


@pytest.mark.parametrize(
    ("entry", "port"),
    [("127.0.0.1", 53), ("127.0.0.1:5353", 5353), ("[::1]:5300", 5300), ("::1", 53)],
)
def test_server_entries_accept_ip_and_port_forms(entry: str, port: int) -> None:
    (server,) = parse_dns_servers([entry])
    assert server.port == port


@pytest.mark.parametrize("entry", ["dns.example.net", "127.0.0.1:0", "127.0.0.1:http", "[::1]:99999"])
def test_bad_server_entries_name_the_setting(entry: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        MailDomainResolver([entry])
    assert error.value.setting == "EMAIL_DNS_SERVERS"


@pytest.mark.parametrize(
    ("email", "validity", "quality"),
    [
        ("eva@mx.example-mail.nl", EmailValidity.VALID, Quality.HIGH),
        ("eva@null-mx.nl", EmailValidity.INVALID, Quality.LOW),
        ("eva@does-not-exist.nl", EmailValidity.INVALID, Quality.LOW),
        ("eva@broken.nl", EmailValidity.UNKNOWN, Quality.HIGH),
        ("jörg@bücher.de", EmailValidity.VALID, Quality.HIGH),
    ],
)
def test_check_contact_in_dns_mode(
    resolver: MailDomainResolver, email: str, validity: EmailValidity, quality: Quality
) -> None:
    check = check_contact(email=email, phone=None, country="NL", domain_status=resolver)
    assert check.email_validity == validity
    assert check.quality == quality


def test_spam_domains_are_never_looked_up(
    resolver: MailDomainResolver, dns_server: LoopbackDnsServer
) -> None:
    dns_server.zones["spammy.nl"] = Zone(mx=[(10, "mail.spammy.nl")])
    check = check_contact(
        email="eva@spammy.nl",
        phone=None,
        country="NL",
        spam_domains=frozenset({"spammy.nl"}),
        domain_status=resolver,
    )
    assert check.email_validity == EmailValidity.SPAM
    assert dns_server.count("spammy.nl") == 0
