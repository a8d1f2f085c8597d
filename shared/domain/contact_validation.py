"""Contact validation: email and phone validity, spam flags and lead quality (contract §4).

Pure: no I/O, no clock. The only outside knowledge, whether a mail domain accepts
mail, comes in through `domain_status` (a DNS look-up in production, a plain
function in tests, None when the deliverability check is off).

Order of the email checks: length and character screening, syntax (email-validator,
without its own DNS), spam domains (disposable list and SPAM_DOMAINS, matched on the
ASCII/IDNA form of the domain and every parent domain), and only then DNS, so an
address already known to be spam never causes a look-up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import idna
import phonenumbers
from disposable_email_domains import blocklist as _disposable_blocklist
from email_validator import EmailNotValidError, validate_email

from shared.domain.enums import EmailValidity, PhoneValidity, Quality, SpamFlag

# RFC 5321 path limit; anything longer cannot be delivered, and capping before parsing
# keeps hostile 10 KB strings cheap.
MAX_EMAIL_LENGTH = 254
# Generous: the longest real numbers with an extension stay far below this.
MAX_PHONE_LENGTH = 64
# Names and company names are short; longer texts (notes) are only scanned for MSFT_TEST.
_MAX_NAME_FIELD_LENGTH = 64

# The marketplace marks its test leads with this marker in the contact fields.
# Matched in lower-cased text.
_MSFT_TEST_MARKER = "msft_test"


class MailDomainStatus(StrEnum):
    """Result of a mail-domain look-up."""

    ACCEPTS_MAIL = "AcceptsMail"
    NO_MAIL = "NoMail"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class ContactCheck:
    email_validity: EmailValidity
    phone_validity: PhoneValidity
    phone_e164: str | None
    spam_flags: tuple[str, ...]
    quality: Quality


DomainStatusLookup = Callable[[str], MailDomainStatus]

# The maintained community list of throwaway-mailbox providers (package pinned in
# requirements.txt). Entries are lower-case ASCII (IDNA) domain names.
DISPOSABLE_DOMAINS: frozenset[str] = frozenset(_disposable_blocklist)

# Mailboxes of a function, not a person. Compared after lower-casing, dropping a
# `+tag` and removing `.`, `-` and `_`, so `no-reply`, `no.reply` and `noreply` are one.
ROLE_LOCAL_PARTS: frozenset[str] = frozenset(
    {
        "abuse",
        "accounting",
        "accounts",
        "admin",
        "administrator",
        "billing",
        "careers",
        "contact",
        "contactus",
        "customercare",
        "customerservice",
        "donotreply",
        "enquiries",
        "enquiry",
        "feedback",
        "finance",
        "hello",
        "help",
        "helpdesk",
        "hostmaster",
        "hr",
        "info",
        "information",
        "inquiries",
        "inquiry",
        "invoice",
        "invoices",
        "it",
        "jobs",
        "legal",
        "mail",
        "mailerdaemon",
        "marketing",
        "media",
        "newsletter",
        "noreply",
        "notifications",
        "office",
        "orders",
        "postmaster",
        "press",
        "privacy",
        "reception",
        "root",
        "sales",
        "security",
        "service",
        "support",
        "sysadmin",
        "team",
        "webmaster",
        # Common German, Dutch, French and Spanish equivalents.
        "administratie",
        "boekhouding",
        "buchhaltung",
        "buero",
        "contacto",
        "kontakt",
        "receptie",
        "secretariaat",
        "verkauf",
        "verkoop",
        "vertrieb",
        "ventas",
    }
)

# Placeholder local parts: the word, optionally repeated, optionally followed by digits
# (`test`, `test1`, `testtest`, `asdf123`), on the same normalized form as role parts.
_TEST_LOCAL_PART = re.compile(
    r"(?:test|testing|tester|testuser|asdf|asdfgh|qwerty|qwertz|azerty|fake|dummy|foo|foobar"
    r"|sample|example|nobody|noemail|nomail|none|null)+\d*"
)
# A single letter repeated: `aaa`, `xxxx`.
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1{2,}")

# Reserved for documentation and testing (RFC 2606, RFC 6761) and placeholder domains
# that no customer has a mailbox at. Subdomains match too.
TEST_DOMAINS: frozenset[str] = frozenset(
    {"example.com", "example.net", "example.org", "example.edu", "test.com", "domain.com", "yourdomain.com"}
)
TEST_TOP_LEVEL_DOMAINS: frozenset[str] = frozenset({"test", "example", "invalid", "localhost", "local"})

# Words that make a name or company field a placeholder. A strong word alone is enough
# (`asdf`, `Test123`); weak words are also real surnames or ordinary words, so they count
# only twice (`Test Test`, `Test User`, first name `Test` and last name `Test`).
_STRONG_TEST_WORD = re.compile(r"asdf\w*|qwert[yz]?|azerty|(?:test){2,}\d*|test\d+|([^\W\d_])\1{2,}")
_WEAK_TEST_WORDS: frozenset[str] = frozenset(
    {"test", "testing", "tester", "demo", "sample", "example", "user", "dummy", "fake", "foo", "bar"}
)
_WORD = re.compile(r"[^\W_]+")

# Unicode categories that have no place in an email address or a phone number:
# controls (incl. NUL), format characters (RTL/LTR marks and overrides, zero-width
# joiners), surrogates, private use, unassigned, and other symbols (emoji).
_HOSTILE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "So"})
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# An extension at the end of a phone number: the only place letters are acceptable.
_PHONE_EXTENSION_SUFFIX = re.compile(r"(?:ext(?:ension|n)?\.?|x|#)\s*\d{1,7}\s*$", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_SURROUNDING_WHITESPACE = " \t\r\n"


def check_contact(
    *,
    email: str | None,
    phone: str | None,
    country: str | None,
    texts: Iterable[str | None] = (),
    spam_domains: frozenset[str] = frozenset(),
    domain_status: DomainStatusLookup | None = None,
) -> ContactCheck:
    """Validate one lead's contact details. Never raises, whatever the input."""
    flags: set[SpamFlag] = set()
    email_validity = _check_email(email, spam_domains, domain_status, flags)
    phone_validity, phone_e164 = check_phone(phone, country)
    _flag_texts(texts, flags)
    quality = (
        Quality.LOW
        if flags or email_validity in (EmailValidity.INVALID, EmailValidity.SPAM)
        else Quality.HIGH
    )
    return ContactCheck(
        email_validity=email_validity,
        phone_validity=phone_validity,
        phone_e164=phone_e164,
        spam_flags=tuple(sorted(flags)),
        quality=quality,
    )


