"""Errors the service answers with (contract §5, "Errors")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic_core import PydanticCustomError


class DetailCode(StrEnum):
    """Why a field was refused: the `code` of a 400's `details` entry (contract §5, "Errors").

    Stable, so a client can word the message in its own language; `message` stays English.
    """

    REQUIRED = "required"  # missing, null where a value is needed, or blank
    INVALID = "invalid"  # a value the field does not take (an unknown enum value, a forged token)
    INVALID_FORMAT = "invalid_format"  # text that does not parse: a date, an address, JSON
    WRONG_TYPE = "wrong_type"  # a string where a number belongs, an array where an object does
    TOO_LONG = "too_long"  # text longer than its maximum
    TOO_SHORT = "too_short"  # text shorter than its minimum
    TOO_MANY = "too_many"  # a list with more items than allowed
    DUPLICATE = "duplicate"  # the same item twice in a list
    NOT_ALLOWED = "not_allowed"  # a field that is unknown or not allowed with the others
    OUT_OF_RANGE = "out_of_range"  # a number or date outside its range


# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) by detail code;
# a type not listed here is `invalid`, and a rule of our own names its code as its error type.
_PYDANTIC_TYPES: Mapping[DetailCode, tuple[str, ...]] = {
    DetailCode.REQUIRED: ("missing", "none_required"),
    DetailCode.TOO_LONG: ("string_too_long",),
    DetailCode.TOO_SHORT: ("string_too_short", "too_short"),
    DetailCode.TOO_MANY: ("too_long",),
    DetailCode.NOT_ALLOWED: ("extra_forbidden",),
    DetailCode.OUT_OF_RANGE: (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "finite_number",
        "date_future",
        "date_past",
        "datetime_object_invalid",
        "decimal_max_digits",
        "decimal_max_places",
        "decimal_whole_digits",
        "int_from_float",
    ),
    DetailCode.INVALID_FORMAT: (
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
        "datetime_parsing",
        "datetime_from_date_parsing",
        "time_parsing",
        "string_pattern_mismatch",
        "json_invalid",
        "int_parsing",
        "float_parsing",
        "decimal_parsing",
        "bool_parsing",
        "uuid_parsing",
        "url_parsing",
    ),
    DetailCode.INVALID: ("enum", "literal_error"),
}
# The error type of a `refusal`: prefixed, since pydantic's own types include `too_long` (of a list).
_OWN = "refusal:"
_CODE_OF_TYPE = {kind: code for code, kinds in _PYDANTIC_TYPES.items() for kind in kinds}


def detail_code(error_type: str) -> DetailCode:
    """The detail code of a pydantic error type (or of a rule's own `refusal`)."""
    if error_type.startswith(_OWN):
        return DetailCode(error_type.removeprefix(_OWN))
    if error_type in _CODE_OF_TYPE:
        return _CODE_OF_TYPE[error_type]
    # Every other `*_type` error is a JSON value of the wrong kind (string_type, int_type, ...).
    return DetailCode.WRONG_TYPE if error_type.endswith("_type") else DetailCode.INVALID


def refusal(code: DetailCode, message: str) -> PydanticCustomError:
    """A validator's refusal that carries its detail code (raise it instead of ValueError)."""
    return PydanticCustomError(_OWN + code.value, message)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: DetailCode = DetailCode.INVALID


@dataclass
class ServiceError(Exception):
    """An error with its HTTP status and the contract's error code."""

    status: int
    code: str
    message: str
    details: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def bad_request(details: list[FieldError], message: str = "The request is not valid.") -> ServiceError:
    return ServiceError(400, "BadRequest", message, details)


def not_found(message: str = "No lead with that id.") -> ServiceError:
    return ServiceError(404, "NotFound", message)


def invalid_transition(message: str) -> ServiceError:
    return ServiceError(409, "InvalidTransition", message)


def precondition_failed(
    message: str = "The lead was changed by someone else; reload it and try again.",
) -> ServiceError:
    return ServiceError(412, "PreconditionFailed", message)


def unauthenticated(message: str = "Sign in to use this API.") -> ServiceError:
    return ServiceError(401, "Unauthenticated", message)


def forbidden(message: str = "Your account has no role that allows this.") -> ServiceError:
    return ServiceError(403, "Forbidden", message)
