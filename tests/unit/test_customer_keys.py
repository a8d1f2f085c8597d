"""Customer keys of related leads: normalisation (table-driven and property-based) and hashing."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.customer_keys import (
    LEGAL_FORMS,
    RelatedLeads,
    customer_keys,
    email_domain,
    normalise_company,
    normalise_email,
    normalise_phone,
)
from shared.domain.enums import LeadType, Qualification, Stage, Status
from shared.domain.lead import Customer, Lead

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def lead(lead_id: str = "1" * 13 + "a" * 10, **customer: str | None) -> Lead:
    fields: dict[str, str | None] = {
        "company": "Fabrikam BV",
        "email": "eva@fabrikam.nl",
        "phone": "+31 20 794 0000",
        "country": "NL",
        **customer,
    }
    return Lead(
        id=lead_id,
        partner_id="contoso",
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        customer=Customer.model_validate(fields),
        stage=Stage.RECEIVED,
        status=Status.RECEIVED,
        created_date_time=NOW,
        updated_date_time=NOW,
    )


@pytest.mark.parametrize(
    ("company", "normalised"),
    [
        ("Fabrikam BV", "fabrikam"),
        ("Fabrikam B.V.", "fabrikam"),
        ("fabrikam b.v", "fabrikam"),
        ("FABRIKAM", "fabrikam"),
        ("Fabrikam GmbH & Co. KG", "fabrikam"),
        ("Fabrikam Ltd.", "fabrikam"),
        ("Fabrikam, Inc.", "fabrikam"),
        ("Fabrikam N.V.", "fabrikam"),
        ("Fabrikam S.A.", "fabrikam"),
        ("Fabrikam S.A.S.", "fabrikam"),
        ("Fabrikam LLC", "fabrikam"),
        ("Société Générale SA", "societe generale"),
        ("Müller GmbH", "muller"),
        ("  Contoso   Pharma  Ltd ", "contoso pharma"),
        ("Café-Bar De Zon B.V.", "cafe bar de zon"),
        ("Air A", "air a"),
        ("A B Consulting", "ab consulting"),
        ("BV", "bv"),  # a name that is only a legal form keeps it: something must identify it
        ("", None),
        ("...", None),
        (None, None),
    ],
)
def test_company_names_are_normalised(company: str | None, normalised: str | None) -> None:
    assert normalise_company(company) == normalised


@pytest.mark.parametrize(
    ("email", "normalised", "domain"),
    [
        ("Eva@Fabrikam.NL", "eva@fabrikam.nl", "fabrikam.nl"),
        ("  eva@fabrikam.nl ", "eva@fabrikam.nl", "fabrikam.nl"),
        ("not-an-address", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_email_addresses_are_normalised(
    email: str | None, normalised: str | None, domain: str | None
) -> None:
    assert normalise_email(email) == normalised
    assert email_domain(email) == domain


@pytest.mark.parametrize(
    ("phone", "country", "e164"),
    [
        ("+31 20 794 0000", "NL", "+31207940000"),
        ("020 794 0000", "NL", "+31207940000"),
        ("(020) 794-0000", "NL", "+31207940000"),
        ("+31207940000", None, "+31207940000"),
        ("12345", "NL", None),
        (None, "NL", None),
    ],
)
def test_phone_numbers_are_keyed_in_e164(phone: str | None, country: str | None, e164: str | None) -> None:
    assert normalise_phone(phone, country) == e164


def test_the_same_customer_written_differently_has_the_same_keys() -> None:
    first = lead()
    second = lead(company="FABRIKAM B.V.", email="EVA@fabrikam.nl", phone="020-7940000")
    assert customer_keys(first) == customer_keys(second)
    assert len(customer_keys(first)) == 3


def test_each_key_relates_on_its_own() -> None:
    base = set(customer_keys(lead()))
    same_email = set(customer_keys(lead(company="Other", phone=None)))
    same_phone = set(customer_keys(lead(company="Other", email="x@other.example")))
    same_company_domain = set(customer_keys(lead(email="jan@fabrikam.nl", phone=None)))
    stranger = set(customer_keys(lead(company="Other", email="x@other.example", phone="+49 30 901820")))
    assert len(base & same_email) == 1
    assert len(base & same_phone) == 1
    assert len(base & same_company_domain) == 1
    assert not base & stranger


def test_a_company_without_an_email_domain_gives_no_company_key() -> None:
    assert len(customer_keys(lead(email=None, phone=None))) == 0


def test_rows_hold_no_contact_details_in_clear() -> None:
    subject = lead()
    rows = list(RelatedLeads().index_rows(subject))
    assert len(rows) == 3 and list(RelatedLeads().tallies(subject)) == []
    text = " ".join(row.row_key for row in rows).casefold()
    for secret in ("eva", "fabrikam", "31207940000", "7940000"):
        assert secret not in text
    assert all(row.row_key.startswith("cust|") and row.row_key.endswith(subject.id) for row in rows)


def test_an_expired_lead_without_contact_details_has_no_rows() -> None:
    expired = lead().model_copy(update={"customer": lead().customer.without_contact_details()})
    assert list(RelatedLeads().index_rows(expired)) == []


# --- properties of the company normaliser --------------------------------------------------

names = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=40)


@given(names)
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_company(name)
    assert normalise_company(once) == once


@given(names)
def test_case_and_surrounding_space_do_not_matter(name: str) -> None:
    assert normalise_company(f"  {name.casefold()} ") == normalise_company(name)


@given(names, st.sampled_from(sorted(LEGAL_FORMS)))
def test_a_legal_form_after_a_name_is_dropped(name: str, form: str) -> None:
    base = normalise_company(name)
    if base is None or base.split()[-1] in LEGAL_FORMS or len(base.split()[-1]) == 1:
        return  # a name ending in a legal form loses it too; a single letter joins the form
    assert normalise_company(f"{name} {form.upper()}") == base


@given(names)
def test_accents_do_not_matter(name: str) -> None:
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    assert normalise_company(name) == normalise_company(bare)


@given(names)
def test_the_result_is_lower_case_words_without_punctuation(name: str) -> None:
    result = normalise_company(name)
    if result is not None:
        assert result == result.casefold()
        assert result == " ".join(result.split())
        assert all(char.isalnum() or char == " " for char in result)
