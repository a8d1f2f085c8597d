"""Removing a customer's contact details from free text (contract §4: expired leads show none).

A customer writes "call me at +31 6 1234 5678 or mail eva@fabrikam.nl" into the text of a lead.
When the lead expires its contact fields are cleared; this module clears the same details out of
the text around them: email addresses, phone numbers (found by `phonenumbers`' matcher, with the
lead's country for nationally written numbers), and the contact's own name and details wherever
they appear. Each is replaced by a neutral marker. Pure: no I/O.

Over-removal is the safe side: a text whose only use left is the record of an expired lead may
lose an order number that looked like a phone number, never a customer's address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers

REMOVED = "[removed]"

# Characters that cannot be part of an address in running text: whitespace and the brackets,
# quotes and separators that surround one. Everything else counts, so Unicode mailboxes and
# domains, `+tags` and the other RFC 5322 atext characters are covered.
_NOT_ADDRESS = r"\s@<>()\[\]{}\\,;:\"“”‘’«»"
_ADDRESS_CHAR = rf"[^{_NOT_ADDRESS}]"
# An address ends before a sentence's closing punctuation: "mail eva@fabrikam.nl." keeps its full stop.
_ADDRESS_END = rf"[^{_NOT_ADDRESS}.!?'`|]"
# A mailbox, `@`, a domain. The mailbox may be empty, so every `@` followed by a domain goes,
# even one whose mailbox was taken by an earlier match ("a@b@c.nl"). A mailbox starts only where
# a run of address characters starts (the lookbehind): otherwise every position inside a long
# run without `@` would scan the rest of it again, quadratic time on a long word.
EMAIL_PATTERN = re.compile(rf"(?:(?<!{_ADDRESS_CHAR}){_ADDRESS_CHAR}+)?@(?:{_ADDRESS_CHAR}*{_ADDRESS_END})")

# A calendar date that the lenient phone matcher would otherwise read as a number ("2026-11-29").
_ISO_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
# Matches with fewer digits than this are removed only when valid for their plan.
_SHORT_NUMBER_DIGITS = 7
# Known names shorter than this are not searched for in text: they would match ordinary words.
_MIN_KNOWN_LENGTH = 2
# The matcher costs milliseconds per number-like group it finds, so a text of thousands of them
# (32,000 characters of "12 x 345 x ...") would take tens of seconds. It stops after this many
# candidates, or this many found; what it leaves is caught by `_DIGIT_RUN`.
_MAX_PHONE_CANDIDATES = 100
_MAX_PHONE_MATCHES = 200
# Seven or more digits written the way phone numbers are (spaces, dots, dashes, slashes,
# parentheses between them): a phone number, or near enough to one to go. Linear: the separators
# and the digits never overlap.
_DIGIT_RUN = re.compile(r"\+?\d(?:[ \t.\-/()\u00a0]*\d){6,}")


def remove_email_addresses(text: str) -> str:
    return EMAIL_PATTERN.sub(REMOVED, text)


def phone_region(country: str | None, phone: str | None = None) -> str | None:
    """The numbering plan of nationally written numbers: the lead's country when phonenumbers
    knows it, else the country of the contact's own international number."""
    region = (country or "").strip().upper()
    if region in phonenumbers.SUPPORTED_REGIONS:
        return region
    if phone and phone.lstrip().startswith("+"):
        try:
            found = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            return None
        return found if found in phonenumbers.SUPPORTED_REGIONS else None
    return None


def remove_phone_numbers(text: str, region: str | None) -> str:
    """Every number the matcher can read as a possible phone number (international ones always,
    national ones when `region` says whose plan they follow), and any other run of seven or more
    digits but a date: the matcher does not see a national number without a region, and stops
    early on a text full of numbers."""
    spans: list[tuple[int, int]] = []
    matcher = phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.POSSIBLE, max_tries=_MAX_PHONE_CANDIDATES
    )
    for found, match in enumerate(matcher):
        if found >= _MAX_PHONE_MATCHES:
            break
        if _ISO_DATE.fullmatch(match.raw_string):
            continue
        # Some plans allow very short numbers ("40" is a possible German number): a short match
        # is taken only when it is a valid number, so quantities in the text stay.
        digits = sum(ch.isdigit() for ch in match.raw_string)
        if digits >= _SHORT_NUMBER_DIGITS or phonenumbers.is_valid_number(match.number):
            spans.append((match.start, match.end))
    for start, end in reversed(spans):
        text = text[:start] + REMOVED + text[end:]
    return _DIGIT_RUN.sub(_unless_date, text)


def _unless_date(match: re.Match[str]) -> str:
    return match.group() if _ISO_DATE.fullmatch(match.group()) else REMOVED


def _known_value_pattern(values: Iterable[str | None]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive occurrences of the contact's own details."""
    words = set()
    for value in values:
        if not isinstance(value, str):
            continue
        value = " ".join(value.split())
        # A value the marker itself contains would be found again in every marker.
        if len(value) < _MIN_KNOWN_LENGTH or value.casefold() in REMOVED.casefold():
            continue
        words.add(value)
    if not words:
        return None
    # Longest first, so "Eva de Vries" goes as one piece before "Eva" is tried; any whitespace
    # between the words of a value matches.
    alternatives = [r"\s+".join(map(re.escape, w.split())) for w in sorted(words, key=len, reverse=True)]
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Scrubber:
    """Removes one contact's details from text: any email address or phone number, and the
    contact's own name, address and number wherever they stand."""

    region: str | None
    known: re.Pattern[str] | None

    @classmethod
    def for_contact(
        cls, country: str | None, known: Iterable[str | None] = (), *, phone: str | None = None
    ) -> Scrubber:
        return cls(phone_region(country, phone), _known_value_pattern(known))

    def text(self, text: str) -> str:
        # Addresses first: the phone matcher must not take the digits out of one and leave the rest.
        text = remove_email_addresses(text)
        text = remove_phone_numbers(text, self.region)
        if self.known is not None:
            text = self.known.sub(REMOVED, text)
        return text

    def optional_text(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def value(self, value: Any) -> Any:
        """Every string inside JSON-like data (history details), keys kept."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
