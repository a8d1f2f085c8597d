"""Open an export the way a spreadsheet user would: LibreOffice converts it to xlsx, then we inspect it.

Run: .venv/bin/python bench/xlsx_check.py [--csv export.csv] [--keep-xlsx out.xlsx]

Without `--csv` it renders a document of awkward leads (formula-injection attempts in
every text column, Dutch, German and Turkish names, emoji, multi-line notes). LibreOffice
(`soffice`, e.g. Debian's libreoffice-calc-nogui) imports it headless as UTF-8 CSV and
saves xlsx; openpyxl then checks that:

- no cell became a formula;
- the header is the contract's columns;
- the text columns hold exactly what the CSV holds (Unicode intact, quotes and
  line breaks inside notes kept, CR LF shown as the sheet's LF), the neutralizing
  apostrophe included.

Not part of `make test`: it needs LibreOffice and takes seconds.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import load_workbook

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
from shared.domain.lead_ids import new_lead_id

# 44 = comma, 34 = double quote, 76 = UTF-8, 1 = data starts on line 1.
CSV_IMPORT_FILTER = "CSV:44,34,76,1"
CONVERT_TIMEOUT_SECONDS = 180
TEXT_COLUMNS = (
    "CustomerName",
    "ContactFirstName",
    "ContactLastName",
    "ContactEmail",
    "ContactTitle",
    "CustomerNeed",
    "OfferTitle",
    "DealName",
    "StatusReason",
)
MUST_SURVIVE = ("Ĳsselmeer Beheer", "Müller Straße GmbH", "Şişli İnşaat", "Ğ ı İ ş ç ö ü", "Rocket 🚀")
ATTACKS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
)


def sample_leads() -> list[tuple[Lead, bool]]:
    now = datetime.now(UTC)
    leads = []
    texts = [*MUST_SURVIVE, *ATTACKS]
    for n, text in enumerate(texts):
        created = now - timedelta(minutes=n + 1)
        accepted = n % 2 == 0
        lead = Lead(
            id=new_lead_id(created),
            partner_id="xlsx-check",
            lead_type=LeadType.OFFER,
            qualification=Qualification.DIRECT,
            lead_source=LeadSource.APPSOURCE,
            call_to_action=CallToAction.CONTACT_ME,
            offer=Offer(id="contoso-crm", title=text),
            customer=Customer(
                company=text,
                first_name=text,
                last_name="Öztürk",
                email="eva@fabrikam.nl",
                phone="+31207940000" if n % 3 else text,
                title=text,
                country="NL",
            ),
            customer_need=f'{text}\r\nsecond line with "quotes", and a comma',
            customer_requested_contact=True,
            stage=Stage.ACCEPTED if accepted else Stage.RECEIVED,
            status=Status.ACCEPTED if accepted else Status.RECEIVED,
            created_date_time=created,
            updated_date_time=created,
            expiration_date_time=created + timedelta(days=14),
            email_validity=EmailValidity.VALID,
            phone_validity=PhoneValidity.VALID,
            quality=Quality.HIGH,
            deal=Deal(
                name=text,
                value=Decimal("1234.5"),
                currency="EUR",
                estimated_close_date=date(2027, 3, 31),
                notes="n",
            )
            if accepted
            else None,
        )
        leads.append((lead, n % 2 == 1))
    return leads


def convert_to_xlsx(soffice: str, source: Path, out_dir: Path) -> Path:
    profile = out_dir / "profile"
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--convert-to",
        "xlsx",
        f"--infilter={CSV_IMPORT_FILTER}",
        "--outdir",
        str(out_dir),
        str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS)
    converted = out_dir / (source.stem + ".xlsx")
    if not converted.exists():
        raise SystemExit(f"LibreOffice wrote no {converted.name}")
    return converted


def csv_rows(document: bytes) -> list[list[str]]:
    if not document.startswith(b"\xef\xbb\xbf"):
        raise SystemExit("the export does not start with a UTF-8 BOM")
    return list(csv.reader(io.StringIO(document[3:].decode("utf-8"), newline="")))


def same_text(shown: str, wanted: str) -> bool:
    # A spreadsheet cell has one kind of line break: CR LF and lone CR inside a cell become LF.
    return shown == wanted.replace("\r\n", "\n").replace("\r", "\n")


def check(document: bytes, xlsx: Path) -> list[str]:
    """Problems found; empty when the spreadsheet shows the export faithfully and safely."""
    problems: list[str] = []
    expected = csv_rows(document)
    sheet = load_workbook(xlsx).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows()]
    for row in cells:
        for cell in row:
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                problems.append(f"{cell.coordinate} is a formula: {cell.value!r}")
    header = [cell.value for cell in cells[0]] if cells else []
    if header != list(COLUMNS):
        problems.append(f"header differs: {header}")
    if len(cells) != len(expected):
        problems.append(f"{len(cells)} rows in the sheet, {len(expected)} in the CSV")
    for line, (row, wanted) in enumerate(zip(cells[1:], expected[1:], strict=False), start=2):
        for column in TEXT_COLUMNS:
            index = COLUMNS.index(column)
            shown = row[index].value if index < len(row) else None
            if not same_text(shown or "", wanted[index]):
                problems.append(f"row {line} {column}: sheet {shown!r}, CSV {wanted[index]!r}")
    shown_text = "\n".join(cell.value for row in cells for cell in row if isinstance(cell.value, str))
    csv_text = "\n".join(cell for row in expected for cell in row)
    for text in MUST_SURVIVE:
        if text in csv_text and text not in shown_text:
            problems.append(f"{text!r} did not survive")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="an export to check (default: a rendered sample)")
    parser.add_argument("--keep-xlsx", type=Path, help="copy the converted workbook here")
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
        return 2
    document = args.csv.read_bytes() if args.csv else csv_export.render(sample_leads())
    with tempfile.TemporaryDirectory(prefix="xlsx-check-") as work:
        source = Path(work) / "leads-export.csv"
        source.write_bytes(document)
        xlsx = convert_to_xlsx(soffice, source, Path(work))
        problems = check(document, xlsx)
        if args.keep_xlsx:
            shutil.copyfile(xlsx, args.keep_xlsx)
    rows = len(csv_rows(document)) - 1
    for problem in problems[:50]:
        print("PROBLEM", problem)
    print(f"{rows} rows checked: {'PASS' if not problems else f'FAIL ({len(problems)} problems)'}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
