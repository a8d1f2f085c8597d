"""The action center (contract §5): what needs doing now, one item per lead, most urgent first.

A lead needs doing while it is Received (answer it before it expires) and once an Accepted
lead's estimated close date has passed (record the outcome). Reading every lead to find those
would cost what the partner has stored, so each such lead keeps an index row beside it
(`ActionIndex`, a derived-rows contributor), written in the lead's own transaction:

- `open|r|<expiry>|<leadId>` while the lead is Received, with what decides its kind;
- `open|o|<estimated close date>|<leadId>` while the lead is Accepted with a deal.

Which kind a lead is under depends on the clock (a request for contact turns overdue after
72 hours, a lead starts expiring soon 48 hours before it expires) and no write happens at
those moments, so the rows hold the moments and the kind is decided when the center is read:
`item_for(row, now)`. The keys make the clock part of the query too: Received rows are read
from `now` on (a lead past its expiry that no sweep has archived yet needs nothing any more),
and outcome rows up to today. So a read costs what needs doing, not what is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.enums import ActionKind, Stage
from shared.domain.errors import FieldError
from shared.domain.lead import Lead, utc_iso
from shared.domain.lead_ids import is_lead_id
from shared.domain.page_tokens import decode_token_body, encode_token_body

EXPIRING_SOON = timedelta(hours=48)
DEFAULT_TOP = 20
MAX_TOP = 100
MAX_TOKEN_LENGTH = 200
# The API description's format of the center's continuation token: only tokens it issued are valid.
CONTINUATION_TOKEN_FORMAT = "action-continuation-token"  # noqa: S105 (a format name, not a secret)

RECEIVED_PREFIX = "open|r|"
OUTCOME_PREFIX = "open|o|"
# Columns the rows hold: all the center shows or decides on, so it reads no lead.
COMPANY = "Company"
CREATED = "Created"
EXPIRES = "Expires"
CONTACT_REQUESTED = "ContactRequested"
ROW_COLUMNS = ("RowKey", COMPANY, CREATED, EXPIRES, CONTACT_REQUESTED)

URGENCY = {kind: rank for rank, kind in enumerate(ActionKind)}
# Where an item sorts: its kind's urgency, its due moment (as a key part), its lead id.
SortKey = tuple[int, str, str]


def _key_moment(moment: datetime) -> str:
    """A date-time as a key part: fixed width, so keys sort in time order."""
    return utc_iso(moment) or ""


class ActionIndex:
    """The derived-rows contributor of the action center: one index row per lead that may need doing."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        company = lead.customer.company
        if lead.stage is Stage.RECEIVED and lead.expiration_date_time is not None:
            expiry = lead.expiration_date_time
            yield IndexRow(
                f"{RECEIVED_PREFIX}{_key_moment(expiry)}|{lead.id}",
                {
                    COMPANY: company,
                    CREATED: lead.created_date_time,
                    EXPIRES: expiry,
                    CONTACT_REQUESTED: lead.customer_requested_contact,
                },
            )
        elif lead.stage is Stage.ACCEPTED and lead.deal is not None:
            closes = lead.deal.estimated_close_date.isoformat()
            yield IndexRow(f"{OUTCOME_PREFIX}{closes}|{lead.id}", {COMPANY: company})

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        return ()


@dataclass(frozen=True)
class KeyRange:
    """Row keys from `low` (inclusive) to `high` (exclusive)."""

    low: str
    high: str


def open_ranges(now: datetime) -> tuple[KeyRange, KeyRange]:
    """The index rows that can need doing at `now`: Received leads not yet expired, and
    Accepted leads whose close date is today or earlier."""
    tomorrow = (now.astimezone(UTC).date() + timedelta(days=1)).isoformat()
    return (
        # After every row of a lead expiring at `now` itself ("~" sorts after any lead id).
        KeyRange(f"{RECEIVED_PREFIX}{_key_moment(now)}|~", RECEIVED_PREFIX[:-1] + "}"),
        KeyRange(OUTCOME_PREFIX, OUTCOME_PREFIX + tomorrow),
    )


@dataclass(frozen=True)
class ActionItem:
    kind: ActionKind
    lead_id: str
    customer_name: str
    due: datetime
    message: str

    @property
    def sort_key(self) -> SortKey:
        return (URGENCY[self.kind], _key_moment(self.due), self.lead_id)

    def to_resource(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "leadId": self.lead_id,
            "customerName": self.customer_name,
            "dueDateTime": utc_iso(self.due),
            "message": self.message,
        }


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _received_item(
    row: Mapping[str, Any], lead_id: str, now: datetime, urgency_hours: int
) -> ActionItem | None:
    company = str(row.get(COMPANY, ""))
    expiry = _moment(row[EXPIRES])
    if expiry <= now:
        return None  # expired: the expiry sweep archives it; nothing can be done any more
    if row.get(CONTACT_REQUESTED):
        contact_by = _moment(row[CREATED]) + timedelta(hours=urgency_hours)
        if now >= contact_by:
            message = f"{company} asked to be contacted over {urgency_hours} hours ago and is still waiting."
            return ActionItem(ActionKind.CONTACT_OVERDUE, lead_id, company, expiry, message)
        message = f"{company} asked to be contacted: respond within {urgency_hours} hours."
        return ActionItem(ActionKind.CONTACT_REQUESTED, lead_id, company, contact_by, message)
    if expiry <= now + EXPIRING_SOON:
        message = f"The lead from {company} expires soon; after that its contact details are gone."
        return ActionItem(ActionKind.EXPIRING_SOON, lead_id, company, expiry, message)
    return ActionItem(
        ActionKind.RESPOND, lead_id, company, expiry, f"Accept or decline the lead from {company}."
    )


