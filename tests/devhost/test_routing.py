"""Route templates and precedence, without a server."""

from __future__ import annotations

import pytest

from devhost.routing import Router, RouteTemplateError


def router(*routes: tuple[str, list[str] | None]) -> Router[str]:
    built: Router[str] = Router()
    for template, methods in routes:
        built.add(template, methods, template)
    return built


def test_literal_beats_parameter_whatever_the_registration_order() -> None:
    for routes in (
        [("leads/{id}", None), ("leads/export", None)],
        [("leads/export", None), ("leads/{id}", None)],
    ):
        matched = router(*routes).match("GET", "leads/export")
        assert matched is not None and matched.target == "leads/export"


def test_precedence_literal_then_constrained_then_plain_then_catch_all() -> None:
    routes = router(("a/{*rest}", None), ("a/{x}", None), ("a/{x:int}", None), ("a/b", None))
    targets = {path: routes.match("GET", path) for path in ("a/b", "a/7", "a/z", "a/z/y")}
    assert {path: m.target if m else None for path, m in targets.items()} == {
        "a/b": "a/b",
        "a/7": "a/{x:int}",
        "a/z": "a/{x}",
        "a/z/y": "a/{*rest}",
    }


def test_methods_filter_candidates_and_case_does_not_matter() -> None:
    routes = router(("leads/export", ["GET"]), ("leads/{id}", ["patch"]))
    patched = routes.match("PATCH", "leads/export")
    assert patched is not None and patched.route_params == {"id": "export"}
    assert routes.match("DELETE", "leads/export") is None


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("leads/{id}", "Leads/AbC", {"id": "AbC"}),
        ("leads/{id}", "leads/a%2Fb", {"id": "a/b"}),
        ("leads/{id}", "leads", None),
        ("leads/{id}", "leads/1/2", None),
        ("leads/{id?}", "leads", {}),
        ("leads/{id:int?}", "leads/x", None),
        ("leads/{id:int}", "leads/-12", {"id": "-12"}),
        (
            "x/{id:guid}",
            "x/3F2504E0-4F89-11D3-9A0C-0305E82C3301",
            {"id": "3F2504E0-4F89-11D3-9A0C-0305E82C3301"},
        ),
        ("x/{id:guid}", "x/3f2504e0", None),
        ("x/{n:alpha}", "x/abc", {"n": "abc"}),
        ("x/{n:alpha}", "x/ab1", None),
        ("x/{n:int:min(10)}", "x/9", None),
        ("x/{n:int:range(1,5)}", "x/5", {"n": "5"}),
        ("x/{n:minlength(3)}", "x/ab", None),
        ("x/{n:bool}", "x/TRUE", {"n": "TRUE"}),
        ("x/{*rest}", "x/a/b/c", {"rest": "a/b/c"}),
        ("x/{**rest}", "x", {}),
        ("", "", {}),
    ],
)
def test_template_matching(template: str, path: str, expected: dict[str, str] | None) -> None:
    matched = router((template, None)).match("GET", path)
    assert (None if matched is None else matched.route_params) == expected


@pytest.mark.parametrize(
    "template",
    ["a/{*rest}/b", "a/{x?}/b", "a/{x:unknown}", "a/pre{x}", "a/{x:min(a)}"],
)
def test_unsupported_templates_are_refused(template: str) -> None:
    with pytest.raises(RouteTemplateError):
        router((template, None))
