"""The portal and the API cannot drift apart: the portal's tabs, enum filters and filter names are
the API's, and its Dutch and English catalogs have the same keys.

The portal's own modules are evaluated by Node (what `make` already needs), so this reads exactly the
lists the browser uses, not a copy of them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from typing import Any

from shared.domain.enums import ActionKind, Tab
from shared.domain.errors import DetailCode
from shared.domain.lead_query import ENUM_FILTERS, LeadFilters
from tests.conftest import REPO_ROOT

JS = REPO_ROOT / "portal" / "public" / "js"

# Node 20 has no `navigator`; i18n.js reads the browser's languages when it loads.
_READ_PORTAL = """
globalThis.navigator ??= { languages: ["en"] };
const route = await import(process.argv[1] + "/route.js");
const i18n = await import(process.argv[1] + "/i18n.js");
const filters = {};
for (const [name, values] of Object.entries(route.ENUM_FILTERS)) filters[name] = values;
for (const name of route.TEXT_FILTERS) filters[name] = name.startsWith("created") ? "2026-11-20" : "NL";
const sent = [...route.apiParams("qualified", filters).keys()];
console.log(JSON.stringify({
  tabs: route.TABS,
  enumFilters: route.ENUM_FILTERS,
  textFilters: route.TEXT_FILTERS,
  sentParameters: sent,
  languages: i18n.LANGUAGES,
  detailCodes: i18n.DETAIL_CODES,
  messages: i18n.MESSAGES,
}));
"""


@cache
def portal() -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "Node is needed (make bootstrap installs the portal's tools with it)"
    result = subprocess.run(
        [node, "--input-type=module", "-e", _READ_PORTAL, JS.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_tabs_are_the_apis() -> None:
    assert portal()["tabs"] == [tab.value for tab in Tab]


def test_the_enum_filters_and_their_values_are_the_apis_in_order() -> None:
    assert portal()["enumFilters"] == {
        name: [member.value for member in enum] for name, (enum, _column, _attribute) in ENUM_FILTERS.items()
    }


def test_every_api_filter_is_offered_and_nothing_else_is_sent() -> None:
    api_filters = set(LeadFilters.model_json_schema(by_alias=True)["properties"])
    assert set(portal()["sentParameters"]) == api_filters


def test_both_catalogs_have_the_same_keys() -> None:
    messages = portal()["messages"]
    assert set(messages) == set(portal()["languages"]) == {"en", "nl"}
    only_english = sorted(set(messages["en"]) - set(messages["nl"]))
    only_dutch = sorted(set(messages["nl"]) - set(messages["en"]))
    assert (only_english, only_dutch) == ([], [])
    assert all(text.strip() for catalog in messages.values() for text in catalog.values())


def test_every_filter_and_filter_value_has_a_label_in_both_languages() -> None:
    data = portal()
    keys = [*data["enumFilters"], *data["textFilters"]]
    keys += [f"enum.{value}" for values in data["enumFilters"].values() for value in values]
    for language, catalog in data["messages"].items():
        assert [key for key in keys if key not in catalog] == [], language


def test_every_action_kind_has_a_label_and_a_message_in_both_languages() -> None:
    for language, messages in portal()["messages"].items():
        for kind in ActionKind:
            assert messages.get(f"enum.{kind.value}"), (language, kind)
            assert "{name}" in messages.get(f"actionMessage.{kind.value}", ""), (language, kind)


def test_every_text_the_portal_asks_for_is_in_both_catalogs() -> None:
    """`t("key")` with a literal key anywhere in the portal: a key in neither catalog would show as
    itself (English-looking machine text), one in English only would leak English into Dutch."""
    used = {
        match.group(1)
        for path in JS.glob("*.js")
        for match in re.finditer(r"""\bt\(\s*"([\w.]+)\"""", path.read_text(encoding="utf-8"))
    }
    assert len(used) > 100
    for language, catalog in portal()["messages"].items():
        assert sorted(key for key in used if key not in catalog) == [], language


def test_every_error_detail_code_of_the_api_is_worded_in_both_languages() -> None:
    found = portal()
    assert sorted(found["detailCodes"]) == sorted(code.value for code in DetailCode)
    for language, messages in found["messages"].items():
        assert [code for code in DetailCode if not messages.get(f"err.{code.value}")] == [], language
