"""What the notification emails say: subjects, links, headers, notes, escaping, nulls, Unicode."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.domain.email_text import CATALOGS, EmailLanguage
from shared.domain.notification_content import (
    EmailMessage,
    render_contact_overdue,
    render_digest,
    render_new_lead,
)

PORTAL = "https://leads.contoso.example"
SENDER = "leads@contoso.example"
RECIPIENT = "admin@contoso.example"
FLAME_NOTE = "The customer asked to be contacted — respond within 72 hours"
SPAM_WARNING = "Possible spam"
EXPIRED_CONTACT_NOTE = CATALOGS[EmailLanguage.EN]["expired_contact_note"]


def offer_lead(**changes: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "id": "01JDOFFER001",
        "partnerId": "contoso",
        "leadType": "Offer",
        "qualification": "Direct",
        "leadSource": "AppSource",
        "callToAction": "ContactMe",
        "offer": {"id": "contoso-crm", "title": "Contoso CRM"},
        "customer": {
            "company": "Fabrikam BV",
            "firstName": "Eva",
            "lastName": "de Vries",
            "email": "eva@fabrikam.nl",
            "phone": "+31207940000",
            "title": "CIO",
            "country": "NL",
            "size": None,
        },
        "customerNeed": "We want a demo for 200 seats.",
        "customerRequestedContact": True,
        "urgency": "ContactRequested",
        "stage": "Received",
        "status": "Received",
        "createdDateTime": "2026-11-20T08:15:00Z",
        "expirationDateTime": "2026-12-04T08:15:00Z",
        "emailValidity": "Valid",
        "phoneValidity": "Valid",
        "quality": "High",
        "spamFlags": [],
    }
    lead.update(changes)
    return lead


def profile_lead(**changes: Any) -> dict[str, Any]:
    lead = offer_lead(
        id="01JDPROFILE1",
        leadType="Profile",
        qualification="SalesQualified",
        leadSource=None,
        callToAction=None,
        offer=None,
        customer={
            "company": "Northwind Traders",
            "firstName": "Jonas",
            "lastName": "Weber",
            "email": "jonas@northwind.de",
            "phone": "+4930901820",
            "title": None,
            "country": "DE",
            "size": "51to500employees",
        },
        customerNeed="Migrating 40 servers to Azure.",
        customerRequestedContact=False,
        urgency=None,
    )
    lead.update(changes)
    return lead


def new_lead(lead: dict[str, Any]) -> EmailMessage:
    return render_new_lead(lead, recipient=RECIPIENT, sender=SENDER, portal_base_url=PORTAL)


def overdue(lead: dict[str, Any]) -> EmailMessage:
    return render_contact_overdue(
        lead, recipient=RECIPIENT, sender=SENDER, portal_base_url=PORTAL, urgency_hours=72
    )


def digest(leads: list[dict[str, Any]]) -> EmailMessage:
    return render_digest(
        leads, day=date(2026, 11, 20), recipient=RECIPIENT, sender=SENDER, portal_base_url=PORTAL
    )


# --- new lead ----------------------------------------------------------------------------------


def test_new_lead_subject_names_company_offer_and_call_to_action() -> None:
    message = new_lead(offer_lead(customerRequestedContact=False))
    assert message.subject == "New lead: Fabrikam BV — Contoso CRM (Contact me)"


def test_new_lead_subject_of_a_profile_lead_says_business_profile_and_qualification() -> None:
    message = new_lead(profile_lead())
    assert message.subject == "New lead: Northwind Traders — Business profile (Sales qualified)"
    assert "Business profile" in message.text
    assert "Sales qualified" in message.text


def test_new_lead_links_to_the_lead_in_both_parts() -> None:
    message = render_new_lead(offer_lead(), recipient=RECIPIENT, sender=SENDER, portal_base_url=PORTAL + "/")
    link = f"{PORTAL}/#/leads/01JDOFFER001"
    assert link in message.text
    assert f'href="{link}"' in message.html


def test_new_lead_headers_sender_recipient_and_key() -> None:
    message = new_lead(offer_lead())
    assert dict(message.headers) == {"X-Notification-Kind": "NewLead", "X-Lead-Ids": "01JDOFFER001"}
    assert message.sender == SENDER
    assert message.recipients == (RECIPIENT,)
    assert message.idempotency_key == new_lead(offer_lead()).idempotency_key
    assert message.kind == "NewLead"
    assert message.lead_ids == ("01JDOFFER001",)


def test_idempotency_key_differs_by_recipient_kind_and_lead() -> None:
    base = new_lead(offer_lead())
    other_recipient = render_new_lead(
        offer_lead(), recipient="b@contoso.example", sender=SENDER, portal_base_url=PORTAL
    )
    same_recipient_other_case = render_new_lead(
        offer_lead(), recipient=RECIPIENT.upper(), sender=SENDER, portal_base_url=PORTAL
    )
    keys = {
        base.idempotency_key,
        other_recipient.idempotency_key,
        overdue(offer_lead()).idempotency_key,
        new_lead(offer_lead(id="01JDOFFER002")).idempotency_key,
    }
    assert len(keys) == 4
    assert same_recipient_other_case.idempotency_key == base.idempotency_key
    # Content does not enter the key: a re-render after validation is still the same email.
    assert new_lead(offer_lead(quality="Low")).idempotency_key == base.idempotency_key


def test_new_lead_shows_the_lead_details() -> None:
    message = new_lead(offer_lead())
    for expected in (
        "Fabrikam BV",
        "Contoso CRM",
        "Contact me",
        "Eva de Vries",
        "eva@fabrikam.nl",
        "+31207940000",
        "CIO",
        "NL",
        "We want a demo for 200 seats.",
        "Email validity",
        "Valid",
        "Quality",
        "High",
        "2026-12-04 08:15 UTC",
    ):
        assert expected in message.text, expected
        assert expected in message.html, expected


def test_new_lead_flame_note_only_when_the_customer_asked_for_contact() -> None:
    asked = new_lead(offer_lead(customerRequestedContact=True))
    not_asked = new_lead(offer_lead(customerRequestedContact=False))
    assert FLAME_NOTE in asked.text
    assert FLAME_NOTE in asked.html
    assert asked.subject.startswith("🔥 ")
    assert FLAME_NOTE not in not_asked.text
    assert FLAME_NOTE not in not_asked.html
    assert "🔥" not in not_asked.subject


@pytest.mark.parametrize(
    "changes",
    [
        {"spamFlags": ["disposable_domain"], "quality": "Low"},
        {"spamFlags": ["spam_domain"], "quality": "Low"},
        {"spamFlags": ["test_pattern"], "quality": "Low"},
        {"spamFlags": ["test_lead"], "quality": "Low"},
        {"emailValidity": "Spam", "quality": "Low"},
    ],
)
def test_new_lead_spam_warning_for_spam_and_test_signals(changes: dict[str, Any]) -> None:
    message = new_lead(offer_lead(**changes))
    assert SPAM_WARNING in message.text
    assert SPAM_WARNING in message.html
    assert "[Possible spam]" in message.subject


@pytest.mark.parametrize(
    "changes",
    [
        {"quality": "Low", "emailValidity": "Invalid"},
        {"quality": "Low", "spamFlags": ["role_address"]},
    ],
)
def test_no_spam_warning_for_a_mistyped_or_role_address(changes: dict[str, Any]) -> None:
    message = new_lead(offer_lead(**changes))
    assert SPAM_WARNING not in message.text + message.html + message.subject
    # What there is, is still shown, in words.
    assert "Invalid" in message.text or "role address (such as info@)" in message.text


def test_new_lead_spam_warning_names_the_flags_in_words() -> None:
    message = new_lead(offer_lead(spamFlags=["disposable_domain", "role_address"], quality="Low"))
    assert "(disposable email domain, role address (such as info@))" in message.text
    assert "disposable_domain" not in message.text + message.html


def test_new_lead_no_spam_warning_for_a_clean_lead() -> None:
    message = new_lead(offer_lead())
    assert SPAM_WARNING not in message.text
    assert SPAM_WARNING not in message.html
    assert "spam" not in message.subject.lower()


def test_script_in_company_is_escaped_in_html_and_text_in_plain_part() -> None:
    company = '<script>alert("x")</script> & Co'
    message = new_lead(offer_lead(customer={**offer_lead()["customer"], "company": company}))
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in message.html
    assert company in message.text
    assert company in message.subject  # a subject is text, not markup


def test_customer_need_markup_is_escaped_and_lines_kept() -> None:
    message = new_lead(offer_lead(customerNeed='Line one\n<img src=x onerror="alert(1)">'))
    assert "<img" not in message.html
    assert "Line one<br>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in message.html


@pytest.mark.parametrize(
    "company", ["Evil\r\nBcc: victim@example.com", "Evil\nBcc: x", "Evil\rX", "Evil\u2028X"]
)
def test_line_breaks_in_company_never_reach_the_subject(company: str) -> None:
    message = new_lead(offer_lead(customer={**offer_lead()["customer"], "company": company}))
    assert "\r" not in message.subject
    assert "\n" not in message.subject
    assert "\u2028" not in message.subject
    assert "Evil" in message.subject
    for value in message.headers.values():
        assert "\r" not in value and "\n" not in value


def test_addresses_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="recipient"):
        render_new_lead(offer_lead(), recipient="a@b.c\r\nBcc: x@y.z", sender=SENDER, portal_base_url=PORTAL)
    with pytest.raises(ValueError, match="sender"):
        render_new_lead(offer_lead(), recipient=RECIPIENT, sender="s@x\n", portal_base_url=PORTAL)


def test_expired_lead_renders_without_contact_details() -> None:
    expired = offer_lead(
        stage="Archived",
        status="Expired",
        urgency=None,
        customer={
            "company": "Fabrikam BV",
            "firstName": None,
            "lastName": None,
            "email": None,
            "phone": None,
            "title": None,
            "country": "NL",
            "size": None,
        },
    )
    for message in (new_lead(expired), overdue(expired), digest([expired])):
        assert "eva@fabrikam.nl" not in message.text
        assert "None" not in message.text
        assert "None" not in message.html
        assert "Fabrikam BV" in message.text
    assert EXPIRED_CONTACT_NOTE in new_lead(expired).text
    assert "expired" in digest([expired]).text


def test_a_lead_with_almost_nothing_still_renders() -> None:
    bare: dict[str, Any] = {
        "id": "01JDBARE0001",
        "customer": None,
        "offer": None,
        "spamFlags": None,
        "createdDateTime": None,
        "expirationDateTime": None,
    }
    message = new_lead(bare)
    assert message.subject == "New lead: Unknown company — Business profile"
    assert "Not validated yet" in message.text
    assert "None" not in message.text
    assert f"{PORTAL}/#/leads/01JDBARE0001" in message.text
    assert "01JDBARE0001" in digest([bare]).text
    assert "Unknown company" in overdue(bare).subject


def test_unicode_names_and_emoji_are_intact() -> None:
    lead = offer_lead(
        customer={
            "company": "Müller & Söhne GmbH 🚀",
            "firstName": "Zeynep",
            "lastName": "Yılmaz-Çelik",
            "email": "zeynep@mueller.example",
            "phone": None,
            "title": "Geschäftsführerin",
            "country": "TR",
            "size": None,
        },
        customerNeed="Wij willen een demo — graag snel! 🙏 Ğğ İı Şş",
    )
    message = new_lead(lead)
    assert "Müller & Söhne GmbH 🚀" in message.subject
    for expected in (
        "Zeynep Yılmaz-Çelik",
        "Geschäftsführerin",
        "Wij willen een demo — graag snel! 🙏 Ğğ İı Şş",
    ):
        assert expected in message.text
        assert expected in message.html
    assert "Müller &amp; Söhne GmbH 🚀" in message.html


def test_long_company_names_are_shortened_in_the_subject_only() -> None:
    company = "A" * 300
    message = new_lead(offer_lead(customer={**offer_lead()["customer"], "company": company}))
    assert len(message.subject) < 200
    assert "…" in message.subject
    assert company in message.text


# --- contact overdue ---------------------------------------------------------------------------


def test_contact_overdue_subject_headers_and_due_time() -> None:
    message = overdue(offer_lead(urgency="ContactRequestedOverdue"))
    assert message.subject == "🔥 Contact overdue: Fabrikam BV — Contoso CRM (Contact me)"
    assert dict(message.headers) == {"X-Notification-Kind": "ContactOverdue", "X-Lead-Ids": "01JDOFFER001"}
    assert "more than 72 hours ago" in message.text
    assert "Contact was due by 2026-11-23 08:15 UTC" in message.text
    assert f"{PORTAL}/#/leads/01JDOFFER001" in message.text
    assert SPAM_WARNING not in message.text


def test_contact_overdue_uses_the_configured_window_and_warns_of_spam() -> None:
    message = render_contact_overdue(
        offer_lead(spamFlags=["test_pattern"], quality="Low"),
        recipient=RECIPIENT,
        sender=SENDER,
        portal_base_url=PORTAL,
        urgency_hours=24,
    )
    assert "more than 24 hours ago" in message.text
    assert "Contact was due by 2026-11-21 08:15 UTC" in message.html
    assert SPAM_WARNING in message.text
    assert SPAM_WARNING in message.html


# --- digest ------------------------------------------------------------------------------------


def test_digest_lists_every_lead_as_a_table_row() -> None:
    leads = [
        offer_lead(customerRequestedContact=False),
        profile_lead(),
        offer_lead(id="01JDOFFER003", customer={**offer_lead()["customer"], "company": "Tailspin Toys"}),
    ]
    message = digest(leads)

    assert message.subject == "Lead digest for 2026-11-20: 3 new leads"
    assert dict(message.headers) == {
        "X-Notification-Kind": "Digest",
        "X-Lead-Ids": "01JDOFFER001,01JDPROFILE1,01JDOFFER003",
    }
    assert message.html.count("<tr>") == 1 + len(leads)  # header row plus one row per lead
    for lead in leads:
        link = f"{PORTAL}/#/leads/{lead['id']}"
        assert f'href="{link}"' in message.html
        [row] = [line for line in message.text.splitlines() if line.endswith(link)]
        assert lead["customer"]["company"] in row
    table_lines = [line for line in message.text.splitlines() if " | " in line]
    assert len(table_lines) == 1 + len(leads)
    assert table_lines[0].startswith("Received")


def test_digest_of_one_lead_is_singular() -> None:
    message = digest([offer_lead()])
    assert message.subject == "Lead digest for 2026-11-20: 1 new lead"


def test_digest_flame_note_and_spam_warning_follow_the_leads() -> None:
    clean = digest([offer_lead(customerRequestedContact=False), profile_lead()])
    assert FLAME_NOTE not in clean.text
    assert FLAME_NOTE not in clean.html
    assert SPAM_WARNING not in clean.text
    assert SPAM_WARNING not in clean.html

    mixed = digest([offer_lead(customerRequestedContact=True), profile_lead(spamFlags=["spam_domain"])])
    assert FLAME_NOTE in mixed.text
    assert FLAME_NOTE in mixed.html
    assert SPAM_WARNING in mixed.text
    assert SPAM_WARNING in mixed.html
    assert "1 of 2" in mixed.text


def test_digest_escapes_customer_text_in_html() -> None:
    company = "<script>steal()</script>"
    message = digest([offer_lead(customer={**offer_lead()["customer"], "company": company})])
    assert "<script>" not in message.html
    assert "&lt;script&gt;steal()&lt;/script&gt;" in message.html
    assert company in message.text


def test_digest_key_is_stable_and_depends_on_day_and_recipient() -> None:
    leads = [offer_lead(), profile_lead()]
    first = digest(leads)
    assert digest(list(reversed(leads))).idempotency_key == first.idempotency_key
    other_day = render_digest(
        leads, day=date(2026, 11, 21), recipient=RECIPIENT, sender=SENDER, portal_base_url=PORTAL
    )
    assert other_day.idempotency_key != first.idempotency_key
    assert first.idempotency_key.startswith("digest-")


def test_empty_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one lead"):
        digest([])
