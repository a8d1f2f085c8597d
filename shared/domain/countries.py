"""Country names and codes to ISO 3166-1 alpha-2 (contract §3a).

Accepts alpha-2, alpha-3, English names (short, official, common) and Dutch
names in any letter case, plus the colloquial names partners' customers type.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache

import pycountry

# Names people type that ISO does not list.
_ALIASES = {
    "holland": "NL",
    "the netherlands": "NL",
    "nederland": "NL",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "verenigd koninkrijk": "GB",
    "groot-brittannië": "GB",
    "engeland": "GB",
    "usa": "US",
    "us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "verenigde staten": "US",
    "amerika": "US",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "turkey": "TR",
    "türkiye": "TR",
    "turkije": "TR",
    "vietnam": "VN",
    "ivory coast": "CI",
    "uae": "AE",
}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    return " ".join(folded.split())


@cache
def _lookup() -> dict[str, str]:
    # Built on first use, not at import: keeps the app's cold start short.
    dutch = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"], fallback=True)
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.name, getattr(country, "official_name", None), getattr(country, "common_name", None)]
        for name in names:
            if name:
                table.setdefault(_key(name), code)
                table.setdefault(_key(dutch.gettext(name)), code)
        table[_key(country.alpha_3)] = code
    for alias, code in _ALIASES.items():
        table[_key(alias)] = code
    for country in pycountry.countries:
        table[_key(country.alpha_2)] = country.alpha_2
    return table


def to_alpha2(raw: str | None) -> str | None:
    """The alpha-2 code for a code or name, or None when it cannot be recognised."""
    if raw is None or not isinstance(raw, str):
        return None
    key = _key(raw)
    if not key or len(key) > 100:
        return None
    return _lookup().get(key)


@cache
def alpha2_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def is_alpha2(code: str) -> bool:
    return len(code) == 2 and code.upper() in alpha2_codes()
