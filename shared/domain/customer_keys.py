"""Who a lead's customer is, as keys that match the same customer's other leads (contract §11).

Two leads are related when they share the email address, the phone number in E.164, or the
company name together with the email domain. Each is normalised first (case, accents,
punctuation, and for companies the legal form: "Fabrikam B.V." is "Fabrikam BV" is
"fabrikam"), then hashed, so the index rows that find related leads (`cust|<key>|<leadId>`)
hold no personal data in clear. The keys are a function of the lead's contact fields: when a
lead expires and loses them, its rows go too.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from shared.domain.contact_validation import check_phone
from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.enums import PhoneValidity
from shared.domain.lead import Lead

CUSTOMER_ROW_PREFIX = "cust|"
# `relof|<leadId>`: the lead has related leads; the list reads these by key. Written by intake
# for a new lead and the leads it finds (lead ids only, no contact details).
RELATED_MARK_PREFIX = "relof|"
# Hex digits of SHA-256 kept: 128 bits, so two customers never share a key in practice.
_KEY_HEX = 32

# Legal forms that say nothing about who the customer is, as they read once normalised
# (lower case, no accents, punctuation gone: "B.V." is "b v", "S.A.S." is "s a s").
LEGAL_FORMS = frozenset(
    {
        "ab", "ag", "as", "asa", "bv", "bvba", "co", "corp", "corporation", "company", "cv", "eg",
        "eurl", "ev", "gbr", "gmbh", "inc", "incorporated", "kft", "kg", "kk", "limited", "llc",
        "llp", "lp", "ltd", "mbh", "nv", "oy", "oyj", "plc", "pty", "sa", "sarl", "sas", "se",
        "sl", "spa", "sp", "srl", "sro", "ug", "vof", "zoo",
    }
)  # fmt: skip
_PUNCTUATION = re.compile(r"[^\w]+|_")


def _folded(text: str) -> str:
    """Lower case, accents gone (é -> e, ß -> ss), every run of punctuation one space."""
    # Compatibility forms first (𝗔 is A), then case, then decomposed again for what casefold made.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_PUNCTUATION.sub(" ", bare).split())


def _without_legal_form(words: list[str]) -> list[str]:
    # Single letters in a row are one word: "b v" is "bv", "s a s" is "sas" (dotted legal forms).
    joined: list[str] = []
    spelled = False  # whether the last word was built from single letters
    for word in words:
        if len(word) == 1 and spelled:
            joined[-1] += word
        else:
            joined.append(word)
            spelled = len(word) == 1
    while len(joined) > 1 and joined[-1] in LEGAL_FORMS:
        joined.pop()
    return joined


def normalise_company(company: str | None) -> str | None:
    """The company's name as it identifies the customer; None when nothing is left."""
    if not company:
        return None
    words = _without_legal_form(_folded(company).split())
    return " ".join(words) or None


def normalise_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.strip().casefold() or None


def email_domain(email: str | None) -> str | None:
    address = normalise_email(email)
    if address is None:
        return None
    domain = address.rsplit("@", 1)[1].strip(".")
    return domain or None


def normalise_phone(phone: str | None, country: str | None) -> str | None:
    """The number in E.164 when it is valid for its plan (the same reading as validation's)."""
    validity, e164 = check_phone(phone, country)
    return e164 if validity is PhoneValidity.VALID else None


def _hashed(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:_KEY_HEX]


def customer_keys(lead: Lead) -> tuple[str, ...]:
    """The lead's customer keys (hashed), at most three: email, phone, company with domain."""
    customer = lead.customer
    keys: list[str] = []
    email = normalise_email(customer.email)
    if email:
        keys.append(_hashed("email", email))
    phone = normalise_phone(customer.phone, customer.country)
    if phone:
        keys.append(_hashed("phone", phone))
    company, domain = normalise_company(customer.company), email_domain(customer.email)
    if company and domain:
        keys.append(_hashed("company", f"{company}@{domain}"))
    return tuple(keys)


def customer_row_prefix(key: str) -> str:
    return f"{CUSTOMER_ROW_PREFIX}{key}|"


def related_mark_key(lead_id: str) -> str:
    return RELATED_MARK_PREFIX + lead_id


class RelatedLeads:
    """Derived rows: an index row per customer key, to find the customer's other leads."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        for key in customer_keys(lead):
            yield IndexRow(customer_row_prefix(key) + lead.id)

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        return ()
