"""Each email in its recipient's language (contract §5, §8): no English in a Dutch email."""

from __future__ import annotations

import re
import string
from datetime import date
from typing import Any

import pytest

from shared.domain.email_text import CATALOGS, EmailLanguage, EmailText
from shared.domain.enums import CallToAction, EmailValidity, PhoneValidity, Qualification, Quality, SpamFlag
from shared.domain.notification_content import (
    EmailMessage,
    render_contact_overdue,
    render_digest,
    render_new_lead,
)
from tests.unit.test_notification_content import PORTAL, RECIPIENT, SENDER, offer_lead, profile_lead

DUTCH_NEED = "Wij willen een demonstratie voor tweehonderd plekken."


def _placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = CATALOGS[EmailLanguage.EN]
    for language, catalog in CATALOGS.items():
        assert set(catalog) == set(english), language
        for key, template in catalog.items():
            assert _placeholders(template) == _placeholders(english[key]), (language, key)
            assert template.strip(), (language, key)


def test_every_machine_value_an_email_shows_has_words() -> None:
    for language in CATALOGS:
        words = EmailText(language)
        for prefix, enum in (
            ("cta", CallToAction),
            ("qualification", Qualification),
            ("quality", Quality),
            ("spam_flag", SpamFlag),
            ("validity", EmailValidity),
            ("validity", PhoneValidity),
        ):
            for member in enum:
                assert f"{prefix}.{member.value}" in CATALOGS[language], (language, prefix, member)
        assert words.value("spam_flag", "role_address") != "role_address"


def _english_fragments() -> list[str]:
    """The literal text of every English phrase whose Dutch differs, cut at its placeholders."""
    english, dutch = CATALOGS[EmailLanguage.EN], CATALOGS[EmailLanguage.NL]
    fragments: set[str] = set()
    for key, template in english.items():
        if template == dutch[key]:
            continue  # the same in both (Spam, spam?)
        for literal, *_rest in string.Formatter().parse(template):
            text = literal.strip(" .,:;()[]—")
            if len(text) >= 4 and re.search(r"[A-Za-z]{3}", text):
                fragments.add(text)
    return sorted(fragments)


def _dutch_emails() -> list[EmailMessage]:
    """Every email kind and branch in Dutch: flame, every spam flag, expired, profile, digest."""
    flagged = offer_lead(
        id="01JDOFFER002",
        spamFlags=[flag.value for flag in SpamFlag],
        emailValidity="Spam",
        phoneValidity="Invalid",
        quality="Low",
        customerNeed=DUTCH_NEED,
    )
    plain = offer_lead(customerNeed=DUTCH_NEED, emailValidity="Unknown")
    expired = offer_lead(
        id="01JDOFFER003",
        status="Expired",
        stage="Archived",
        customer={"company": "Fabrikam BV", "country": "NL"},
        customerNeed=None,
        emailValidity=None,
        phoneValidity=None,
        quality=None,
    )
    profile = profile_lead(customerNeed=DUTCH_NEED, customer={"company": "Northwind", "country": "DE"})
    common: dict[str, Any] = {
        "recipient": RECIPIENT,
        "sender": SENDER,
        "portal_base_url": PORTAL,
        "language": "nl",
    }
    emails = [render_new_lead(lead, **common) for lead in (flagged, plain, expired, profile)]
    emails += [render_contact_overdue(lead, urgency_hours=72, **common) for lead in (flagged, plain)]
    emails += [
        render_digest(leads, day=date(2026, 11, 20), **common)
        for leads in ([flagged, plain, expired, profile], [flagged])
    ]
    return emails


@pytest.mark.parametrize("part", ["subject", "text", "html"])
def test_a_dutch_email_has_no_english_text(part: str) -> None:
    fragments = _english_fragments()
    assert len(fragments) > 50
    for email in _dutch_emails():
        content = getattr(email, part)
        found = [fragment for fragment in fragments if re.search(rf"\b{re.escape(fragment)}\b", content)]
        assert found == [], (email.kind, found)


def test_a_dutch_email_says_it_in_dutch() -> None:
    flagged, plain, *_ = _dutch_emails()
    assert flagged.subject.startswith("🔥 [Mogelijk spam] Nieuwe lead: Fabrikam BV — Contoso CRM")
    assert "Neem contact met mij op" in flagged.subject
    assert "wegwerpdomein voor e-mail" in flagged.text and "testlead van de marketplace" in flagged.html
    assert "disposable_domain" not in flagged.text + flagged.html
    assert "20 november 2026 08:15 UTC" in plain.text
    assert "reageer binnen 72 uur" in plain.html
    assert '<html lang="nl">' in plain.html
    assert "Onbekend" in plain.text


def test_the_same_lead_in_english_names_flags_in_words() -> None:
    lead = offer_lead(spamFlags=["role_address"], quality="Low")
    english = render_new_lead(lead, recipient=RECIPIENT, sender=SENDER, portal_base_url=PORTAL)
    assert "role address (such as info@)" in english.text
    assert "role_address" not in english.text
    assert '<html lang="en">' in english.html
    # A role address alone is a real customer's shared mailbox, not spam.
    assert "Possible spam" not in english.subject + english.text


def test_an_unknown_stored_language_falls_back_to_english() -> None:
    assert EmailText("de").language is EmailLanguage.EN
