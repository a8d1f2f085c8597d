"""What the notification emails say (contract §8): subject, plain text, HTML and headers.

Pure: the lead arrives as the contract's lead resource (a JSON dict, §4), the day and the
urgency window are passed in, and nothing here reads a clock or does I/O. Every field may
be null (expired leads have no contact details, validation may not have run yet), so every
read goes through `_text`, which turns anything missing into None instead of failing.

The HTML part comes from Jinja2 templates (`templates/`) with autoescaping.
Customer-supplied text is untrusted: it is HTML-escaped in the HTML part, and stripped of
control characters (CR/LF above all) wherever it reaches a header, so a company name can
neither inject markup nor add a header.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from jinja2 import Environment

from shared.domain.email_text import DEFAULT_LANGUAGE, EmailText
from shared.domain.enums import NotificationKind, SpamFlag, Status

HEADER_KIND = "X-Notification-Kind"
HEADER_LEAD_IDS = "X-Lead-Ids"
DEFAULT_URGENCY_HOURS = 72

FLAME = "🔥"
WARNING = "⚠"
# The signals that a lead may be spam or a test; a role address (info@) is a real customer's
# shared mailbox and an invalid address a typo, so neither alone makes the spam warning.
SPAM_SIGNALS = frozenset(
    {SpamFlag.DISPOSABLE_DOMAIN, SpamFlag.SPAM_DOMAIN, SpamFlag.TEST_PATTERN, SpamFlag.TEST_LEAD}
)

# Company names and offer titles are free text; a subject stays readable in any mail client.
_SUBJECT_PART_MAX = 80
# C0/C1 control characters plus the Unicode line and paragraph separators: none belongs in a header.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class EmailMessage:
    sender: str
    recipients: tuple[str, ...]  # one email may go to one recipient; the caller decides
    subject: str
    text: str
    html: str
    headers: Mapping[str, str]  # includes X-Notification-Kind and X-Lead-Ids
    idempotency_key: str  # stable per (kind, lead ids, recipient): ACS operation id, outbox file name

    @property
    def kind(self) -> str:
        return self.headers.get(HEADER_KIND, "")

    @property
    def lead_ids(self) -> tuple[str, ...]:
        raw = self.headers.get(HEADER_LEAD_IDS, "")
        return tuple(part for part in raw.split(",") if part)


# --- reading the lead resource -------------------------------------------------------------


def _text(value: Any) -> str | None:
    """The value as stripped text, or None when missing or blank."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def _field(lead: Mapping[str, Any], *path: str) -> str | None:
    node: Any = lead
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return _text(node)


def _spam_flags(lead: Mapping[str, Any]) -> list[str]:
    flags = lead.get("spamFlags")
    if not isinstance(flags, list | tuple):
        return []
    return [text for text in (_text(flag) for flag in flags) if text]