# --- email ---------------------------------------------------------------------------


def _check_email(
    email: str | None,
    spam_domains: frozenset[str],
    domain_status: DomainStatusLookup | None,
    flags: set[SpamFlag],
) -> EmailValidity:
    if email is None:
        return EmailValidity.UNKNOWN
    if not isinstance(email, str):
        return EmailValidity.INVALID
    candidate = email.strip(_SURROUNDING_WHITESPACE)
    if not candidate:
        # No address is not a wrong address: nothing was checked (like a missing phone).
        return EmailValidity.UNKNOWN
    if _MSFT_TEST_MARKER in candidate.lower():
        flags.add(SpamFlag.TEST_LEAD)
    if len(candidate) > MAX_EMAIL_LENGTH or _has_hostile_character(candidate):
        return EmailValidity.INVALID
    # Placeholder patterns are judged on the text as typed, so `test@foo.test` is flagged
    # even though its reserved domain also makes it syntactically unusable.
    local_part, at_sign, domain = candidate.rpartition("@")
    typed_local, typed_domain = _normalize_local_part(local_part), domain.lower()
    if at_sign and (_is_test_local_part(typed_local) or _is_test_domain(typed_domain)):
        flags.add(SpamFlag.TEST_PATTERN)
    try:
        address = validate_email(
            candidate,
            check_deliverability=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            globally_deliverable=True,
        )
    except (EmailNotValidError, ValueError, UnicodeError):
        return EmailValidity.INVALID
    ascii_domain = address.ascii_domain
    normalized_local = _normalize_local_part(address.local_part)
    if normalized_local in ROLE_LOCAL_PARTS:
        flags.add(SpamFlag.ROLE_ADDRESS)
    # Again on the normalized form only when it differs from what was typed
    # (Unicode normalization, full-width letters in an IDN domain).
    if (normalized_local != typed_local or ascii_domain != typed_domain) and (
        _is_test_local_part(normalized_local) or _is_test_domain(ascii_domain)
    ):
        flags.add(SpamFlag.TEST_PATTERN)

    is_spam = False
    if _matches_domain_or_parent(ascii_domain, DISPOSABLE_DOMAINS):
        flags.add(SpamFlag.DISPOSABLE_DOMAIN)
        is_spam = True
    if spam_domains and _matches_domain_or_parent(ascii_domain, _normalized_spam_domains(spam_domains)):
        flags.add(SpamFlag.SPAM_DOMAIN)
        is_spam = True
    if is_spam:
        return EmailValidity.SPAM

    if domain_status is None:
        # Check `off`: well-formed, but deliverability was not checked.
        return EmailValidity.UNKNOWN
    try:
        status = domain_status(ascii_domain)
    except Exception:
        # A look-up that blew up is a resolver failure, which the contract calls Unknown.
        status = MailDomainStatus.UNKNOWN
    if status == MailDomainStatus.ACCEPTS_MAIL:
        return EmailValidity.VALID
    if status == MailDomainStatus.NO_MAIL:
        return EmailValidity.INVALID
    return EmailValidity.UNKNOWN


