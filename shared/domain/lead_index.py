"""Index rows for the list's search (`q`) and its expiry sort, kept beside each lead.

Both are derived rows (`derived_rows`), pure functions of the lead, written in its transaction:

- `word|<token>|<leadId>` for each search word of the lead: the words of the company, the
  contact's first and last name and the email address (local part and domain), split on
  anything that is not a letter or digit, accents removed (NFKD) and case folded. A query word
  matches a lead when it is the start of one of these words, so a RowKey range over
  `word|<query word>` finds every candidate. An expired lead has no contact details, so its
  name and email words, and their rows, go with them.
- `exp|<expiry>|<leadId>`: every lead, ordered by `expirationDateTime` (UTC, fixed width),
  with `exp|none|<leadId>` for a lead without one; `none` sorts after every date and the lead
  id sorts newest first, which is exactly the list's `sort=expiry` order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC

from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.lead import Lead

WORD_PREFIX = "word|"
EXPIRY_PREFIX = "exp|"
NO_EXPIRY = "none"
# A lead keeps at most this many search words (two operations each when all change, within
# the 97 derived operations one transaction leaves, next to other features' rows). Company
# words come first, then names, then the email: a lead whose fields hold more words is found
# by its first 24.
MAX_WORDS_PER_LEAD = 24
# Words are indexed (and matched) on their first 32 characters.
MAX_WORD_LENGTH = 32


def normalise(text: str) -> str:
    """Accents removed (NFKD, combining marks dropped) and case folded: `Émile` -> `emile`."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Case folding can compose again (`ǰ` folds to `ǰ`); a second pass keeps the result stable.
    folded = unicodedata.normalize("NFKD", stripped.casefold())
    return "".join(char for char in folded if not unicodedata.combining(char))


def words(text: str | None) -> list[str]:
    """The words of `text`: runs of letters and digits after `normalise`, cut to 32 characters."""
    if not text:
        return []
    found: list[str] = []
    current: list[str] = []
    for char in normalise(text) + " ":
        if char.isalnum():
            current.append(char)
        elif current:
            found.append("".join(current)[:MAX_WORD_LENGTH])
            current = []
    return found


def search_words(lead: Lead) -> tuple[str, ...]:
    """The words a search can find the lead by, sorted, without those that start another.

    A word that is the start of another word of the same lead (`eva` beside `evaluation`) adds
    nothing a prefix search would not find through the longer one, so it gets no row.
    """
    customer = lead.customer
    ordered: list[str] = []
    for field in (customer.company, customer.first_name, customer.last_name, customer.email):
        for word in words(field):
            if word not in ordered:
                ordered.append(word)
    kept = [word for word in ordered if not any(o != word and o.startswith(word) for o in ordered)]
    return tuple(sorted(kept[:MAX_WORDS_PER_LEAD]))


def query_words(q: str) -> tuple[str, ...]:
    """The words of a search, each once, in the order given."""
    return tuple(dict.fromkeys(words(q)))


def matches_search(lead_words: Iterable[str], wanted: Iterable[str]) -> bool:
    """Every wanted word is the start of one of the lead's words."""
    have = tuple(lead_words)
    return all(any(word.startswith(prefix) for word in have) for prefix in wanted)


def most_selective(wanted: tuple[str, ...]) -> str:
    """The query word whose index range is likely the smallest: the longest (the first on a tie)."""
    return max(wanted, key=len)


def word_row_key(word: str, lead_id: str) -> str:
    return f"{WORD_PREFIX}{word}|{lead_id}"


def prefix_range(prefix: str) -> tuple[str, str]:
    """The RowKey range (lo inclusive, hi exclusive) of every word row starting with `prefix`.

    The end is the prefix with its last character raised by one: `word|eva` .. `word|evb` holds
    `word|eva|...` and `word|evaluation|...` but not `word|evb...`.
    """
    lo = WORD_PREFIX + prefix
    return lo, lo[:-1] + chr(ord(lo[-1]) + 1)


def expiry_key(lead: Lead) -> str:
    moment = lead.expiration_date_time
    if moment is None:
        return f"{EXPIRY_PREFIX}{NO_EXPIRY}|{lead.id}"
    return f"{EXPIRY_PREFIX}{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|{lead.id}"


def is_current_expiry_row(row_key: str, lead: Lead) -> bool:
    """The row is the lead's as it is now (it changed between reading the row and the lead: no)."""
    return expiry_key(lead) == row_key


def is_first_word_row(row_key: str, lead: Lead, prefix: str) -> bool:
    """The row is the lead's first word row starting with `prefix`: a lead with several such
    words (`evi`, `evers`) is shown once, at its first, and not again on a later page."""
    first = next((word for word in search_words(lead) if word.startswith(prefix)), None)
    return first is not None and word_row_key(first, lead.id) == row_key


def lead_id_of_key(row_key: str) -> str:
    return row_key.rsplit("|", 1)[1]


def word_of_key(row_key: str) -> str:
    return row_key.split("|")[1]


class SearchWords:
    """`word|<token>|<leadId>` rows for the list's `q`."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        return [IndexRow(word_row_key(word, lead.id)) for word in search_words(lead)]

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        return ()


class ExpiryOrder:
    """`exp|<expiry>|<leadId>` rows for the list's `sort=expiry`."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        return [IndexRow(expiry_key(lead))]

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        return ()