def header_safe(value: str) -> str:
    """Text fit for a header: control characters (CR/LF included) become spaces, runs collapse."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", value).split())


def _short(value: str, limit: int = _SUBJECT_PART_MAX) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _parse_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _format_datetime(value: str | None, words: EmailText) -> str | None:
    parsed = _parse_datetime(value)
    if parsed is None:
        return value
    return words.moment(parsed)


def lead_link(portal_base_url: str, lead_id: str) -> str:
    return f"{portal_base_url.rstrip('/')}/#/leads/{quote(lead_id, safe='')}"


@dataclass(frozen=True)
class _LeadView:
    """The parts of one lead an email shows, already read defensively."""

    id: str
    link: str
    company: str | None
    offer: str
    route_label: str
    route: str  # call to action for offer leads, qualification for profile leads
    lead_source: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    contact_title: str | None
    country: str | None
    size: str | None
    need: str | None
    email_validity: str | None  # as sent (Valid, Invalid, Spam, Unknown)
    phone_validity: str | None
    quality: str | None
    spam_flags: list[str]  # machine names, as sent
    requested_contact: bool
    created: str | None
    created_raw: str | None
    expires: str | None
    expired: bool
    words: EmailText

    @property
    def company_or_placeholder(self) -> str:
        return self.company or self.words.t("unknown_company")

    @property
    def possible_spam(self) -> bool:
        return self.email_validity == "Spam" or any(flag in SPAM_SIGNALS for flag in self.spam_flags)

    @property
    def spam_flag_words(self) -> list[str]:
        return [self.words.value("spam_flag", flag) or flag for flag in self.spam_flags]

    @property
    def has_contact_details(self) -> bool:
        return any((self.contact_name, self.contact_email, self.contact_phone, self.contact_title))


def _view(lead: Mapping[str, Any], portal_base_url: str, words: EmailText) -> _LeadView:
    lead_id = _field(lead, "id") or ""
    call_to_action = _field(lead, "callToAction")
    qualification = _field(lead, "qualification")
    if call_to_action:
        route_label, route = words.t("label.call_to_action"), words.value("cta", call_to_action) or ""
    else:
        route_label = words.t("label.qualification")
        route = words.value("qualification", qualification) or ""
    first, last = _field(lead, "customer", "firstName"), _field(lead, "customer", "lastName")
    name = " ".join(part for part in (first, last) if part) or None
    created = _field(lead, "createdDateTime")
    return _LeadView(
        id=lead_id,
        link=lead_link(portal_base_url, lead_id),
        company=_field(lead, "customer", "company"),
        offer=_field(lead, "offer", "title")
        or _field(lead, "offer", "id")
        or words.t("offer.business_profile"),
        route_label=route_label,
        route=route,
        lead_source=_field(lead, "leadSource"),
        contact_name=name,
        contact_email=_field(lead, "customer", "email"),
        contact_phone=_field(lead, "customer", "phone"),
        contact_title=_field(lead, "customer", "title"),
        country=_field(lead, "customer", "country"),
        size=_field(lead, "customer", "size"),
        need=_field(lead, "customerNeed"),
        email_validity=_field(lead, "emailValidity"),
        phone_validity=_field(lead, "phoneValidity"),
        quality=_field(lead, "quality"),
        spam_flags=_spam_flags(lead),
        requested_contact=lead.get("customerRequestedContact") is True,
        created=_format_datetime(created, words),
        created_raw=created,
        expires=_format_datetime(_field(lead, "expirationDateTime"), words),
        expired=_field(lead, "status") == Status.EXPIRED,
        words=words,
    )


# --- shared pieces of every email ----------------------------------------------------------


def flame_note(urgency_hours: int, words: EmailText | None = None) -> str:
    return f"{FLAME} " + (words or EmailText()).t("flame_note", hours=urgency_hours)


def spam_warning(view: _LeadView) -> str:
    words = view.words
    reasons = view.spam_flag_words
    if view.email_validity == "Spam":
        reasons.append(words.t("spam_reason.email_spam"))
    because = f" ({', '.join(reasons)})" if reasons else ""
    return f"{WARNING} " + words.t("spam_warning", because=because)


def _detail_rows(view: _LeadView) -> list[tuple[str, str]]:
    """Label/value pairs shown for one lead; rows whose value is missing are left out."""
    words = view.words
    not_validated = words.t("not_validated")
    rows: list[tuple[str, str | None]] = [
        (words.t("label.company"), view.company_or_placeholder),
        (words.t("label.offer"), view.offer),
        (view.route_label, view.route),
        (words.t("label.lead_source"), view.lead_source),
        (words.t("label.contact"), view.contact_name),
        (words.t("label.email"), view.contact_email),
        (words.t("label.phone"), view.contact_phone),
        (words.t("label.job_title"), view.contact_title),
        (words.t("label.country"), view.country),
        (words.t("label.company_size"), view.size),
        (words.t("label.customer_need"), view.need),
        (words.t("label.email_validity"), words.value("validity", view.email_validity) or not_validated),
        (words.t("label.phone_validity"), words.value("validity", view.phone_validity) or not_validated),
        (words.t("label.quality"), words.value("quality", view.quality) or not_validated),
        (words.t("label.spam_flags"), ", ".join(view.spam_flag_words) or None),
        (words.t("label.received"), view.created),
        (words.t("label.expires"), view.expires),
    ]
    return [(label, value) for label, value in rows if value]


def _text_details(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows) + 1
    lines = []
    for label, value in rows:
        continuation = "\n" + " " * (width + 1)
        lines.append(f"{label + ':':<{width}} {continuation.join(value.splitlines())}")
    return "\n".join(lines)


_FLAME_COLOUR = "#fde7e9"
_SPAM_COLOUR = "#fff4ce"


def _escape_as_html_module(value: Any) -> Any:
    """Jinja's finalize: text escaped as `html.escape` does (`&quot;`, `&#x27;`), markup left alone.

    Autoescaping stays on; this only keeps the entities the emails have always used.
    """
    from markupsafe import Markup

    return value if isinstance(value, Markup) else Markup(html.escape(str(value), quote=True))  # noqa: S704


@functools.cache
def _templates() -> Environment:
    """The templates, read once from the package (deployed with the app); rendering does no I/O.

    Jinja2 is imported on the first email, not when the app starts: most functions send none.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=_escape_as_html_module,
    )