def _outcome_item(row: Mapping[str, Any], closes: str, lead_id: str, now: datetime) -> ActionItem | None:
    close_at = datetime.combine(date.fromisoformat(closes), time(), tzinfo=UTC)
    if close_at > now:
        return None
    company = str(row.get(COMPANY, ""))
    message = f"The deal with {company} was due to close: record whether it was won or lost."
    return ActionItem(ActionKind.RECORD_OUTCOME, lead_id, company, close_at, message)


def item_for(row: Mapping[str, Any], *, now: datetime, urgency_hours: int) -> ActionItem | None:
    """The lead's one item at `now` under its most urgent kind, from its index row; None: nothing to do."""
    row_key = str(row["RowKey"])
    if row_key.startswith(RECEIVED_PREFIX):
        return _received_item(row, row_key.rsplit("|", 1)[1], now, urgency_hours)
    if row_key.startswith(OUTCOME_PREFIX):
        closes, separator, lead_id = row_key[len(OUTCOME_PREFIX) :].partition("|")
        return _outcome_item(row, closes, lead_id, now) if separator else None
    return None


@dataclass(frozen=True)
class ActionPage:
    summary: dict[str, int]
    items: list[ActionItem]
    # The last item's sort key when more items follow it.
    next_after: SortKey | None

    def to_resource(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "value": [item.to_resource() for item in self.items],
            "continuationToken": encode_token(self.next_after) if self.next_after else None,
        }


def action_page(
    rows: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    urgency_hours: int,
    top: int = DEFAULT_TOP,
    after: SortKey | None = None,
) -> ActionPage:
    """The summary of every item and the page of `top` items after `after`, most urgent first."""
    items = sorted(
        (item for row in rows if (item := item_for(row, now=now, urgency_hours=urgency_hours))),
        key=lambda item: item.sort_key,
    )
    kinds = Counter(item.kind for item in items)
    summary = {kind.value: kinds[kind] for kind in ActionKind}
    following = [item for item in items if after is None or item.sort_key > after]
    page = following[:top]
    next_after = page[-1].sort_key if len(following) > top else None
    return ActionPage(summary, page, next_after)


# -- the continuation token: where the previous page ended, as the service issued it ---------

_KINDS_BY_RANK = list(ActionKind)


def encode_token(after: SortKey) -> str:
    rank, due, lead_id = after
    return encode_token_body({"v": 1, "kind": _KINDS_BY_RANK[rank].value, "due": due, "after": lead_id})


def decode_token(token: str) -> tuple[SortKey | None, list[FieldError]]:
    """The sort key to continue after; a token this service did not issue is refused."""
    bad = [FieldError("continuationToken", "is not a continuation token issued by this service")]
    body = decode_token_body(token, MAX_TOKEN_LENGTH)
    if body is None or body.get("v") != 1 or set(body) != {"v", "kind", "due", "after"}:
        return None, bad
    kind, due, lead_id = body["kind"], body["due"], body["after"]
    if kind not in {member.value for member in ActionKind} or not isinstance(lead_id, str):
        return None, bad
    if not is_lead_id(lead_id) or not isinstance(due, str) or not _is_key_moment(due):
        return None, bad
    return (URGENCY[ActionKind(kind)], due, lead_id), []


def _is_key_moment(text: str) -> bool:
    try:
        return _key_moment(datetime.fromisoformat(text.replace("Z", "+00:00"))) == text
    except ValueError:
        return False


def parse_actions_request(
    params: Mapping[str, str],
) -> tuple[int, SortKey | None, list[FieldError]]:
    """`top` (1–100, default 20) and where to continue, or the field errors."""
    errors: list[FieldError] = []
    top = DEFAULT_TOP
    raw_top = params.get("top")
    if raw_top is not None:
        text = raw_top.strip()
        if text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_TOP:
            top = int(text)
        else:
            errors.append(FieldError("top", f"must be a whole number from 1 to {MAX_TOP}"))
    after: SortKey | None = None
    token = params.get("continuationToken")
    if token is not None:
        after, token_errors = decode_token(token)
        errors.extend(token_errors)
    return top, after, errors
