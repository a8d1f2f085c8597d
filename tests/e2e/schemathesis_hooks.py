"""Schemathesis hooks for the conformance run (loaded through SCHEMATHESIS_HOOKS).

The document gives `continuationToken` a custom format: the only valid tokens are those the service
issues, which no JSON Schema can spell. The fuzzer draws them from tokens the service's own encoder
makes (a fixed few: drawing from a richer strategy slows schemathesis' coverage phase threefold).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.domain import action_center
from shared.domain.lead_ids import is_lead_id
from shared.domain.lead_query import (
    CONTINUATION_TOKEN_FORMAT,
    LeadListParameters,
    Position,
    ReadOrder,
    after_lead,
    encode_continuation,
    read_plan,
)

# The first, a middle and the last possible lead id.
_LEAD_IDS = ("0000000000000" + "0000000000", "8204006752396" + "s8v0cpv8qv", "9999999999999" + "zzzzzzzzzz")
assert all(is_lead_id(lead_id) for lead_id in _LEAD_IDS)

schemathesis.openapi.format(
    CONTINUATION_TOKEN_FORMAT,
    st.sampled_from([encode_continuation(after_lead(lead_id)) for lead_id in _LEAD_IDS]),
)

# The action center's tokens: where a page of each kind ended.
schemathesis.openapi.format(
    action_center.CONTINUATION_TOKEN_FORMAT,
    st.sampled_from(
        [
            action_center.encode_token((rank, "2026-11-30T12:00:00.000Z", lead_id))
            for rank in (0, 4)
            for lead_id in _LEAD_IDS
        ]
    ),
)


def _text(value: Any) -> str:
    return ",".join(str(item) for item in value) if isinstance(value, list) else str(value)


@schemathesis.hook
def map_query(context: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    """A token is issued for one sort and search; a drawn token goes with whatever the fuzzer drew
    beside it, so give it the order those parameters read (same position, the middle lead id)."""
    if not query or "continuationToken" not in query:
        return query
    operation = getattr(context, "operation", None)
    if operation is not None and getattr(operation, "path", "/api/leads") != "/api/leads":
        return query
    try:
        parameters = LeadListParameters.model_validate({name: _text(value) for name, value in query.items()})
    except ValidationError:
        return query  # refused for another parameter anyway
    plan = read_plan(parameters.to_query(), parameters.sort)
    lead_id = _LEAD_IDS[1]
    row_key = {
        ReadOrder.CREATED: f"lead|{lead_id}",
        ReadOrder.EXPIRY: f"exp|none|{lead_id}",
        ReadOrder.WORDS: f"word|{plan.prefix}|{lead_id}",
    }[plan.order]
    return {**query, "continuationToken": encode_continuation(Position(plan.order, row_key))}