def _render_html(template: str, words: EmailText, **context: Any) -> str:
    return (
        _templates()
        .get_template(template)
        .render(footer_text=words.t("footer"), lang=words.language.value, **context)
    )


def idempotency_key(kind: str, lead_ids: Sequence[str], recipient: str, *, scope: str = "") -> str:
    """Stable name of one email: the same kind, leads and recipient always give the same key.

    File-name and header safe (lower-case kind, a dash, hex), so the outbox can name files
    with it and ACS can derive its operation id from it.
    """
    material = "\n".join([kind, scope, ",".join(sorted(lead_ids)), recipient.strip().lower()])
    return f"{kind.lower()}-{hashlib.sha256(material.encode('utf-8')).hexdigest()[:40]}"


def _check_address(address: str, role: str) -> str:
    if _CONTROL_CHARACTERS.search(address) or not address.strip():
        raise ValueError(f"{role} address is empty or contains control characters")
    return address.strip()


def _message(
    *,
    kind: str,
    lead_ids: Sequence[str],
    recipient: str,
    sender: str,
    subject: str,
    text: str,
    html_body: str,
    scope: str = "",
) -> EmailMessage:
    recipient = _check_address(recipient, "recipient")
    kind = str(kind)  # plain text, not the enum: headers travel as JSON and MIME
    headers = {HEADER_KIND: kind, HEADER_LEAD_IDS: header_safe(",".join(lead_ids))}
    return EmailMessage(
        sender=_check_address(sender, "sender"),
        recipients=(recipient,),
        subject=header_safe(subject),
        text=text,
        html=html_body,
        headers=MappingProxyType(headers),
        idempotency_key=idempotency_key(kind, lead_ids, recipient, scope=scope),
    )


def _subject_lead(view: _LeadView) -> str:
    company = _short(header_safe(view.company_or_placeholder))
    offer = _short(header_safe(view.offer))
    route = header_safe(view.route)
    return f"{company} — {offer} ({route})" if route else f"{company} — {offer}"


