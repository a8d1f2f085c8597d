"""Lead rows as CSV (contract §6): the columns, their formats, and formula-injection safety.

The file is UTF-8 with a BOM (so spreadsheet programs pick the right encoding),
CRLF line ends and RFC 4180 quoting. Rows are written as they come into a byte
stream, so an export holds one encoded copy of the document and nothing more.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import BinaryIO

from shared.domain.enums import Status
from shared.domain.lead import Customer, Lead, utc_iso

COLUMNS: tuple[str, ...] = (
    "LeadId",
    "LeadCreationDateTime",
    "LeadType",
    "Qualification",
    "LeadSource",
    "CallToAction",
    "OfferId",
    "OfferTitle",
    "CustomerName",
    "ContactFirstName",
    "ContactLastName",
    "ContactEmail",
    "ContactPhone",
    "ContactTitle",
    "Country",
    "CompanySize",
    "CustomerNeed",
    "Stage",
    "Status",
    "StatusReason",
    "ExpirationDateTime",
    "LeadQuality",
    "EmailValidity",
    "PhoneValidity",
    "SpamFlags",
    "CustomerRequestedContact",
    "DealName",
    "DealValue",
    "Currency",
    "EstimatedCloseDate",
    "CampaignId",
    "CrmId",
    "Favorite",
)

BOM = "\ufeff"
LINE_END = "\r\n"
MEDIA_TYPE = "text/csv"
# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A normalized E.164 number: `+` and up to 15 digits, nothing else (fullmatch: no trailing newline).
_E164 = re.compile(r"\+[0-9]{1,15}")

Cell = str | Enum | int | Decimal | bool | date | datetime | None

_FORMULA_CHARS = frozenset(_FORMULA_START)


def plain_decimal(value: Decimal) -> str:
    """A number as a plain decimal: no exponent, no trailing zeros (25000, 1234.5)."""
    return format(value.normalize(), "f")


def iso_date_time(moment: datetime | None) -> str:
    """ISO 8601 UTC with `Z` and milliseconds, as the API shows it (`utc_iso`), but cheaper per row."""
    if moment is None:
        return ""
    if moment.utcoffset() or moment.tzinfo is None:
        return utc_iso(moment) or ""
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def cell_text(value: Cell) -> str:
    """One value in the contract's CSV form: null is empty, booleans true/false, dates ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, str):  # StrEnum members too: their text is their value
        return str(value) if isinstance(value, Enum) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_date_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def safe_cell(text: str) -> str:
    """Neutralize a cell a spreadsheet would read as a formula, with a leading apostrophe."""
    return "'" + text if text[:1] in _FORMULA_CHARS else text


def safe_phone(text: str) -> str:
    """A normalized E.164 number stays as it is; any other phone text is treated like every cell."""
    return text if _E164.fullmatch(text) else safe_cell(text)


def _text(value: str | None) -> str:
    # Free text from the customer or the partner: null is empty, a formula is neutralized.
    if value is None:
        return ""
    return "'" + value if value[:1] in _FORMULA_CHARS else value


def _enum(value: Enum | None) -> str:
    # Contract enum values are fixed words: none starts like a formula.
    return "" if value is None else value.value


def row(lead: Lead, favorite: bool) -> list[str]:
    """The lead's cells, in `COLUMNS` order; an expired lead's contact cells are empty.

    Written out per column type rather than through `cell_text` for every value: this
    runs once per exported lead, and per-cell dispatch was most of the export's own cost.
    """
    customer: Customer = lead.customer
    offer = lead.offer
    deal = lead.deal
    if lead.status is Status.EXPIRED:
        first_name = last_name = email = phone = title = ""
    else:
        first_name = _text(customer.first_name)
        last_name = _text(customer.last_name)
        email = _text(customer.email)
        phone = "" if customer.phone is None else safe_phone(customer.phone)
        title = _text(customer.title)
    return [
        _text(lead.id),
        iso_date_time(lead.created_date_time),
        _enum(lead.lead_type),
        _enum(lead.qualification),
        _enum(lead.lead_source),
        _enum(lead.call_to_action),
        _text(offer.id) if offer else "",
        _text(offer.title) if offer else "",
        _text(customer.company),
        first_name,
        last_name,
        email,
        phone,
        title,
        _text(customer.country),
        _text(customer.size),
        _text(lead.customer_need),
        _enum(lead.stage),
        _enum(lead.status),
        _text(lead.status_reason),
        iso_date_time(lead.expiration_date_time),
        _enum(lead.quality),
        _enum(lead.email_validity),
        _enum(lead.phone_validity),
        _text(";".join(lead.spam_flags)),
        "true" if lead.customer_requested_contact else "false",
        _text(deal.name) if deal else "",
        plain_decimal(deal.value) if deal else "",
        _text(deal.currency) if deal else "",
        deal.estimated_close_date.isoformat() if deal else "",
        _text(deal.campaign_id) if deal else "",
        _text(deal.crm_id) if deal else "",
        "true" if favorite else "false",
    ]


def filename(today: datetime) -> str:
    """`leads-YYYYMMDD.csv`, the date being today in UTC."""
    return f"leads-{today.astimezone(UTC):%Y%m%d}.csv"


def write_csv(leads: Iterable[tuple[Lead, bool]], sink: BinaryIO) -> None:
    """Write the document to `sink` as UTF-8 bytes, row by row as `leads` yields them."""
    text = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    try:
        text.write(BOM)
        writer = csv.writer(text, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        writer.writerows(row(lead, favorite) for lead, favorite in leads)
        text.flush()
    finally:
        # Leave `sink` open for the caller: the wrapper would close it when collected.
        text.detach()


def render(leads: Iterable[tuple[Lead, bool]]) -> bytes:
    """The whole document as bytes (one copy: BytesIO hands over its buffer without copying)."""
    buffer = io.BytesIO()
    write_csv(leads, buffer)
    return buffer.getvalue()
