"""HTTP route templates as the Functions host (ASP.NET routing) reads them.

Supported: literal segments (matched case-insensitively), `{name}`, optional `{name?}` (trailing
segments only), catch-all `{*rest}` (last segment), and constraints `{id:int}`, `{id:guid}`,
`{id:alpha}`, `{id:long}`, `{id:bool}`, `{id:double}`, `{id:decimal}`, `{id:float}`,
`{id:datetime}`, `{id:minlength(n)}`, `{id:maxlength(n)}`, `{id:length(n)}`, `{id:min(n)}`,
`{id:max(n)}`, `{id:range(a,b)}`, chained as `{id:int:min(1)}`.

When several templates match a path, the most specific wins, segment by segment as in ASP.NET's
route precedence: a literal beats a constrained parameter, which beats a plain parameter, which
beats a catch-all. So `leads/export` wins over `leads/{id}` for `/api/leads/export`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")


class RouteTemplateError(ValueError):
    """A route template the host cannot serve."""


def _parses_with(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


def _is_int(value: str) -> bool:
    return re.fullmatch(r"-?\d+", value) is not None


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_SIMPLE_CONSTRAINTS: dict[str, Callable[[str], bool]] = {
    "int": _is_int,
    "long": _is_int,
    "alpha": lambda value: re.fullmatch(r"[A-Za-z]+", value) is not None,
    "bool": lambda value: value.lower() in ("true", "false"),
    "guid": _is_guid,
    "double": _parses_with(float),
    "float": _parses_with(float),
    "decimal": _parses_with(float),
    "datetime": _parses_with(datetime.fromisoformat),
}

_CONSTRAINT_WITH_ARGUMENTS = re.compile(r"^(?P<name>[a-z]+)\((?P<arguments>[^)]*)\)$")


def _constraint(text: str) -> Callable[[str], bool]:
    if text in _SIMPLE_CONSTRAINTS:
        return _SIMPLE_CONSTRAINTS[text]
    match = _CONSTRAINT_WITH_ARGUMENTS.match(text)
    if match is None:
        raise RouteTemplateError(f"unsupported route constraint {text!r}")
    name = match["name"]
    try:
        arguments = [int(argument) for argument in match["arguments"].split(",")]
    except ValueError as error:
        raise RouteTemplateError(f"bad arguments in route constraint {text!r}") from error
    match name, arguments:
        case "minlength", [n]:
            return lambda value: len(value) >= n
        case "maxlength", [n]:
            return lambda value: len(value) <= n
        case "length", [n]:
            return lambda value: len(value) == n
        case "length", [low, high]:
            return lambda value: low <= len(value) <= high
        case "min", [n]:
            return lambda value: _is_int(value) and int(value) >= n
        case "max", [n]:
            return lambda value: _is_int(value) and int(value) <= n
        case "range", [low, high]:
            return lambda value: _is_int(value) and low <= int(value) <= high
    raise RouteTemplateError(f"unsupported route constraint {text!r}")


# Precedence ranks per segment, lower is more specific (ASP.NET's inbound precedence digits).
_LITERAL, _CONSTRAINED, _PARAMETER, _OPTIONAL, _CATCH_ALL = 1, 3, 4, 4, 5


@dataclass(frozen=True)
class _Segment:
    literal: str | None = None
    parameter: str | None = None
    optional: bool = False
    catch_all: bool = False
    constraints: tuple[Callable[[str], bool], ...] = ()

    @property
    def rank(self) -> int:
        if self.literal is not None:
            return _LITERAL
        if self.catch_all:
            return _CATCH_ALL
        if self.constraints:
            return _CONSTRAINED
        return _OPTIONAL if self.optional else _PARAMETER

    def accepts(self, value: str) -> bool:
        return all(check(value) for check in self.constraints)


_PARAMETER_SEGMENT = re.compile(r"^\{(?P<star>\*{1,2})?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}$")


def _parse_segment(text: str) -> _Segment:
    if "{" not in text and "}" not in text:
        return _Segment(literal=text.lower())
    match = _PARAMETER_SEGMENT.match(text)
    if match is None:
        raise RouteTemplateError(f"unsupported route segment {text!r} (one parameter per segment)")
    rest = match["rest"]
    optional = rest.endswith("?")
    if optional:
        rest = rest[:-1]
    constraint_texts = rest.split(":")[1:] if rest else []
    if rest and not rest.startswith(":"):
        raise RouteTemplateError(f"unsupported route segment {text!r}")
    return _Segment(
        parameter=match["name"],
        optional=optional,
        catch_all=match["star"] is not None,
        constraints=tuple(_constraint(constraint) for constraint in constraint_texts),
    )


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    segments: tuple[_Segment, ...]

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        texts = [part for part in template.strip("/").split("/") if part]
        segments = tuple(_parse_segment(text) for text in texts)
        for index, segment in enumerate(segments):
            is_last = index == len(segments) - 1
            if segment.catch_all and not is_last:
                raise RouteTemplateError(f"{template!r}: a catch-all parameter must be the last segment")
            if segment.optional and not all(later.optional or later.catch_all for later in segments[index:]):
                raise RouteTemplateError(f"{template!r}: only trailing parameters can be optional")
        return cls(template=template, segments=segments)

    @property
    def precedence(self) -> tuple[int, ...]:
        return tuple(segment.rank for segment in self.segments)

    def match(self, path_segments: list[str]) -> dict[str, str] | None:
        """Route values for the (still percent-encoded) path segments, or None if it doesn't match."""
        values: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.catch_all:
                rest = "/".join(unquote(part) for part in path_segments[index:])
                if rest and not segment.accepts(rest):
                    return None
                if rest:
                    values[segment.parameter or ""] = rest
                return values
            if index >= len(path_segments):
                if segment.optional:
                    continue
                return None
            value = unquote(path_segments[index])
            if segment.literal is not None:
                if value.lower() != segment.literal:
                    return None
            elif not value or not segment.accepts(value):
                return None
            else:
                values[segment.parameter or ""] = value
        if len(path_segments) > len(self.segments):
            return None
        return values


@dataclass(frozen=True)
class RouteMatch(Generic[T]):
    target: T
    route_params: dict[str, str]


@dataclass
class Router(Generic[T]):
    """Templates with the methods each accepts; `match` picks the most specific one for a request."""

    _routes: list[tuple[RouteTemplate, frozenset[str] | None, T]] = field(default_factory=list)

    def add(self, template: str, methods: Iterable[str] | None, target: T) -> None:
        allowed = None if methods is None else frozenset(method.upper() for method in methods)
        self._routes.append((RouteTemplate.parse(template), allowed, target))
        # Stable sort: equally specific templates keep registration order.
        self._routes.sort(key=lambda route: route[0].precedence)

    def match(self, method: str, path: str) -> RouteMatch[T] | None:
        """Match a path relative to the route prefix (e.g. `leads/42`).

        Routes that don't accept the method are skipped, as ASP.NET's method constraint does: a path
        whose functions don't accept the method is simply not found.
        """
        path_segments = [part for part in path.strip("/").split("/") if part]
        for template, allowed, target in self._routes:
            if allowed is not None and method.upper() not in allowed:
                continue
            values = template.match(path_segments)
            if values is not None:
                return RouteMatch(target=target, route_params=values)
        return None
