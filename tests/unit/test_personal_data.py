"""Scrubbing a contact's details out of free text: table-driven cases and properties."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.domain.personal_data import (
    Scrubber,
    phone_region,
    remove_email_addresses,
    remove_phone_numbers,
)

EVA = Scrubber.for_contact("NL", ("Eva de Vries", "Eva", "de Vries", "eva@fabrikam.nl", "+31207940000"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail eva@fabrikam.nl please", "mail [removed] please"),
        ("mail eva@fabrikam.nl.", "mail [removed]."),
        ("(private.person+crm@gmail.com)", "([removed])"),
        ("<Eva.de.Vries@Fabrikam.co.uk>, thanks", "<[removed]>, thanks"),
        ('"o\'brien@example.ie"', '"[removed]"'),
        ("x@y@z.nl", "[removed][removed]"),
        ("jürgen@müller.de und", "[removed] und"),
        ("mailto:eva@fabrikam.nl?subject=x", "mailto:[removed]"),
        ("user@localhost is fine", "[removed] is fine"),
        ("we want 20 seats @ 5 EUR", "we want 20 seats @ 5 EUR"),
        ("no address here.", "no address here."),
        ("", ""),
    ],
)
def test_email_addresses_are_removed(text: str, expected: str) -> None:
    assert remove_email_addresses(text) == expected


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("call +31 6 12345678 today", "NL", "call [removed] today"),
        ("call 06-12345678 today", "NL", "call [removed] today"),
        ("bel (020) 794 0000 of 020-7940000", "NL", "bel [removed] of [removed]"),
        ("tel: +31207940000.", "NL", "tel: [removed]."),
        ("0031 20 794 0000", "NL", "[removed]"),
        ("call +1 415-555-2671 ext. 12", "US", "call [removed]"),
        ("ring 030 901820 morgen", "DE", "ring [removed] morgen"),
        # International numbers are found whatever the lead's country, or without one.
        ("my cell is +44 7911 123456", None, "my cell is [removed]"),
        ("my cell is +44 7911 123456", "NL", "my cell is [removed]"),
        # Not phone numbers: a date, a small quantity, a year.
        ("demo on 2026-12-01 for 200 seats in 2027", "NL", "demo on 2026-12-01 for 200 seats in 2027"),
        ("wir brauchen 40 Server und 1500 Lizenzen", "DE", "wir brauchen 40 Server und 1500 Lizenzen"),
        # Without a region a national number is not the matcher's, yet it goes.
        ("bel 06-12345678 of (020) 794.0000", None, "bel [removed] of ([removed]"),
        # Where the matcher stops early, on a text full of numbers, nothing long is left either.
        (" ".join(f"{n:05d}" for n in range(400)) + " call 0612345678", "NL", "[removed] call [removed]"),
    ],
)
def test_phone_numbers_are_removed(text: str, region: str | None, expected: str) -> None:
    assert remove_phone_numbers(text, region) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi, this is Eva de Vries: call me at +31 6 12345678 or mail private.person@gmail.com.",
            "Hi, this is [removed]: call me at [removed] or mail [removed].",
        ),
        ("EVA  DE\nVRIES asked for a demo", "[removed] asked for a demo"),
        ("Evaluation planned; ask eva.", "Evaluation planned; ask [removed]."),
        ("reach me on 020 794 0000", "reach me on [removed]"),
        ("We want a demo for 200 seats.", "We want a demo for 200 seats."),
    ],
)
def test_the_contacts_own_details_are_removed(text: str, expected: str) -> None:
    assert EVA.text(text) == expected


def test_details_are_scrubbed_at_any_depth_and_keys_and_other_values_kept() -> None:
    details = {
        "notes": "call +31 6 12345678",
        "changes": {"notes": {"from": "mail eva@fabrikam.nl", "to": "done"}},
        "list": ["Eva de Vries", 3, None, True],
        "quality": "High",
    }
    assert EVA.value(details) == {
        "notes": "call [removed]",
        "changes": {"notes": {"from": "mail [removed]", "to": "done"}},
        "list": ["[removed]", 3, None, True],
        "quality": "High",
    }


def test_without_a_known_country_the_contacts_own_number_gives_the_plan() -> None:
    assert phone_region("nl ") == "NL"
    assert phone_region(None, "+31 6 12345678") == "NL"
    assert phone_region("XX", "+44 20 7946 0000") == "GB"
    assert phone_region(None, "06 12345678") is None
    assert phone_region(None, "+999 not a number") is None
    assert Scrubber.for_contact("XX", phone="+31 6 12345678").region == "NL"


def test_short_or_marker_like_known_values_are_not_searched_for() -> None:
    scrubber = Scrubber.for_contact("NL", ("E", "Removed", None, ""))
    assert scrubber.known is None
    assert scrubber.text("E removed") == "E removed"


# --- properties ---------------------------------------------------------------------------

# Text around a detail: words and punctuation, separated from it by a space.
_filler = st.text(alphabet=st.characters(categories=["L", "Zs", "P"], exclude_characters="@"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(before=_filler, address=st.emails(), after=_filler)
@example(before="", address="a@b.co", after="")
@example(before="x@y", address="a@b.co", after="@c.de")
def test_no_address_survives(before: str, address: str, after: str) -> None:
    scrubbed = EVA.text(f"{before} {address} {after}")
    assert address not in scrubbed
    assert address.casefold() not in scrubbed.casefold()


def _numbers() -> st.SearchStrategy[phonenumbers.PhoneNumber]:
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)

    def example_of(region: str, kind: int) -> phonenumbers.PhoneNumber | None:
        return phonenumbers.example_number_for_type(region, kind)

    kinds = st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
    return st.builds(example_of, st.sampled_from(regions), kinds).filter(lambda n: n is not None)


_FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
]


@settings(max_examples=300, deadline=None)
@given(before=_filler, number=_numbers(), form=st.sampled_from(_FORMATS), after=_filler)
def test_no_number_survives_in_any_format(
    before: str, number: phonenumbers.PhoneNumber, form: int, after: str
) -> None:
    region = phonenumbers.region_code_for_number(number)
    written = phonenumbers.format_number(number, form)
    scrubbed = Scrubber.for_contact(region).text(f"{before} {written} {after}")
    assert written not in scrubbed
    national = phonenumbers.national_significant_number(number)
    assert national not in re.sub(r"\D", "", scrubbed)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=80) | st.builds(lambda a, b: f"{a} {b}", _filler, st.emails()),
    country=st.sampled_from(["NL", "DE", "US", "GB", None, "XX"]),
)
def test_scrubbing_twice_changes_nothing_more(text: str, country: str | None) -> None:
    scrubber = Scrubber.for_contact(country, ("Eva", "de Vries"))
    once = scrubber.text(text)
    assert scrubber.text(once) == once
