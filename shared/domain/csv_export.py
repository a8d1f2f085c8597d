"""Lead rows as CSV (contract §6): the columns, their formats, and formula-injection safety."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from shared.domain.enums import Status
from shared.domain.lead import Lead, utc_iso

COLUMNS = (
    "LeadId LeadCreationDateTime LeadType Qualification LeadSource CallToAction OfferId OfferTitle "
    "CustomerName ContactFirstName ContactLastName ContactEmail ContactPhone ContactTitle Country "
    "CompanySize CustomerNeed Stage Status StatusReason ExpirationDateTime LeadQuality EmailValidity "
    "PhoneValidity SpamFlags CustomerRequestedContact DealName DealValue Currency EstimatedCloseDate "
    "CampaignId CrmId Favorite"
).split()

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"^\+[0-9]{1,15}$")

Cell = str | int | Decimal | bool | date | datetime | None


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc_iso(value) or ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return str(value)


def safe_cell(text: str, *, is_phone: bool = False) -> str:
    """Neutralize spreadsheet formulas, except a normalized E.164 phone number."""
    if is_phone and _E164.match(text):
        return text
    return "'" + text if text.startswith(_FORMULA_START) else text


def row(lead: Lead, favorite: bool) -> list[str]:
    customer = lead.customer
    if lead.status is Status.EXPIRED:
        customer = customer.without_contact_details()
    deal = lead.deal
    values: list[Cell] = [
        lead.id,
        lead.created_date_time,
        lead.lead_type,
        lead.qualification,
        lead.lead_source,
        lead.call_to_action,
        lead.offer.id if lead.offer else None,
        lead.offer.title if lead.offer else None,
        customer.company,
        customer.first_name,
        customer.last_name,
        customer.email,
        customer.phone,
        customer.title,
        customer.country,
        customer.size,
        lead.customer_need,
        lead.stage,
        lead.status,
        lead.status_reason,
        lead.expiration_date_time,
        lead.quality,
        lead.email_validity,
        lead.phone_validity,
        ";".join(lead.spam_flags),
        lead.customer_requested_contact,
        deal.name if deal else None,
        deal.value if deal else None,
        deal.currency if deal else None,
        deal.estimated_close_date if deal else None,
        deal.campaign_id if deal else None,
        deal.crm_id if deal else None,
        favorite,
    ]
    phone_column = COLUMNS.index("ContactPhone")
    return [safe_cell(_text(value), is_phone=index == phone_column) for index, value in enumerate(values)]


def filename(today: datetime) -> str:
    return f"leads-{today:%Y%m%d}.csv"


def render(leads: Iterable[tuple[Lead, bool]]) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for lead, favorite in leads:
        writer.writerow(row(lead, favorite))
    return buffer.getvalue().encode("utf-8")