def _single_lead_email(
    view: _LeadView, *, headline: str, notes: list[tuple[str, str]], intro: str, action_label: str
) -> tuple[str, str]:
    """Plain text and HTML of an email about one lead. `notes` are (text, background colour)."""
    words = view.words
    rows = _detail_rows(view)
    expired_note = words.t("expired_contact_note")
    contact_note = [expired_note] if view.expired and not view.has_contact_details else []
    text_parts = [headline, "", intro, ""]
    text_parts += [note for note, _ in notes]
    if notes:
        text_parts.append("")
    text_parts += [f"{action_label}: {view.link}", "", _text_details(rows)]
    if contact_note:
        text_parts += ["", *contact_note]
    text_parts += ["", "-- ", words.t("footer")]
    text = "\n".join(text_parts) + "\n"

    html_body = _render_html(
        "lead_email.html",
        words,
        link_label=words.t("label.link"),
        title=headline,
        headline=headline,
        intro=intro,
        note_items=notes,
        link=view.link,
        action_label=action_label,
        rows=rows,
        contact_notes=contact_note,
    )
    return text, html_body


# --- the three emails ----------------------------------------------------------------------


def render_new_lead(
    lead: Mapping[str, Any],
    *,
    recipient: str,
    sender: str,
    portal_base_url: str,
    urgency_hours: int = DEFAULT_URGENCY_HOURS,
    language: str = DEFAULT_LANGUAGE,
) -> EmailMessage:
    """The individual email for one new lead (`NewLead`), in the recipient's `language`."""
    words = EmailText(language)
    view = _view(lead, portal_base_url, words)
    notes: list[tuple[str, str]] = []
    if view.requested_contact:
        notes.append((flame_note(urgency_hours, words), _FLAME_COLOUR))
    if view.possible_spam:
        notes.append((spam_warning(view), _SPAM_COLOUR))
    headline = words.t("new_lead.headline", company=view.company_or_placeholder)
    intro = words.t("new_lead.intro", offer=view.offer)
    text, html_body = _single_lead_email(
        view, headline=headline, notes=notes, intro=intro, action_label=words.t("new_lead.action")
    )
    prefix = f"{FLAME} " if view.requested_contact else ""
    spam_prefix = words.t("subject.possible_spam") + " " if view.possible_spam else ""
    return _message(
        kind=NotificationKind.NEW_LEAD,
        lead_ids=[view.id],
        recipient=recipient,
        sender=sender,
        subject=prefix + spam_prefix + words.t("new_lead.subject", lead=_subject_lead(view)),
        text=text,
        html_body=html_body,
    )


def render_contact_overdue(
    lead: Mapping[str, Any],
    *,
    recipient: str,
    sender: str,
    portal_base_url: str,
    urgency_hours: int,
    language: str = DEFAULT_LANGUAGE,
) -> EmailMessage:
    """The reminder that a customer who asked for contact is still waiting (`ContactOverdue`)."""
    words = EmailText(language)
    view = _view(lead, portal_base_url, words)
    created = _parse_datetime(view.created_raw)
    due = words.moment(created + timedelta(hours=urgency_hours)) if created else None
    due_text = " " + words.t("overdue.due", due=due) if due else ""
    overdue_note = f"{FLAME} " + words.t("overdue.note", hours=urgency_hours) + due_text
    notes = [(overdue_note, _FLAME_COLOUR)]
    if view.possible_spam:
        notes.append((spam_warning(view), _SPAM_COLOUR))
    headline = words.t("overdue.headline", company=view.company_or_placeholder)
    intro = words.t("overdue.intro")
    text, html_body = _single_lead_email(
        view, headline=headline, notes=notes, intro=intro, action_label=words.t("overdue.action")
    )
    return _message(
        kind=NotificationKind.CONTACT_OVERDUE,
        lead_ids=[view.id],
        recipient=recipient,
        sender=sender,
        subject=f"{FLAME} " + words.t("overdue.subject", lead=_subject_lead(view)),
        text=text,
        html_body=html_body,
    )


_DIGEST_COLUMNS = ("received", "company", "offer", "type", "contact", "email", "quality", "notes", "link")
_TEXT_CELL_MAX = 32
# The HTML table shows more, but not all: a digest lists up to hundreds of leads in one email
# (ACS takes 10 MB), so a row stays small whatever a lead's text; the lead's page shows it all.
HTML_CELL_MAX = 200


