"""Check HTTP exchanges against Microsoft's Referrals API definition (Swagger 2.0).

The definition's schemas are JSON Schema Draft 4 (Swagger 2.0's dialect, with `x-` extensions
that validators ignore), so `jsonschema`'s Draft 4 validator checks bodies, and each declared
parameter is checked as a one-property schema built from its type and format. Every check
returns a list of mismatches (empty when the exchange conforms) so the stub can both answer
and report them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

DEFINITION_PATH = Path(__file__).with_name("apiDefinition.swagger.json")

# Answers the service gives that the definition does not list, each for a documented reason;
# their bodies are not checked (the definition has no schema for them).
UNDECLARED_STATUSES = {
    412: "If-Match names another version (RFC 9110 §13.1.1; the definition declares if-match)",
    429: "throttled, with Retry-After (Partner Center's documented API throttling)",
    503: "the service is down for a while (RFC 9110 §15.6.4)",
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]


class ApiContract:
    """The operations of the definition, matched by method and path below its `basePath`."""

    def __init__(self, definition: dict[str, Any] | None = None) -> None:
        self.definition = definition or json.loads(DEFINITION_PATH.read_text(encoding="utf-8"))
        self.base_path = self.definition["basePath"].rstrip("/")
        self._operations: list[tuple[re.Pattern[str], Operation]] = []
        self._validators: dict[str, Draft4Validator] = {}
        for template, methods in self.definition["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
            for method, spec in methods.items():
                self._operations.append((pattern, Operation(method.upper(), template, spec)))

    def operation(self, method: str, path: str) -> Operation | None:
        """The declared operation for a full request path (`/v1.0/engagements/referrals/...`)."""
        if not path.startswith(self.base_path + "/"):
            return None
        relative = path[len(self.base_path) :]
        for pattern, operation in self._operations:
            if operation.method == method.upper() and pattern.match(relative):
                return operation
        return None

    def _validator(self, schema: dict[str, Any]) -> Draft4Validator:
        # The operation's schema with the definitions beside it, so `#/definitions/...` resolves;
        # one validator per schema of the definition, built on first use.
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = Draft4Validator(
                {**schema, "definitions": self.definition["definitions"]}
            )
        return validator

    def _schema_errors(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        return [
            f"{where}{'/' + '/'.join(str(p) for p in error.absolute_path) if error.absolute_path else ''}: "
            f"{error.message}"
            for error in self._validator(schema).iter_errors(value)
        ]

    def check_request(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> list[str]:
        operation = self.operation(method, path)
        if operation is None:
            return [f"{method} {path}: no such operation in the definition"]
        name = f"{method} {operation.template}"
        lower_headers = {key.lower(): value for key, value in headers.items()}
        problems: list[str] = []
        for parameter in operation.spec.get("parameters", []):
            location = parameter["in"]
            if location == "body":
                problems += self._check_body(name, parameter, body)
                continue
            if location == "query":
                values = query.get(parameter["name"])
                raw = values[-1] if values else None
            elif location == "header":
                raw = lower_headers.get(parameter["name"].lower())
            else:  # path parameters are matched by the template
                continue
            if raw is None:
                if parameter.get("required"):
                    problems.append(f"{name}: required {location} parameter {parameter['name']} missing")
                continue
            problems += self._check_simple(name, parameter, raw)
        return problems

    def _check_body(self, name: str, parameter: dict[str, Any], body: bytes) -> list[str]:
        if not body:
            return [f"{name}: required body missing"] if parameter.get("required") else []
        try:
            value = json.loads(body)
        except ValueError as error:
            return [f"{name}: body is not JSON: {error}"]
        return self._schema_errors(parameter["schema"], value, f"{name} body")

    def _check_simple(self, name: str, parameter: dict[str, Any], raw: str) -> list[str]:
        kind = parameter.get("type", "string")
        value: Any = raw
        try:
            if kind == "integer":
                value = int(raw)
            elif kind == "number":
                value = float(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise ValueError(raw)
                value = raw == "true"
        except ValueError:
            return [f"{name}: parameter {parameter['name']}={raw!r} is not a {kind}"]
        schema = {
            key: parameter[key]
            for key in ("type", "format", "enum", "minimum", "maximum")
            if key in parameter
        }
        return self._schema_errors(schema, value, f"{name} parameter {parameter['name']}")

    def check_response(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        operation = self.operation(method, path)
        if operation is None:
            return [f"{method} {path}: answered, but no such operation in the definition"]
        name = f"{method} {operation.template}"
        response = operation.spec.get("responses", {}).get(str(status))
        if response is None and status in UNDECLARED_STATUSES:
            return []
        if response is None:
            return [f"{name}: status {status} is not a declared response"]
        if status == 204:
            # Declared with a schema, but a 204 has no content (RFC 9110 §15.3.5).
            return [f"{name}: a 204 response must have no body"] if body else []
        schema = response.get("schema")
        if schema is None:
            return []
        try:
            value = json.loads(body)
        except ValueError as error:
            return [f"{name} {status}: body is not JSON: {error}"]
        return self._schema_errors(schema, value, f"{name} {status} body")
