"""Contact validation throughput: `check_contact` in `off` mode over generated leads.

Run: .venv/bin/python bench/bench_validation.py [--leads 10000]

Prints leads/s for the whole check next to email-validator alone and phonenumbers
alone on the same inputs, measured in the same run, so the cost of the rules on top
of the two libraries is visible. Target: at least 10,000 leads/s.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from shared.domain.contact_validation import ContactCheck, check_contact

TARGET_LEADS_PER_SECOND = 10_000

FIRST_NAMES = [
    "Eva",
    "Jonas",
    "Sophie",
    "Liam",
    "Anna",
    "Noah",
    "Emma",
    "Lucas",
    "Mia",
    "Yuki",
    "Priya",
    "José",
]
LAST_NAMES = [
    "de Vries",
    "Weber",
    "Martin",
    "Smith",
    "Tanaka",
    "Sharma",
    "García",
    "Jansen",
    "Müller",
    "Silva",
]
COMPANIES = ["Fabrikam BV", "Northwind Traders", "Contoso Ltd", "Tailspin Toys", "Woodgrove Bank", "Litware"]
DOMAINS = [
    "fabrikam.nl",
    "northwind.de",
    "contoso.com",
    "tailspin.co.uk",
    "woodgrove.fr",
    "bücher.de",
    "litware.jp",
]

# (country, a national number format with `#` for random digits)
PHONE_PLANS = [
    ("NL", "020 ### ####"),
    ("NL", "06 ########"),
    ("DE", "030 ######"),
    ("GB", "+44 20 7946 ####"),
    ("GB", "+44 1481 25####"),
    ("US", "(212) 555-####"),
    ("CA", "+1 416 555 ####"),
    ("FR", "01 42 ## ## ##"),
    ("JP", "03-####-####"),
    ("AU", "02 9374 ####"),
    ("IN", "+91 98### #####"),
    ("BR", "(11) 2345-####"),
]

BAD_EMAILS = ["eva@", "not an email", "eva@@x.nl", "a" * 300 + "@x.nl", "😀@fabrikam.nl", "eva\x00@x.nl"]
SPAM_EMAILS = ["eva@mailinator.com", "x@a.mailinator.com", "info@fabrikam.nl", "test@fabrikam.nl"]
BAD_PHONES = ["123", "call me", "+999 1", "1" * 80, "+31 20 794 0000\x00", ""]


@dataclass(frozen=True)
class GeneratedLead:
    email: str | None
    phone: str | None
    country: str | None
    texts: tuple[str | None, ...]


def _fill(pattern: str, rng: random.Random) -> str:
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in pattern)


def generate_leads(count: int, seed: int = 20261120) -> list[GeneratedLead]:
    """Mostly good leads across 10 countries; about 1 in 6 has a bad or spammy field."""
    rng = random.Random(seed)
    leads = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country, plan = rng.choice(PHONE_PLANS)
        email = f"{first.lower()}.{last.lower().replace(' ', '')}{n}@{rng.choice(DOMAINS)}"
        phone: str | None = _fill(plan, rng)
        roll = rng.random()
        if roll < 0.05:
            email = rng.choice(BAD_EMAILS)
        elif roll < 0.10:
            email = rng.choice(SPAM_EMAILS)
        elif roll < 0.15:
            phone = rng.choice(BAD_PHONES)
        elif roll < 0.17:
            phone = None
        texts = (first, last, rng.choice(COMPANIES), "We want a demo for 200 seats.")
        leads.append(GeneratedLead(email, phone, country, texts))
    return leads


def _rate(label: str, run: Callable[[], object], count: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    rate = count / best
    print(f"{label:<38} {rate:>10,.0f} /s   ({best * 1000:7.1f} ms for {count:,})")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3, help="best of N runs")
    args = parser.parse_args()

    leads = generate_leads(args.leads)
    spam_domains = frozenset({"spamfabriek.nl", "bulk-leads.io"})

    def validate_all() -> list[ContactCheck]:
        return [
            check_contact(
                email=lead.email,
                phone=lead.phone,
                country=lead.country,
                texts=lead.texts,
                spam_domains=spam_domains,
            )
            for lead in leads
        ]

    def email_validator_alone() -> None:
        for lead in leads:
            with contextlib.suppress(EmailNotValidError):
                validate_email(lead.email or "", check_deliverability=False)

    def phonenumbers_alone() -> None:
        for lead in leads:
            with contextlib.suppress(phonenumbers.NumberParseException):
                phonenumbers.is_valid_number(phonenumbers.parse(lead.phone or "", lead.country))

    validate_all()  # warm-up: imports, regex compilation, metadata loading
    print(f"{args.leads:,} generated leads, best of {args.repeats} runs, one core")
    full = _rate("check_contact (off mode)", validate_all, len(leads), args.repeats)
    _rate("email-validator alone", email_validator_alone, len(leads), args.repeats)
    _rate("phonenumbers parse+is_valid alone", phonenumbers_alone, len(leads), args.repeats)

    results = validate_all()
    emails = Counter(str(r.email_validity) for r in results)
    phones = Counter(str(r.phone_validity) for r in results)
    quality = Counter(str(r.quality) for r in results)
    print(f"emailValidity {dict(emails)}  phoneValidity {dict(phones)}  quality {dict(quality)}")
    verdict = "meets" if full >= TARGET_LEADS_PER_SECOND else "BELOW"
    print(f"{verdict} the target of {TARGET_LEADS_PER_SECOND:,} leads/s")
    return 0 if full >= TARGET_LEADS_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
