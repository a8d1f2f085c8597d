"""Strict JSON for bodies from outside: NaN, repeated keys and lone surrogates are refused."""

from __future__ import annotations

import json

import pytest

from shared.domain.strict_json import JsonRefused, loads_strict


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        ('{"a": NaN}', "a", "NaN is not a JSON number"),
        ('{"a": {"b": [1, Infinity]}}', "a.b.1", "Infinity is not a JSON number"),
        ('{"a": -Infinity}', "a", "-Infinity is not a JSON number"),
        ('{"a": 1e999}', "a", "1e999 is not a JSON number"),
        ('{"a": 1, "a": 2}', "body", "has the key 'a' more than once"),
        ('{"x": {"UserDetails": {"Email": "a", "Email": "b"}}}', "x.UserDetails", "'Email' more than once"),
        ('{"a": "\\ud800"}', "a", "unpaired UTF-16 surrogate"),
        ('{"a": ["ok", "x\\udfffy"]}', "a.1", "unpaired UTF-16 surrogate"),
        ('{"\\ud800": 1}', "body", "key with an unpaired UTF-16 surrogate"),
        ('"\\ud800"', "body", "unpaired UTF-16 surrogate"),
    ],
)
def test_refused_naming_where(raw: str, field: str, problem: str) -> None:
    with pytest.raises(JsonRefused) as refused:
        loads_strict(raw.encode())
    assert refused.value.field == field
    assert problem in refused.value.message


def test_the_first_problem_in_document_order_is_named() -> None:
    with pytest.raises(JsonRefused) as refused:
        loads_strict('{"first": [NaN], "second": NaN}')
    assert refused.value.field == "first.0"


def test_strict_json_parses_as_json_does() -> None:
    raw = '{"a": [1, 2.5, -0.0, 1e300, true, null, "\\ud83d\\ude00 é"], "b": {"c": {}}, "d": []}'
    assert loads_strict(raw) == json.loads(raw)
    assert type(loads_strict(raw)["b"]) is dict


def test_deep_documents_are_walked_without_recursion() -> None:
    depth = 900  # under the parser's own limit; the walk must not add stack depth
    raw = '{"a":' * depth + "NaN" + "}" * depth
    with pytest.raises(JsonRefused) as refused:
        loads_strict(raw)
    assert refused.value.field == ".".join(["a"] * depth)


def test_plain_json_errors_stay_value_errors() -> None:
    with pytest.raises(ValueError) as error:
        loads_strict(b"{not json")
    assert not isinstance(error.value, JsonRefused)
