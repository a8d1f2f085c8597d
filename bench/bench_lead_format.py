"""The cost of the versioned stored format of a lead, in process (no storage).

Run: .venv/bin/python bench/bench_lead_format.py [--rounds 3000]

Prints CPU microseconds per lead to read and to write a lead row's JSON in the stored format
(`shared/adapters/lead_format.py`: StoredLeadV1 mapped to and from the API model) next to the
API model's own JSON, which is what rows held before the format had a version, measured side
by side in one run. CPU time (best of five) rather than wall time, as the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.adapters.lead_format import lead_from_json, lead_to_json
from shared.domain.enums import CallToAction, LeadType, Stage, Status
from shared.domain.lead import Customer, Deal, Lead, Offer, TeamMember

T = datetime(2026, 11, 20, 8, 0, 1, 234000, tzinfo=UTC)


def accepted_lead() -> Lead:
    """A lead with every part filled in: offer, contact, deal and a team of three."""
    return Lead(
        id="8235912399999abcdefghjk",
        partner_id="contoso",
        lead_type=LeadType.OFFER,
        qualification="MarketingQualified",
        lead_source="AppSource",
        call_to_action=CallToAction.CONTACT_ME,
        offer=Offer(id="contoso.crm", title="Contoso CRM"),
        customer=Customer(
            company="Fabrikam BV",
            first_name="Eva",
            last_name="de Vries",
            email="eva@fabrikam.nl",
            phone="+31207940000",
            title="CIO",
            country="NL",
        ),
        customer_need="A demo for 200 seats.",
        customer_requested_contact=True,
        stage=Stage.ACCEPTED,
        status=Status.ACCEPTED,
        created_date_time=T,
        updated_date_time=T,
        expiration_date_time=T,
        accepted_date_time=T,
        validated_date_time=T,
        email_validity="Valid",
        phone_validity="Valid",
        quality="High",
        deal=Deal(
            name="Fabrikam CRM",
            value=Decimal("30000.5"),
            currency="EUR",
            estimated_close_date=date(2027, 1, 31),
            notes="Signed soon.",
        ),
        team=[TeamMember(name=f"Member {n}", email=f"m{n}@partner.example") for n in range(3)],
        arrived_date_time=T,
        history_count=3,
    )


def cpu_microseconds(action: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(rounds):
            action()
        best = min(best, (time.process_time() - started) / rounds * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    rounds = parser.parse_args().rounds
    lead = accepted_lead()
    version, data = lead_to_json(lead)
    assert lead_from_json(data, version) == lead
    rows = [
        ("read", cpu_microseconds(lambda: Lead.model_validate_json(data), rounds),
         cpu_microseconds(lambda: lead_from_json(data, version), rounds)),
        ("write", cpu_microseconds(lambda: lead.model_dump_json(by_alias=True), rounds),
         cpu_microseconds(lambda: lead_to_json(lead), rounds)),
    ]  # fmt: skip
    print(f"{'':6} {'API model JSON':>15} {'stored format':>14} {'ratio':>6}   (CPU µs per lead)")
    for name, plain, versioned in rows:
        print(f"{name:6} {plain:15.1f} {versioned:14.1f} {versioned / plain:6.2f}")


if __name__ == "__main__":
    main()
