"""Errors the service answers with (contract §5, "Errors")."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


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
