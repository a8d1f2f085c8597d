"""The words of the notification emails in each recipient's language (contract §5, §8).

One catalog per language with the same keys and the same `{placeholders}`; a unit test holds
them to that and fails on English text in a Dutch email. Machine values (validity, quality,
spam flags, calls to action) are shown in words, never as their enum names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType


class EmailLanguage(StrEnum):
    """A recipient's `language` (contract §5, "Notification settings")."""

    EN = "en"
    NL = "nl"


DEFAULT_LANGUAGE = EmailLanguage.EN

_EN: dict[str, str] = {
    "offer.business_profile": "Business profile",
    "cta.ContactMe": "Contact me",
    "cta.TestDrive": "Test drive",
    "cta.FreeTrial": "Free trial",
    "cta.DownloadNow": "Download now",
    "qualification.Direct": "Direct",
    "qualification.MarketingQualified": "Marketing qualified",
    "qualification.SalesQualified": "Sales qualified",
    "validity.Valid": "Valid",
    "validity.Invalid": "Invalid",
    "validity.Spam": "Spam",
    "validity.Unknown": "Unknown",
    "quality.High": "High",
    "quality.Low": "Low",
    "spam_flag.disposable_domain": "disposable email domain",
    "spam_flag.spam_domain": "listed spam domain",
    "spam_flag.role_address": "role address (such as info@)",
    "spam_flag.test_pattern": "placeholder name or address",
    "spam_flag.test_lead": "marketplace test lead",
    "spam_reason.email_invalid": "email invalid",
    "spam_reason.email_spam": "email spam",
    "not_validated": "Not validated yet",
    "unknown_company": "Unknown company",
    "label.company": "Company",
    "label.offer": "Offer",
    "label.call_to_action": "Call to action",
    "label.qualification": "Qualification",
    "label.lead_source": "Lead source",
    "label.contact": "Contact",
    "label.email": "Email",
    "label.phone": "Phone",
    "label.job_title": "Job title",
    "label.country": "Country",
    "label.company_size": "Company size",
    "label.customer_need": "Customer need",
    "label.email_validity": "Email validity",
    "label.phone_validity": "Phone validity",
    "label.quality": "Quality",
    "label.spam_flags": "Spam flags",
    "label.received": "Received",
    "label.expires": "Expires",
    "label.link": "Link",
    "expired_contact_note": "Contact details were removed when the lead expired.",
    "footer": "You receive this email because you are a lead notification recipient of your organisation.",
    "flame_note": "The customer asked to be contacted — respond within {hours} hours.",
    "spam_warning": "Possible spam: this lead was flagged{because}. Check it before you respond.",
    "subject.possible_spam": "[Possible spam]",
    "new_lead.subject": "New lead: {lead}",
    "new_lead.headline": "New lead from {company}",
    "new_lead.intro": "A new lead arrived for {offer}.",
    "new_lead.action": "Open the lead",
    "overdue.subject": "Contact overdue: {lead}",
    "overdue.headline": "{company} is waiting to be contacted",
    "overdue.intro": "Accept the lead and contact the customer, or decline it.",
    "overdue.action": "Respond to the lead",
    "overdue.note": (
        "The customer asked to be contacted more than {hours} hours ago and the lead has not been "
        "accepted yet."
    ),
    "overdue.due": "Contact was due by {due}.",
    "digest.subject.one": "Lead digest for {day}: 1 new lead",
    "digest.subject.many": "Lead digest for {day}: {count} new leads",
    "digest.headline.one": "1 new lead on {day}",
    "digest.headline.many": "{count} new leads on {day}",
    "digest.intro.one": "This lead arrived on {day} (UTC) after the day's individual emails were used up.",
    "digest.intro.many": "These leads arrived on {day} (UTC) after the day's individual emails were used up.",
    "digest.flamed": "({flamed} of {count} marked {flame})",
    "digest.spam.one": (
        "Possible spam: {flagged} of {count} lead flagged (marked {mark}). Check them before you respond."
    ),
    "digest.spam.many": (
        "Possible spam: {flagged} of {count} leads flagged (marked {mark}). Check them before you respond."
    ),
    "digest.mark.spam": "spam?",
    "digest.mark.expired": "expired",
    "digest.open": "Open",
    "digest.column.received": "Received",
    "digest.column.company": "Company",
    "digest.column.offer": "Offer",
    "digest.column.type": "Type",
    "digest.column.contact": "Contact",
    "digest.column.email": "Email",
    "digest.column.quality": "Quality",
    "digest.column.notes": "Notes",
    "digest.column.link": "Link",
}

