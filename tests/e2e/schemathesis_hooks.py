"""Schemathesis hooks for the conformance run (loaded through SCHEMATHESIS_HOOKS).

The document gives `continuationToken` a custom format: the only valid tokens are those the service
issues, which no JSON Schema can spell. The fuzzer draws them from tokens the service's own encoder
makes (a fixed few: drawing from a richer strategy slows schemathesis' coverage phase threefold).
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from shared.domain.lead_ids import is_lead_id
from shared.domain.lead_query import CONTINUATION_TOKEN_FORMAT, after_lead, encode_continuation

# The first, a middle and the last possible lead id.
_LEAD_IDS = ("0000000000000" + "0000000000", "8204006752396" + "s8v0cpv8qv", "9999999999999" + "zzzzzzzzzz")
assert all(is_lead_id(lead_id) for lead_id in _LEAD_IDS)

schemathesis.openapi.format(
    CONTINUATION_TOKEN_FORMAT,
    st.sampled_from([encode_continuation(after_lead(lead_id)) for lead_id in _LEAD_IDS]),
)