def _normalize_local_part(local_part: str) -> str:
    base = local_part.lower().split("+", 1)[0]
    return base.replace(".", "").replace("-", "").replace("_", "")


def _is_test_local_part(normalized_local: str) -> bool:
    return bool(_TEST_LOCAL_PART.fullmatch(normalized_local) or _REPEATED_LETTER.fullmatch(normalized_local))


def _is_test_domain(domain: str) -> bool:
    if not domain:
        return False
    top_level = domain.rsplit(".", 1)[-1]
    return top_level in TEST_TOP_LEVEL_DOMAINS or _matches_domain_or_parent(domain, TEST_DOMAINS)


def _matches_domain_or_parent(domain: str, listed: frozenset[str]) -> bool:
    """True when `domain` or any parent of it is listed: walks the labels, no list scan."""
    start = 0
    while True:
        if domain[start:] in listed:
            return True
        start = domain.find(".", start) + 1
        if start == 0:
            return False


@lru_cache(maxsize=8)
def _normalized_spam_domains(spam_domains: frozenset[str]) -> frozenset[str]:
    """SPAM_DOMAINS in the same ASCII/IDNA form as the address domains they are matched to."""
    normalized: set[str] = set()
    for entry in spam_domains:
        domain = entry.strip().lower().lstrip("@").removeprefix("*.").rstrip(".")
        if not domain:
            continue
        try:
            normalized.add(idna.encode(domain, uts46=True).decode("ascii"))
        except (idna.IDNAError, UnicodeError, ValueError):
            normalized.add(domain)
    return frozenset(normalized)


# --- phone ---------------------------------------------------------------------------


def check_phone(phone: str | None, country: str | None) -> tuple[PhoneValidity, str | None]:
    """Validity of a phone number and its E.164 form when valid.

    Valid means valid for its own numbering plan: a +44 Guernsey number on a GB lead
    and a +1 Canadian number on a US lead are valid, and so is a foreign number.
    """
    if phone is None:
        return PhoneValidity.UNKNOWN, None
    if not isinstance(phone, str):
        return PhoneValidity.INVALID, None
    candidate = phone.strip(_SURROUNDING_WHITESPACE)
    if not candidate:
        return PhoneValidity.UNKNOWN, None
    if len(candidate) > MAX_PHONE_LENGTH or _has_hostile_character(candidate):
        return PhoneValidity.INVALID, None
    # phonenumbers turns letters into digits (vanity numbers); a customer's own number
    # with letters in it is a typo or junk, except in an extension suffix.
    if _LETTER.search(candidate) and _LETTER.search(_PHONE_EXTENSION_SUFFIX.sub("", candidate)):
        return PhoneValidity.INVALID, None
    region = _phone_region(country)
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        # Includes a nationally written number with no usable country: the contract
        # calls every number that cannot be shown valid for its plan Invalid.
        return PhoneValidity.INVALID, None
    except Exception:
        # The parser's contract is NumberParseException; anything else on odd input
        # must still not fail the lead.
        return PhoneValidity.INVALID, None
    if not phonenumbers.is_valid_number(number):
        return PhoneValidity.INVALID, None
    return PhoneValidity.VALID, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_region(country: str | None) -> str | None:
    if not country or not isinstance(country, str):
        return None
    region = country.strip().upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


# --- shared screening ------------------------------------------------------------------


def _has_hostile_character(text: str) -> bool:
    if text.isascii():
        return _ASCII_CONTROL.search(text) is not None
    return any(unicodedata.category(ch) in _HOSTILE_CATEGORIES for ch in text)


def _flag_texts(texts: Iterable[str | None], flags: set[SpamFlag]) -> None:
    """Scan the lead's other fields: MSFT_TEST anywhere, placeholder names in short fields."""
    weak_test_fields = 0
    for text in texts:
        if not text or not isinstance(text, str):
            continue
        lowered = text.lower()
        if _MSFT_TEST_MARKER in lowered:
            flags.add(SpamFlag.TEST_LEAD)
        if len(text) > _MAX_NAME_FIELD_LENGTH:
            continue
        words = _WORD.findall(lowered)
        if not words or not all(_is_test_word(word) for word in words):
            continue
        if len(words) > 1 or _STRONG_TEST_WORD.fullmatch(words[0]):
            flags.add(SpamFlag.TEST_PATTERN)
            continue
        weak_test_fields += 1
        if weak_test_fields >= 2:
            flags.add(SpamFlag.TEST_PATTERN)


def _is_test_word(word: str) -> bool:
    return word in _WEAK_TEST_WORDS or _STRONG_TEST_WORD.fullmatch(word) is not None