_NL: dict[str, str] = {
    "offer.business_profile": "Bedrijfsprofiel",
    "cta.ContactMe": "Neem contact met mij op",
    "cta.TestDrive": "Proefrit",
    "cta.FreeTrial": "Gratis proefversie",
    "cta.DownloadNow": "Nu downloaden",
    "qualification.Direct": "Rechtstreeks",
    "qualification.MarketingQualified": "Gekwalificeerd door marketing",
    "qualification.SalesQualified": "Gekwalificeerd door sales",
    "validity.Valid": "Geldig",
    "validity.Invalid": "Ongeldig",
    "validity.Spam": "Spam",
    "validity.Unknown": "Onbekend",
    "quality.High": "Hoog",
    "quality.Low": "Laag",
    "spam_flag.disposable_domain": "wegwerpdomein voor e-mail",
    "spam_flag.spam_domain": "bekend spamdomein",
    "spam_flag.role_address": "functioneel adres (zoals info@)",
    "spam_flag.test_pattern": "nepnaam of nepadres",
    "spam_flag.test_lead": "testlead van de marketplace",
    "spam_reason.email_invalid": "e-mailadres ongeldig",
    "spam_reason.email_spam": "e-mailadres is spam",
    "not_validated": "Nog niet gecontroleerd",
    "unknown_company": "Onbekend bedrijf",
    "label.company": "Bedrijf",
    "label.offer": "Aanbieding",
    "label.call_to_action": "Verzoek van de klant",
    "label.qualification": "Kwalificatie",
    "label.lead_source": "Bron",
    "label.contact": "Contactpersoon",
    "label.email": "E-mailadres",
    "label.phone": "Telefoon",
    "label.job_title": "Functie",
    "label.country": "Land",
    "label.company_size": "Bedrijfsgrootte",
    "label.customer_need": "Wens van de klant",
    "label.email_validity": "Geldigheid e-mailadres",
    "label.phone_validity": "Geldigheid telefoonnummer",
    "label.quality": "Kwaliteit",
    "label.spam_flags": "Spamsignalen",
    "label.received": "Ontvangen",
    "label.expires": "Verloopt",
    "label.link": "Koppeling",
    "expired_contact_note": "De contactgegevens zijn verwijderd toen de lead verliep.",
    "footer": "U ontvangt deze e-mail omdat u leadmeldingen voor uw organisatie ontvangt.",
    "flame_note": "De klant wil benaderd worden — reageer binnen {hours} uur.",
    "spam_warning": "Mogelijk spam: deze lead is gemarkeerd{because}. Controleer hem voordat u reageert.",
    "subject.possible_spam": "[Mogelijk spam]",
    "new_lead.subject": "Nieuwe lead: {lead}",
    "new_lead.headline": "Nieuwe lead van {company}",
    "new_lead.intro": "Er is een nieuwe lead binnengekomen voor {offer}.",
    "new_lead.action": "Lead openen",
    "overdue.subject": "Nog geen contact: {lead}",
    "overdue.headline": "{company} wacht op contact",
    "overdue.intro": "Accepteer de lead en neem contact op met de klant, of wijs hem af.",
    "overdue.action": "Op de lead reageren",
    "overdue.note": (
        "De klant vroeg meer dan {hours} uur geleden om contact en de lead is nog niet geaccepteerd."
    ),
    "overdue.due": "Er had uiterlijk {due} contact moeten zijn.",
    "digest.subject.one": "Leadoverzicht van {day}: 1 nieuwe lead",
    "digest.subject.many": "Leadoverzicht van {day}: {count} nieuwe leads",
    "digest.headline.one": "1 nieuwe lead op {day}",
    "digest.headline.many": "{count} nieuwe leads op {day}",
    "digest.intro.one": (
        "Deze lead kwam binnen op {day} (UTC), nadat de losse e-mails van die dag op waren."
    ),
    "digest.intro.many": (
        "Deze leads kwamen binnen op {day} (UTC), nadat de losse e-mails van die dag op waren."
    ),
    "digest.flamed": "({flamed} van {count} gemarkeerd met {flame})",
    "digest.spam.one": (
        "Mogelijk spam: {flagged} van {count} lead gemarkeerd ({mark}). Controleer hem voordat u reageert."
    ),
    "digest.spam.many": (
        "Mogelijk spam: {flagged} van {count} leads gemarkeerd ({mark}). Controleer ze voordat u reageert."
    ),
    "digest.mark.spam": "spam?",
    "digest.mark.expired": "verlopen",
    "digest.open": "Openen",
    "digest.column.received": "Ontvangen",
    "digest.column.company": "Bedrijf",
    "digest.column.offer": "Aanbieding",
    "digest.column.type": "Soort",
    "digest.column.contact": "Contactpersoon",
    "digest.column.email": "E-mailadres",
    "digest.column.quality": "Kwaliteit",
    "digest.column.notes": "Opmerkingen",
    "digest.column.link": "Koppeling",
}

CATALOGS: Mapping[EmailLanguage, Mapping[str, str]] = MappingProxyType(
    {EmailLanguage.EN: MappingProxyType(_EN), EmailLanguage.NL: MappingProxyType(_NL)}
)

_LANGUAGES = frozenset(language.value for language in EmailLanguage)
_NL_MONTHS = "januari februari maart april mei juni juli augustus september oktober november december".split()


class EmailText:
    """The words of one language: `t(key, **values)`, dates, and machine values in words."""

    def __init__(self, language: str | EmailLanguage = DEFAULT_LANGUAGE) -> None:
        # A stored language this version does not know falls back to English rather than failing.
        self.language = EmailLanguage(language) if language in _LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = CATALOGS[self.language]

    def t(self, key: str, **values: object) -> str:
        return self._catalog[key].format(**values)

    def value(self, prefix: str, raw: str | None) -> str | None:
        """A machine value (`validity.Valid`, `spam_flag.role_address`) in words; unknown ones as sent."""
        if raw is None:
            return None
        return self._catalog.get(f"{prefix}.{raw}", raw)

    def day(self, day: date) -> str:
        if self.language is EmailLanguage.NL:
            return f"{day.day} {_NL_MONTHS[day.month - 1]} {day.year}"
        return day.isoformat()

    def moment(self, moment: datetime) -> str:
        clock = moment.strftime("%H:%M") + (" UTC" if moment.tzinfo else "")
        if self.language is EmailLanguage.NL:
            return f"{self.day(moment.date())} {clock}"
        return f"{moment.strftime('%Y-%m-%d')} {clock}"
