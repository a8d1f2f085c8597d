"""The export's row shaping and document format (contract §6), without storage."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from shared.domain import csv_export
from shared.domain.csv_export import COLUMNS
from shared.domain.enums import (
    CallToAction,
    EmailValidity,
    LeadSource,
    LeadType,
    PhoneValidity,
    Qualification,
    Quality,
    Stage,
    Status,
)
from shared.domain.lead import Customer, Deal, Lead, Offer

CREATED = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)


def make_lead(**overrides: Any) -> Lead:
    customer = overrides.pop("customer", {})
    fields: dict[str, Any] = {
        "id": "0Z8ABCDEFGHJKMNP",
        "partner_id": "contoso",
        "lead_type": LeadType.OFFER,
        "qualification": Qualification.DIRECT,
        "lead_source": LeadSource.APPSOURCE,
        "call_to_action": CallToAction.CONTACT_ME,
        "offer": Offer(id="contoso-crm", title="Contoso CRM"),
        "customer": Customer(
            **{
                "company": "Fabrikam BV",
                "first_name": "Eva",
                "last_name": "de Vries",
                "email": "eva@fabrikam.nl",
                "phone": "+31207940000",
                "title": "CIO",
                "country": "NL",
                "size": "51to500employees",
                **customer,
            }
        ),
        "customer_need": "We want a demo for 200 seats.",
        "customer_requested_contact": True,
        "stage": Stage.RECEIVED,
        "status": Status.RECEIVED,
        "created_date_time": CREATED,
        "updated_date_time": CREATED,
        "expiration_date_time": CREATED + timedelta(days=14),
        "email_validity": EmailValidity.VALID,
        "phone_validity": PhoneValidity.VALID,
        "quality": Quality.HIGH,
    }
    fields.update(overrides)
    return Lead(**fields)


def cells(lead: Lead, favorite: bool = False) -> dict[str, str]:
    return dict(zip(COLUMNS, csv_export.row(lead, favorite), strict=True))


def parse(document: bytes) -> list[list[str]]:
    assert document.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(document[3:].decode("utf-8"), newline="")))


def test_columns_are_the_contracts_in_its_order() -> None:
    contract = (
        "LeadId, LeadCreationDateTime, LeadType, Qualification, LeadSource, CallToAction, OfferId, "
        "OfferTitle, CustomerName, ContactFirstName, ContactLastName, ContactEmail, ContactPhone, "
        "ContactTitle, Country, CompanySize, CustomerNeed, Stage, Status, StatusReason, "
        "ExpirationDateTime, LeadQuality, EmailValidity, PhoneValidity, SpamFlags, "
        "CustomerRequestedContact, DealName, DealValue, Currency, EstimatedCloseDate, CampaignId, "
        "CrmId, Favorite"
    )
    assert list(COLUMNS) == contract.split(", ")


def test_every_column_of_a_received_lead() -> None:
    lead = make_lead(spam_flags=["role_address", "test_pattern"])
    assert cells(lead, favorite=True) == {
        "LeadId": "0Z8ABCDEFGHJKMNP",
        "LeadCreationDateTime": "2026-03-04T05:06:07.891Z",
        "LeadType": "Offer",
        "Qualification": "Direct",
        "LeadSource": "AppSource",
        "CallToAction": "ContactMe",
        "OfferId": "contoso-crm",
        "OfferTitle": "Contoso CRM",
        "CustomerName": "Fabrikam BV",
        "ContactFirstName": "Eva",
        "ContactLastName": "de Vries",
        "ContactEmail": "eva@fabrikam.nl",
        "ContactPhone": "+31207940000",
        "ContactTitle": "CIO",
        "Country": "NL",
        "CompanySize": "51to500employees",
        "CustomerNeed": "We want a demo for 200 seats.",
        "Stage": "Received",
        "Status": "Received",
        "StatusReason": "",
        "ExpirationDateTime": "2026-03-18T05:06:07.891Z",
        "LeadQuality": "High",
        "EmailValidity": "Valid",
        "PhoneValidity": "Valid",
        "SpamFlags": "role_address;test_pattern",
        "CustomerRequestedContact": "true",
        "DealName": "",
        "DealValue": "",
        "Currency": "",
        "EstimatedCloseDate": "",
        "CampaignId": "",
        "CrmId": "",
        "Favorite": "true",
    }


def test_deal_columns_dates_and_plain_numbers() -> None:
    deal = Deal(
        name="Fabrikam CRM rollout",
        value=Decimal("25000"),
        currency="EUR",
        estimated_close_date=date(2027, 3, 31),
        notes="Demo booked.",
        campaign_id="cmp-7",
        crm_id="CRM-42",
    )
    lead = make_lead(
        stage=Stage.ACCEPTED, status=Status.ACCEPTED, deal=deal, customer_requested_contact=False
    )
    row = cells(lead)
    assert row["DealName"] == "Fabrikam CRM rollout"
    assert row["DealValue"] == "25000"
    assert row["Currency"] == "EUR"
    assert row["EstimatedCloseDate"] == "2027-03-31"
    assert row["CampaignId"] == "cmp-7"
    assert row["CrmId"] == "CRM-42"
    assert row["CustomerRequestedContact"] == "false"
    assert row["Favorite"] == "false"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [("25000", "25000"), ("1234.50", "1234.5"), ("0", "0"), ("1E+6", "1000000"), ("0.05", "0.05")],
)
def test_numbers_are_plain_decimals(stored: str, expected: str) -> None:
    deal = Deal(
        name="d", value=Decimal(stored), currency="USD", estimated_close_date=date(2027, 1, 1), notes="n"
    )
    assert cells(make_lead(stage=Stage.ACCEPTED, status=Status.ACCEPTED, deal=deal))["DealValue"] == expected


def test_a_deal_value_read_back_from_storage_json_is_plain() -> None:
    deal = Deal(
        name="d", value=Decimal("1234.5"), currency="USD", estimated_close_date=date(2027, 1, 1), notes="n"
    )
    lead = make_lead(stage=Stage.ACCEPTED, status=Status.ACCEPTED, deal=deal)
    stored = Lead.model_validate_json(lead.model_dump_json(by_alias=True))
    assert cells(stored)["DealValue"] == "1234.5"


def test_date_times_are_utc_with_z_whatever_the_offset() -> None:
    amsterdam = timezone(timedelta(hours=2))
    lead = make_lead(created_date_time=datetime(2026, 6, 1, 1, 30, tzinfo=amsterdam))
    assert cells(lead)["LeadCreationDateTime"] == "2026-05-31T23:30:00.000Z"


def test_nulls_are_empty_cells_for_an_informational_lead() -> None:
    lead = make_lead(
        call_to_action=CallToAction.FREE_TRIAL,
        stage=Stage.INFORMATIONAL,
        status=None,
        expiration_date_time=None,
        email_validity=None,
        phone_validity=None,
        quality=None,
        offer=None,
        customer_need=None,
        customer={"size": None, "country": None, "phone": None},
    )
    row = cells(lead)
    for column in (
        "Status",
        "ExpirationDateTime",
        "LeadQuality",
        "EmailValidity",
        "PhoneValidity",
        "OfferId",
        "OfferTitle",
        "CustomerNeed",
        "CompanySize",
        "Country",
        "ContactPhone",
        "SpamFlags",
    ):
        assert row[column] == "", column
    assert row["Stage"] == "Informational"


def test_expired_lead_exports_empty_contact_cells_even_if_storage_still_had_them() -> None:
    lead = make_lead(stage=Stage.ARCHIVED, status=Status.EXPIRED)
    row = cells(lead)
    for column in ("ContactFirstName", "ContactLastName", "ContactEmail", "ContactPhone", "ContactTitle"):
        assert row[column] == "", column
    assert row["CustomerName"] == "Fabrikam BV"
    assert row["Status"] == "Expired"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Fabrikam = great", "Fabrikam = great"),
        ("", ""),
    ],
)
def test_formula_injection_is_neutralized_in_text_cells(text: str, expected: str) -> None:
    row = cells(make_lead(customer={"company": text or "x", "title": text}, customer_need=text))
    assert row["ContactTitle"] == expected
    assert row["CustomerNeed"] == expected
    if text:
        assert row["CustomerName"] == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+31207940000", "+31207940000"),
        ("+14155550123", "+14155550123"),
        ("+31 20 794 0000", "'+31 20 794 0000"),
        ("+1+1", "'+1+1"),
        ("+31207940000\n", "'+31207940000\n"),
        ("+1234567890123456", "'+1234567890123456"),
        ("=1+1", "'=1+1"),
        ("-31207940000", "'-31207940000"),
        ("020 794 0000", "020 794 0000"),
    ],
)
def test_only_a_normalized_e164_phone_keeps_its_plus(phone: str, expected: str) -> None:
    assert cells(make_lead(customer={"phone": phone}))["ContactPhone"] == expected


def test_an_e164_looking_value_in_another_column_is_still_prefixed() -> None:
    assert cells(make_lead(customer={"title": "+31207940000"}))["ContactTitle"] == "'+31207940000"


def test_document_starts_with_bom_and_uses_crlf() -> None:
    document = csv_export.render([(make_lead(), False), (make_lead(id="0Z8ABCDEFGHJKMNQ"), True)])
    assert document.startswith("\ufeffLeadId,LeadCreationDateTime,".encode())
    lines = document.split(b"\r\n")
    assert len(lines) == 4 and lines[-1] == b""
    assert b"\n" not in b"".join(lines)
    rows = parse(document)
    assert rows[0] == list(COLUMNS)
    assert [r[0] for r in rows[1:]] == ["0Z8ABCDEFGHJKMNP", "0Z8ABCDEFGHJKMNQ"]


def test_empty_result_is_the_header_row_only() -> None:
    document = csv_export.render([])
    assert document == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")


def test_quotes_commas_and_newlines_are_quoted_per_rfc_4180() -> None:
    need = 'Line one, with a comma\r\nLine "two"\nLine three'
    document = csv_export.render(
        [(make_lead(customer_need=need, customer={"company": 'ACME "Best", Ltd'}), False)]
    )
    text = document.decode("utf-8")
    assert '"Line one, with a comma\r\nLine ""two""\nLine three"' in text
    assert '"ACME ""Best"", Ltd"' in text
    row = dict(zip(COLUMNS, parse(document)[1], strict=True))
    assert row["CustomerNeed"] == need
    assert row["CustomerName"] == 'ACME "Best", Ltd'


def test_unicode_survives_a_round_trip() -> None:
    names = ["Ĳsselmeer Beheer", "Müller Straße GmbH", "Şişli İnşaat", "Café 🚀 Rocket 👩🏽‍💻"]
    leads = [
        (make_lead(id=f"0Z8ABCDEFGHJKM{n:02d}", customer={"company": name}), False)
        for n, name in enumerate(names)
    ]
    rows = parse(csv_export.render(leads))
    assert [r[COLUMNS.index("CustomerName")] for r in rows[1:]] == names


def test_render_writes_rows_as_they_come() -> None:
    produced: list[int] = []
    sink = io.BytesIO()

    def leads() -> Any:
        for n in range(3):
            produced.append(n)
            yield make_lead(id=f"0Z8ABCDEFGHJKM{n:02d}"), False

    csv_export.write_csv(leads(), sink)
    assert produced == [0, 1, 2]
    assert not sink.closed
    assert len(parse(sink.getvalue())) == 4


def test_filename_is_today_in_utc() -> None:
    late_evening_in_new_york = datetime(2026, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert csv_export.filename(late_evening_in_new_york) == "leads-20270101.csv"
    assert csv_export.filename(datetime(2026, 1, 2, tzinfo=UTC)) == "leads-20260102.csv"
