"""Contact validation rules (contract §4): email, phone, spam flags, quality. No I/O.

DNS outcomes come from plain functions passed as `domain_status`, the dependency
the validation stage injects (a MailDomainResolver in production).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.contact_validation import (
    DISPOSABLE_DOMAINS,
    MAX_EMAIL_LENGTH,
    ContactCheck,
    MailDomainStatus,
    check_contact,
    check_phone,
)
from shared.domain.enums import EmailValidity, PhoneValidity, Quality, SpamFlag

SPAM_DOMAINS = frozenset({"bulk-leads.io", "spamfabriek.nl", "bücher-spam.de"})

ACCEPTS_MAIL = {
    "fabrikam.nl",
    "contoso.com",
    "xn--bcher-kva.de",
    "b.mailinator.com",
    "bulk-leads.io",
    "example.com",
}


def dns_stub(domain: str) -> MailDomainStatus:
    """A resolver that knows a few domains; everything else does not exist."""
    if domain in ACCEPTS_MAIL:
        return MailDomainStatus.ACCEPTS_MAIL
    if domain.startswith("flaky"):
        return MailDomainStatus.UNKNOWN
    return MailDomainStatus.NO_MAIL


def check_email(email: str | None, *, dns: bool = False, texts: tuple[str | None, ...] = ()) -> ContactCheck:
    return check_contact(
        email=email,
        phone=None,
        country="NL",
        texts=texts,
        spam_domains=SPAM_DOMAINS,
        domain_status=dns_stub if dns else None,
    )


# --- email -----------------------------------------------------------------------------

D = SpamFlag.DISPOSABLE_DOMAIN
S = SpamFlag.SPAM_DOMAIN
R = SpamFlag.ROLE_ADDRESS
T = SpamFlag.TEST_PATTERN
M = SpamFlag.TEST_LEAD

EMAIL_CASES_OFF_MODE = [
    # well-formed, not checked further: Unknown, never Valid
    ("eva@fabrikam.nl", EmailValidity.UNKNOWN, ()),
    ("  Eva.de.Vries@Fabrikam.NL \n", EmailValidity.UNKNOWN, ()),
    ("eva+leads@fabrikam.nl", EmailValidity.UNKNOWN, ()),
    # internationalized: IDN domain and an SMTPUTF8 local part
    ("x@bücher.de", EmailValidity.UNKNOWN, ()),
    ("jörg@bücher.de", EmailValidity.UNKNOWN, ()),
    ("анна@пример.рф", EmailValidity.UNKNOWN, ()),
    # missing: nothing to check
    (None, EmailValidity.UNKNOWN, ()),
    ("", EmailValidity.UNKNOWN, ()),
    ("   ", EmailValidity.UNKNOWN, ()),
    # bad syntax
    ("eva", EmailValidity.INVALID, ()),
    ("eva@", EmailValidity.INVALID, ()),
    ("@fabrikam.nl", EmailValidity.INVALID, ()),
    ("eva@@fabrikam.nl", EmailValidity.INVALID, ()),
    ("eva de vries@fabrikam.nl", EmailValidity.INVALID, ()),
    ("eva@fabrikam", EmailValidity.INVALID, ()),
    ("eva@fabrikam..nl", EmailValidity.INVALID, ()),
    ("eva.@fabrikam.nl", EmailValidity.INVALID, ()),
    ("eva@[192.0.2.1]", EmailValidity.INVALID, ()),
    ('"eva"@fabrikam.nl', EmailValidity.INVALID, ()),
    ("Eva <eva@fabrikam.nl>", EmailValidity.INVALID, ()),
    ("eva@-fabrikam.nl", EmailValidity.INVALID, ()),
    # disposable, also through a parent domain
    ("eva@mailinator.com", EmailValidity.SPAM, (D,)),
    ("eva@b.mailinator.com", EmailValidity.SPAM, (D,)),
    ("eva@a.b.MAILINATOR.com", EmailValidity.SPAM, (D,)),
    ("eva@10minutemail.co.uk", EmailValidity.SPAM, (D,)),
    ("eva@mailinator.com.fabrikam.nl", EmailValidity.UNKNOWN, ()),
    ("eva@xmailinator.com", EmailValidity.UNKNOWN, ()),
    # SPAM_DOMAINS, also subdomains and IDN entries
    ("eva@bulk-leads.io", EmailValidity.SPAM, (S,)),
    ("eva@eu.bulk-leads.io", EmailValidity.SPAM, (S,)),
    ("eva@SpamFabriek.nl", EmailValidity.SPAM, (S,)),
    ("eva@bücher-spam.de", EmailValidity.SPAM, (S,)),
    ("eva@xn--bcher-spam-9db.de", EmailValidity.SPAM, (S,)),
    ("eva@bulk-leads.io.fabrikam.nl", EmailValidity.UNKNOWN, ()),
    # role addresses: deliverable, but flagged
    ("info@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("noreply@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("No-Reply@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("do_not_reply@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("sales+emea@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("postmaster@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("webmaster@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("admin@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("support@fabrikam.nl", EmailValidity.UNKNOWN, (R,)),
    ("vertrieb@northwind.de", EmailValidity.UNKNOWN, (R,)),
    ("information.desk@fabrikam.nl", EmailValidity.UNKNOWN, ()),
    ("martin.info@fabrikam.nl", EmailValidity.UNKNOWN, ()),
    # test patterns
    ("test@fabrikam.nl", EmailValidity.UNKNOWN, (T,)),
    ("Test123@fabrikam.nl", EmailValidity.UNKNOWN, (T,)),
    ("test.test@fabrikam.nl", EmailValidity.UNKNOWN, (T,)),
    ("asdf@fabrikam.nl", EmailValidity.UNKNOWN, (T,)),
    ("aaaa@fabrikam.nl", EmailValidity.UNKNOWN, (T,)),
    ("eva@example.com", EmailValidity.UNKNOWN, (T,)),
    ("eva@mail.example.org", EmailValidity.UNKNOWN, (T,)),
    ("eva@fabrikam.test", EmailValidity.INVALID, (T,)),
    ("eva@fabrikam.invalid", EmailValidity.INVALID, (T,)),
    ("test@mailinator.com", EmailValidity.SPAM, (D, T)),
    ("contest@fabrikam.nl", EmailValidity.UNKNOWN, ()),
    ("aaron@fabrikam.nl", EmailValidity.UNKNOWN, ()),
    ("eva@testingcenter.nl", EmailValidity.UNKNOWN, ()),
    # marketplace test leads
    ("MSFT_TEST@fabrikam.nl", EmailValidity.UNKNOWN, (M,)),
    ("eva.msft_test@fabrikam.nl", EmailValidity.UNKNOWN, (M,)),
    ("info.Msft_Test@fabrikam.nl", EmailValidity.UNKNOWN, (M,)),
]


@pytest.mark.parametrize(("email", "validity", "flags"), EMAIL_CASES_OFF_MODE)
def test_email_in_off_mode(email: str | None, validity: EmailValidity, flags: tuple[SpamFlag, ...]) -> None:
    check = check_email(email)
    assert check.email_validity == validity
    assert check.spam_flags == tuple(sorted(flags))


HOSTILE_EMAILS = [
    "a" * 10_000 + "@fabrikam.nl",
    "eva@" + "a" * 10_000 + ".nl",
    "e" * (MAX_EMAIL_LENGTH - len("@fabrikam.nl") + 1) + "@fabrikam.nl",
    "eva@fabrikam.nl\x00",
    "eva\x00@fabrikam.nl",
    "eva\x07@fabrikam.nl",
    "eva@fab\x1frikam.nl",
    "eva\u200f@fabrikam.nl",  # right-to-left mark
    "\u202eln.makirbaf@ave",  # right-to-left override
    "eva\u200d@fabrikam.nl",  # zero-width joiner
    "😀@fabrikam.nl",
    "eva@😀.nl",
    "eva\ud800@fabrikam.nl",  # lone surrogate
    "eva\ue000@fabrikam.nl",  # private use
    "eva@fabrikam.nl\r\nBcc: all@fabrikam.nl",
    "<script>@fabrikam.nl",
    "eva@fabrikam.nl; DROP TABLE leads",
]


@pytest.mark.parametrize("email", HOSTILE_EMAILS)
def test_hostile_emails_are_invalid_and_low(email: str) -> None:
    check = check_email(email, dns=True)
    assert check.email_validity == EmailValidity.INVALID
    assert check.quality == Quality.LOW


def test_the_longest_deliverable_address_is_still_accepted() -> None:
    domain = "@" + "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + ".nl"
    local = "l" * (MAX_EMAIL_LENGTH - len(domain))
    assert len(local + domain) == MAX_EMAIL_LENGTH
    assert check_email(local + domain).email_validity == EmailValidity.UNKNOWN


@pytest.mark.parametrize(
    ("email", "validity"),
    [
        ("eva@fabrikam.nl", EmailValidity.VALID),
        ("eva@contoso.com", EmailValidity.VALID),
        ("jörg@bücher.de", EmailValidity.VALID),
        ("eva@no-such-domain.nl", EmailValidity.INVALID),
        ("eva@flaky-resolver.nl", EmailValidity.UNKNOWN),
        # spam is decided before DNS and wins over a domain that accepts mail
        ("eva@b.mailinator.com", EmailValidity.SPAM),
        ("eva@bulk-leads.io", EmailValidity.SPAM),
        ("eva@", EmailValidity.INVALID),
    ],
)
def test_email_in_dns_mode(email: str, validity: EmailValidity) -> None:
    assert check_email(email, dns=True).email_validity == validity


def test_dns_is_asked_for_the_ascii_domain_only_after_syntax_and_spam_checks() -> None:
    asked: list[str] = []

    def recording_lookup(domain: str) -> MailDomainStatus:
        asked.append(domain)
        return MailDomainStatus.ACCEPTS_MAIL

    for email in ("jörg@Bücher.de", "eva@", "eva@mailinator.com", "eva@eu.bulk-leads.io", None, ""):
        check_contact(
            email=email,
            phone=None,
            country="DE",
            spam_domains=SPAM_DOMAINS,
            domain_status=recording_lookup,
        )
    assert asked == ["xn--bcher-kva.de"]


def test_a_lookup_that_raises_counts_as_a_resolver_failure() -> None:
    def failing_lookup(domain: str) -> MailDomainStatus:
        raise OSError("network unreachable")

    check = check_contact(email="eva@fabrikam.nl", phone=None, country="NL", domain_status=failing_lookup)
    assert check.email_validity == EmailValidity.UNKNOWN
    assert check.quality == Quality.HIGH


def test_the_disposable_list_is_the_maintained_package() -> None:
    assert len(DISPOSABLE_DOMAINS) > 1000
    assert "mailinator.com" in DISPOSABLE_DOMAINS
    assert all(domain == domain.lower() for domain in DISPOSABLE_DOMAINS)


@pytest.mark.parametrize("domain", ["gmail.com", "outlook.com", "contoso.onmicrosoft.com", "fabrikam.co.uk"])
def test_ordinary_mail_domains_are_not_disposable(domain: str) -> None:
    check = check_email(f"eva@{domain}")
    assert check.spam_flags == ()
    assert check.quality == Quality.HIGH


# --- other fields ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "flags"),
    [
        (("Eva", "de Vries", "Fabrikam BV", "We want a demo for 200 seats."), ()),
        (("Test Test",), (T,)),
        (("Test", "Test", "Fabrikam BV"), (T,)),
        (("Test", "User"), (T,)),
        (("asdf", "de Vries"), (T,)),
        (("Eva", "aaaa"), (T,)),
        (("Eva", "Test123"), (T,)),
        # a real surname and ordinary company names stay clean
        (("Anna", "Test", "Fabrikam BV"), ()),
        (("Eva", "de Vries", "Test Automation BV"), ()),
        (("Eva", "de Vries", "Demo"), ()),
        (("Eva", "Henry III", "XYZ Corp"), ()),
        # marketplace test leads, anywhere and in any case
        (("MSFT_TEST", "de Vries"), (M,)),
        (("Eva", "de Vries", "Fabrikam", "This is a msft_test lead, please ignore."), (M,)),
        (("Eva", None, "", "x" * 10_000 + "MSFT_TEST"), (M,)),
        ((None, None), ()),
    ],
)
def test_other_fields_are_scanned_for_test_markers(
    texts: tuple[str | None, ...], flags: tuple[SpamFlag, ...]
) -> None:
    check = check_email("eva@fabrikam.nl", texts=texts)
    assert check.spam_flags == tuple(sorted(flags))


def test_flags_are_sorted_and_unique() -> None:
    check = check_contact(
        email="test.MSFT_TEST@mailinator.com",
        phone=None,
        country="NL",
        texts=("MSFT_TEST", "Test Test", "msft_test"),
        spam_domains=frozenset({"mailinator.com"}),
    )
    assert check.spam_flags == ("disposable_domain", "spam_domain", "test_lead", "test_pattern")
    assert check.email_validity == EmailValidity.SPAM


# --- phone -------------------------------------------------------------------------------

PHONE_CASES = [
    # written nationally, parsed with the lead's country
    ("020 794 0000", "NL", PhoneValidity.VALID, "+31207940000"),
    ("06 12345678", "NL", PhoneValidity.VALID, "+31612345678"),
    ("030 901820", "DE", PhoneValidity.VALID, "+4930901820"),
    ("01 42 68 53 00", "FR", PhoneValidity.VALID, "+33142685300"),
    ("03-1234-5678", "JP", PhoneValidity.VALID, "+81312345678"),
    ("02 9374 4000", "AU", PhoneValidity.VALID, "+61293744000"),
    ("(11) 2345-6789", "BR", PhoneValidity.VALID, "+551123456789"),
    ("098765 43210", "IN", PhoneValidity.VALID, "+919876543210"),
    ("912 345 678", "ES", PhoneValidity.VALID, "+34912345678"),
    ("020 7946 0958", "GB", PhoneValidity.VALID, "+442079460958"),
    # international form; the country does not have to match
    ("+31 20 794 0000", "NL", PhoneValidity.VALID, "+31207940000"),
    ("+31 20 794 0000", "DE", PhoneValidity.VALID, "+31207940000"),
    ("0031 20 794 0000", "DE", PhoneValidity.VALID, "+31207940000"),
    ("+49 30 901820", None, PhoneValidity.VALID, "+4930901820"),
    ("+31 (0)20 794 0000", "NL", PhoneValidity.VALID, "+31207940000"),
    ("+31 20 794 0000 ext. 12", "NL", PhoneValidity.VALID, "+31207940000"),
    # +44 is shared by GB, Guernsey, Isle of Man and Jersey
    ("+44 20 7946 0958", "GB", PhoneValidity.VALID, "+442079460958"),
    ("+44 1481 256789", "GB", PhoneValidity.VALID, "+441481256789"),  # Guernsey
    ("+44 7781 123456", "GB", PhoneValidity.VALID, "+447781123456"),  # Guernsey mobile
    ("+44 1624 612345", "GB", PhoneValidity.VALID, "+441624612345"),  # Isle of Man
    ("+44 1534 712345", "GB", PhoneValidity.VALID, "+441534712345"),  # Jersey
    ("01534 712345", "GB", PhoneValidity.VALID, "+441534712345"),
    # +1 is shared by the NANP countries
    ("(212) 555-0123", "US", PhoneValidity.VALID, "+12125550123"),
    ("+1 416 555 0199", "US", PhoneValidity.VALID, "+14165550199"),  # Toronto on a US lead
    ("613-555-0123", "CA", PhoneValidity.VALID, "+16135550123"),
    ("201-555-0123", "CA", PhoneValidity.VALID, "+12015550123"),  # New Jersey on a CA lead
    ("020 794 0000", "nl", PhoneValidity.VALID, "+31207940000"),
    # missing
    (None, "NL", PhoneValidity.UNKNOWN, None),
    ("", "NL", PhoneValidity.UNKNOWN, None),
    (" \t", "NL", PhoneValidity.UNKNOWN, None),
    # written nationally without a usable country: cannot be shown valid for any plan
    ("020 794 0000", None, PhoneValidity.INVALID, None),
    ("020 794 0000", "XX", PhoneValidity.INVALID, None),
    # not valid for its numbering plan
    ("123", "NL", PhoneValidity.INVALID, None),
    ("020 794", "NL", PhoneValidity.INVALID, None),
    ("020 794 0000 0000", "NL", PhoneValidity.INVALID, None),
    ("+31 12 345 6789", "NL", PhoneValidity.INVALID, None),
    ("555-0123", "US", PhoneValidity.INVALID, None),
    ("+1 123 456 7890", "US", PhoneValidity.INVALID, None),
    ("+999 123 456", "NL", PhoneValidity.INVALID, None),
    ("0000000000", "DE", PhoneValidity.INVALID, None),
    ("+", "NL", PhoneValidity.INVALID, None),
    # letters
    ("call me", "NL", PhoneValidity.INVALID, None),
    ("n/a", "NL", PhoneValidity.INVALID, None),
    ("+31 20 ABC DEFG", "NL", PhoneValidity.INVALID, None),
    ("1-800-FLOWERS", "US", PhoneValidity.INVALID, None),
    # hostile
    ("+31 20 794 0000\x00", "NL", PhoneValidity.INVALID, None),
    ("\u202e+31 20 794 0000", "NL", PhoneValidity.INVALID, None),
    ("+31 20 794 0000 📞", "NL", PhoneValidity.INVALID, None),
    ("+31\u200b20 794 0000", "NL", PhoneValidity.INVALID, None),
    ("+31 20 794 0000\x07", "NL", PhoneValidity.INVALID, None),
    ("1" * 10_000, "NL", PhoneValidity.INVALID, None),
    ("+31 20 794 0000" + " " * 60 + "0", "NL", PhoneValidity.INVALID, None),
]


@pytest.mark.parametrize(("phone", "country", "validity", "e164"), PHONE_CASES)
def test_phone(phone: str | None, country: str | None, validity: PhoneValidity, e164: str | None) -> None:
    check = check_contact(email=None, phone=phone, country=country)
    assert check.phone_validity == validity
    assert check.phone_e164 == e164
    assert check_phone(phone, country) == (validity, e164)


# --- quality -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "phone", "dns", "quality"),
    [
        ("eva@fabrikam.nl", "020 794 0000", True, Quality.HIGH),  # Valid, Valid
        ("eva@fabrikam.nl", "020 794 0000", False, Quality.HIGH),  # Unknown email alone stays High
        ("eva@flaky-resolver.nl", None, True, Quality.HIGH),  # Unknown, Unknown
        (None, None, False, Quality.HIGH),  # nothing to judge
        ("eva@fabrikam.nl", "123", True, Quality.HIGH),  # a bad phone is not a spam signal
        ("eva@no-such-domain.nl", "020 794 0000", True, Quality.LOW),  # Invalid
        ("eva@", "020 794 0000", False, Quality.LOW),  # Invalid syntax
        ("eva@mailinator.com", "020 794 0000", False, Quality.LOW),  # Spam
        ("info@fabrikam.nl", "020 794 0000", True, Quality.LOW),  # Valid but flagged
    ],
)
def test_quality(email: str | None, phone: str | None, dns: bool, quality: Quality) -> None:
    check = check_contact(
        email=email,
        phone=phone,
        country="NL",
        spam_domains=SPAM_DOMAINS,
        domain_status=dns_stub if dns else None,
    )
    assert check.quality == quality


def test_a_clean_lead_end_to_end() -> None:
    check = check_contact(
        email="eva@fabrikam.nl",
        phone="+31 20 794 0000",
        country="NL",
        texts=("Eva", "de Vries", "Fabrikam BV", "CIO", "We want a demo for 200 seats."),
        spam_domains=SPAM_DOMAINS,
        domain_status=dns_stub,
    )
    assert check == ContactCheck(
        email_validity=EmailValidity.VALID,
        phone_validity=PhoneValidity.VALID,
        phone_e164="+31207940000",
        spam_flags=(),
        quality=Quality.HIGH,
    )


# --- never raises ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    email=st.one_of(st.none(), st.text(max_size=300), st.emails().map(str)),
    phone=st.one_of(st.none(), st.text(max_size=80), st.from_regex(r"\+?[0-9 ()-]{1,20}", fullmatch=True)),
    country=st.one_of(st.none(), st.text(max_size=3)),
    texts=st.lists(st.one_of(st.none(), st.text(max_size=100)), max_size=4),
)
def test_any_input_gives_a_result_never_an_exception(
    email: str | None, phone: str | None, country: str | None, texts: list[str | None]
) -> None:
    check = check_contact(
        email=email,
        phone=phone,
        country=country,
        texts=texts,
        spam_domains=SPAM_DOMAINS,
        domain_status=dns_stub,
    )
    assert check.email_validity in EmailValidity
    assert check.phone_validity in PhoneValidity
    assert (check.phone_e164 is not None) == (check.phone_validity == PhoneValidity.VALID)
    assert list(check.spam_flags) == sorted(set(check.spam_flags))
    expected_low = bool(check.spam_flags) or check.email_validity in (
        EmailValidity.INVALID,
        EmailValidity.SPAM,
    )
    assert check.quality == (Quality.LOW if expected_low else Quality.HIGH)


def test_values_of_the_wrong_type_are_invalid_not_an_error() -> None:
    odd: object = 31207940000
    check = check_contact(email=odd, phone=odd, country=odd, texts=(odd, ["Test"]))  # type: ignore[arg-type]
    assert check.email_validity == EmailValidity.INVALID
    assert check.phone_validity == PhoneValidity.INVALID
    assert check.spam_flags == ()