def _digest_cells(view: _LeadView) -> tuple[str, ...]:
    words = view.words
    notes = []
    if view.requested_contact:
        notes.append(FLAME)
    if view.possible_spam:
        notes.append(f"{WARNING} " + words.t("digest.mark.spam"))
    if view.expired:
        notes.append(words.t("digest.mark.expired"))
    return (
        view.created or "",
        view.company_or_placeholder,
        view.offer,
        view.route,
        view.contact_name or "",
        view.contact_email or "",
        words.value("quality", view.quality) or "",
        " ".join(notes),
        view.link,
    )


def _text_table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain-text table; long cells are cut (the link, last, never is)."""
    cut = [
        tuple(
            header_safe(cell) if i == len(row) - 1 else _short(header_safe(cell), _TEXT_CELL_MAX)
            for i, cell in enumerate(row)
        )
        for row in rows
    ]
    widths = [max(len(row[i]) for row in [columns, *cut]) for i in range(len(columns))]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    separator = "-+-".join("-" * width for width in widths)
    return "\n".join([line(columns), separator, *(line(row) for row in cut)])


def render_digest(
    leads: Sequence[Mapping[str, Any]],
    *,
    day: date,
    recipient: str,
    sender: str,
    portal_base_url: str,
    urgency_hours: int = DEFAULT_URGENCY_HOURS,
    language: str = DEFAULT_LANGUAGE,
) -> EmailMessage:
    """The daily digest (`Digest`) of the leads of `day` that were not emailed one by one.

    Leads are listed in the order given. An empty digest is never sent, so it is refused.
    """
    if not leads:
        raise ValueError("a digest needs at least one lead")
    words = EmailText(language)
    views = [_view(lead, portal_base_url, words) for lead in leads]
    rows = [_digest_cells(view) for view in views]
    count = len(views)
    number = "one" if count == 1 else "many"
    shown_day = words.day(day)
    headline = words.t(f"digest.headline.{number}", count=count, day=shown_day)
    intro = words.t(f"digest.intro.{number}", day=shown_day)
    notes: list[tuple[str, str]] = []
    flamed = sum(view.requested_contact for view in views)
    if flamed:
        marked = words.t("digest.flamed", flamed=flamed, count=count, flame=FLAME)
        notes.append((f"{flame_note(urgency_hours, words)} {marked}", _FLAME_COLOUR))
    flagged = sum(view.possible_spam for view in views)
    if flagged:
        mark = f"{WARNING} " + words.t("digest.mark.spam")
        warning = words.t(f"digest.spam.{number}", flagged=flagged, count=count, mark=mark)
        notes.append((f"{WARNING} {warning}", _SPAM_COLOUR))
    columns = tuple(words.t(f"digest.column.{column}") for column in _DIGEST_COLUMNS)
    text_parts = [headline, "", intro, ""]
    text_parts += [note for note, _ in notes]
    if notes:
        text_parts.append("")
    text_parts += [_text_table(columns, rows), "", "-- ", words.t("footer")]
    text = "\n".join(text_parts) + "\n"
    html_body = _render_html(
        "digest_email.html",
        words,
        open_label=words.t("digest.open"),
        title=headline,
        headline=headline,
        intro=intro,
        note_items=notes,
        columns=columns,
        # The link, last, is the row's button; the other cells are cut to HTML_CELL_MAX.
        rows=[([_short(value, HTML_CELL_MAX) for value in row[:-1]], row[-1]) for row in rows],
    )
    return _message(
        kind=NotificationKind.DIGEST,
        lead_ids=[view.id for view in views],
        recipient=recipient,
        sender=sender,
        subject=words.t(f"digest.subject.{number}", count=count, day=shown_day),
        text=text,
        html_body=html_body,
        scope=day.isoformat(),
    )
