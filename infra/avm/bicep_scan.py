"""Just enough of the Bicep grammar to read parameter declarations and module calls.

The Bicep CLI (the compiler) is a .NET program that is not available where the tests run, and
pycep-parser does not know newer syntax such as `import` of user-defined types, nullable types
(`string?`) or extensions. What the module-parameter check needs is small: the top-level
`param` statements of a file and the keys of each `module` call's `params` object. Both are
found from a token stream that handles what could hide or fake them: comments, single- and
multi-line strings, string interpolation, and bracket depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

NEWLINE = "\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_MULTI_CHAR_OPERATORS = ("...", "==", "!=", ">=", "<=", "=>", "&&", "||", "??", "=~", "!~", ".?", "::")
_OPENING = {"{": "}", "[": "]", "(": ")"}
_CLOSING = set(_OPENING.values())


class BicepSyntaxError(ValueError):
    """The text is not Bicep this scanner can read (reported with file and line)."""


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "string", "number", "punct" or "newline"
    text: str  # for strings: the literal value when it has no interpolation, else the raw text
    line: int
    interpolated: bool = False


def tokenize(source: str, origin: str = "<bicep>") -> list[Token]:
    """Tokens of a Bicep file; comments dropped, each string one token."""
    tokens: list[Token] = []
    index, line = 0, 1
    length = len(source)
    while index < length:
        char = source[index]
        if char == "\n":
            tokens.append(Token("newline", NEWLINE, line))
            line += 1
            index += 1
        elif char in " \t\r":
            index += 1
        elif source.startswith("//", index):
            end = source.find("\n", index)
            index = length if end < 0 else end
        elif source.startswith("/*", index):
            end = source.find("*/", index + 2)
            if end < 0:
                raise BicepSyntaxError(f"{origin}:{line}: unterminated block comment")
            line += source.count("\n", index, end)
            index = end + 2
        elif source.startswith("'''", index):
            end = source.find("'''", index + 3)
            if end < 0:
                raise BicepSyntaxError(f"{origin}:{line}: unterminated multi-line string")
            tokens.append(Token("string", source[index + 3 : end], line))
            line += source.count("\n", index, end)
            index = end + 3
        elif char == "'":
            start_line = line
            value, interpolated, index, line = _read_string(source, index, line, origin)
            tokens.append(Token("string", value, start_line, interpolated))
        elif match := _IDENT.match(source, index):
            tokens.append(Token("ident", match.group(), line))
            index = match.end()
        elif match := _NUMBER.match(source, index):
            tokens.append(Token("number", match.group(), line))
            index = match.end()
        else:
            operator = next((op for op in _MULTI_CHAR_OPERATORS if source.startswith(op, index)), char)
            tokens.append(Token("punct", operator, line))
            index += len(operator)
    return tokens


def _read_string(source: str, index: int, line: int, origin: str) -> tuple[str, bool, int, int]:
    """Read a '...' string starting at index; skip `${...}` expressions, which may hold strings."""
    start = index
    index += 1
    value: list[str] = []
    interpolated = False
    while True:
        if index >= len(source) or source[index] == "\n":
            raise BicepSyntaxError(f"{origin}:{line}: unterminated string")
        char = source[index]
        if char == "\\":
            value.append(source[index + 1 : index + 2])
            index += 2
        elif char == "'":
            index += 1
            break
        elif source.startswith("${", index):
            interpolated = True
            index, line = _skip_interpolation(source, index + 2, line, origin)
        else:
            value.append(char)
            index += 1
    text = source[start:index] if interpolated else "".join(value)
    return text, interpolated, index, line


def _skip_interpolation(source: str, index: int, line: int, origin: str) -> tuple[int, int]:
    depth = 1
    while depth:
        if index >= len(source):
            raise BicepSyntaxError(f"{origin}:{line}: unterminated interpolation")
        char = source[index]
        if char == "'":
            _, _, index, line = _read_string(source, index, line, origin)
            continue
        if char == "\n":
            line += 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        index += 1
    return index, line


def _statements(tokens: list[Token], origin: str) -> list[list[Token]]:
    """Split the file into top-level statements: a newline at bracket depth 0 ends one."""
    statements: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.text in _OPENING:
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSING:
            depth -= 1
            if depth < 0:
                raise BicepSyntaxError(f"{origin}:{token.line}: unbalanced '{token.text}'")
        if token.kind == "newline" and depth == 0:
            if current:
                statements.append(current)
            current = []
        else:
            current.append(token)
    if depth != 0:
        raise BicepSyntaxError(f"{origin}: unbalanced brackets at end of file")
    if current:
        statements.append(current)
    return statements


def _without_decorators(statement: list[Token]) -> list[Token]:
    """Drop leading `@name(...)` decorators (a decorator may share the line with its target)."""
    index = 0
    while index < len(statement) and statement[index].text == "@":
        index += 2  # '@' and the decorator's name (possibly `sys.description`: handled below)
        while index < len(statement) and statement[index].text == ".":
            index += 2
        if index < len(statement) and statement[index].text == "(":
            index = _matching(statement, index) + 1
    return statement[index:]


def _matching(tokens: list[Token], open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        text = tokens[index].text if tokens[index].kind == "punct" else ""
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            depth -= 1
            if depth == 0:
                return index
    raise BicepSyntaxError(f"line {tokens[open_index].line}: '{tokens[open_index].text}' is never closed")


def _split_type_and_default(rest: list[Token]) -> tuple[list[Token], bool]:
    """Tokens of a declaration after its name: the type, and whether `= default` follows it."""
    depth = 0
    for index, token in enumerate(rest):
        if token.kind != "punct":
            continue
        if token.text in _OPENING:
            depth += 1
        elif token.text in _CLOSING:
            depth -= 1
        elif token.text == "=" and depth == 0:
            return rest[:index], True
    return rest, False


def _is_nullable(type_tokens: list[Token]) -> bool:
    return bool(type_tokens) and type_tokens[-1].kind == "punct" and type_tokens[-1].text == "?"


@dataclass(frozen=True)
class ParamDeclaration:
    name: str
    required: bool
    line: int


def param_declarations(source: str, origin: str = "<bicep>") -> dict[str, ParamDeclaration]:
    """Every `param` of a file. Required: no default and a type that does not admit null.

    A type admits null when it ends in `?`, or when it names a `type` declared in the same file
    whose definition ends in `?` (the older AVM style: `type lockType = {...}?`).
    """
    statements = [
        _without_decorators(statement) for statement in _statements(tokenize(source, origin), origin)
    ]
    nullable_types: set[str] = set()
    for statement in statements:
        is_type = len(statement) >= 3 and statement[0].text == "type" and statement[2].text == "="
        if is_type and _is_nullable(statement[3:]):
            nullable_types.add(statement[1].text)
    declarations: dict[str, ParamDeclaration] = {}
    for statement in statements:
        if len(statement) < 3 or statement[0].kind != "ident" or statement[0].text != "param":
            continue
        name = statement[1].text
        type_tokens, has_default = _split_type_and_default(statement[2:])
        nullable = _is_nullable(type_tokens) or (
            len(type_tokens) == 1 and type_tokens[0].text in nullable_types
        )
        declarations[name] = ParamDeclaration(name, not (has_default or nullable), statement[0].line)
    return declarations


@dataclass
class ModuleCall:
    symbol: str
    source: str  # the module reference as written: a relative path or 'br/public:avm/...:<version>'
    line: int
    param_names: list[str] = field(default_factory=list)
    param_lines: dict[str, int] = field(default_factory=dict)
    problem: str | None = None  # set when the call's params cannot be read as a literal object


def module_calls(source: str, origin: str = "<bicep>") -> list[ModuleCall]:
    """Every `module <symbol> '<source>' = ...` of a file with the keys of its `params` object."""
    calls: list[ModuleCall] = []
    for statement in _statements(tokenize(source, origin), origin):
        statement = _without_decorators(statement)
        if len(statement) < 4 or statement[0].kind != "ident" or statement[0].text != "module":
            continue
        symbol, reference = statement[1], statement[2]
        if reference.kind != "string" or reference.interpolated:
            raise BicepSyntaxError(f"{origin}:{reference.line}: module '{symbol.text}' has no literal source")
        call = ModuleCall(symbol.text, reference.text, statement[0].line)
        body = _module_body(statement)
        params_at = _top_level_key(statement, body, "params") if body is not None else None
        if params_at is None:
            call.problem = "no params object"
        else:
            value = params_at + 2  # key, ':', value
            if statement[value].text != "{":
                call.problem = "params is not an object literal, so its names cannot be checked"
            else:
                for name, line, _ in _object_keys(statement, value):
                    if name == "...":
                        call.problem = "params spreads another object, so its names cannot be checked"
                        continue
                    call.param_names.append(name)
                    call.param_lines[name] = line
        calls.append(call)
    return calls


def _module_body(statement: list[Token]) -> int | None:
    """Index of the `{` of the module's body, after `=`, an optional `if (...)` or `[for ...:`."""
    index = next((i for i, token in enumerate(statement) if token.text == "="), None)
    if index is None:
        return None
    index += 1
    while index < len(statement):
        token = statement[index]
        if token.text == "(":
            index = _matching(statement, index) + 1
            continue
        if token.text == "{":
            return index
        index += 1
    return None


def _object_keys(tokens: list[Token], open_index: int) -> list[tuple[str, int, int]]:
    """Keys (name, line, token index) at the top level of the object literal opening at open_index.

    An entry starts after the `{`, after a newline or after a comma at the object's own level;
    a key is the name or string there followed by `:` (a `:` elsewhere belongs to a ternary).
    """
    close = _matching(tokens, open_index)
    keys: list[tuple[str, int, int]] = []
    depth = 0
    expect_key = True
    for index in range(open_index + 1, close):
        token = tokens[index]
        if token.kind == "newline" or (token.kind == "punct" and token.text == ","):
            expect_key = expect_key or depth == 0
            continue
        if depth == 0 and expect_key:
            if token.kind == "punct" and token.text == "...":
                keys.append(("...", token.line, index))
            elif token.kind in {"ident", "string"} and tokens[index + 1].text == ":":
                keys.append((token.text, token.line, index))
            expect_key = False
        if token.kind == "punct" and token.text in _OPENING:
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSING:
            depth -= 1
    return keys


def _top_level_key(tokens: list[Token], open_index: int, name: str) -> int | None:
    return next((index for key, _, index in _object_keys(tokens, open_index) if key == name), None)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")
