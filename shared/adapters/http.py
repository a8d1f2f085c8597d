"""The HTTP edge: request bodies, the error envelope, and one log record per request."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import azure.functions as func
from azure.core.exceptions import AzureError
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from shared.domain.errors import DetailCode, FieldError, ServiceError, bad_request, detail_code
from shared.domain.strict_json import JsonRefused, loads_strict

if TYPE_CHECKING:
    from shared.domain.principal import Principal

log = logging.getLogger("leads.http")

MAX_BODY_BYTES = 64 * 1024
# On every API answer: most carry a partner's leads and their contacts' personal data,
# which no browser or proxy cache may keep, and none may be sniffed into another type.
# A handler that sets its own Cache-Control (a public document) keeps it.
NO_STORE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# Fields the handler learns (the partner) for the request's one log record.
_log_fields: ContextVar[dict[str, Any] | None] = ContextVar("log_fields", default=None)


def log_with(**fields: Any) -> None:
    current = _log_fields.get()
    if current is not None:
        current.update(fields)


Model = TypeVar("Model", bound=BaseModel)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers=headers or {},
        mimetype="application/json",
        charset="utf-8",
    )


def error_response(error: ServiceError) -> func.HttpResponse:
    envelope: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        envelope["details"] = [
            {"field": d.field, "message": d.message, "code": d.code.value} for d in error.details
        ]
    return json_response(error.status, {"error": envelope})


def read_json_object(req: func.HttpRequest) -> dict[str, Any]:
    """The request's JSON object body, or 413 / 415 / 400 as the contract says."""
    body = req.get_body() or b""
    if len(body) > MAX_BODY_BYTES:
        raise ServiceError(413, "PayloadTooLarge", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if body.strip() and content_type != "application/json" and not content_type.endswith("+json"):
        raise ServiceError(415, "UnsupportedMediaType", "Send the body as application/json.")
    if not body.strip():
        raise bad_request([FieldError("body", "a JSON object is required", DetailCode.REQUIRED)])
    try:
        parsed = loads_strict(body)
    except JsonRefused as error:
        raise bad_request(
            [FieldError(error.field, error.message, DetailCode.INVALID_FORMAT)], "The body is not valid JSON."
        ) from None
    except RecursionError:
        # Nesting deeper than the parser's stack: not a body any client means to send.
        raise bad_request(
            [FieldError("body", "is nested too deeply", DetailCode.INVALID_FORMAT)],
            "The body is not valid JSON.",
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(
            [FieldError("body", f"is not valid JSON: {error}", DetailCode.INVALID_FORMAT)],
            "The body is not valid JSON.",
        ) from None
    if not isinstance(parsed, dict):
        raise bad_request([FieldError("body", "must be a JSON object", DetailCode.WRONG_TYPE)])
    return parsed


def _field_name(error: ErrorDetails) -> tuple[str, str]:
    location = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not location and ": " in message:
        # Model-level rules name their field as "field: message".
        field, message = message.split(": ", 1)
        return field, message
    if error["type"] == "extra_forbidden":
        message = "is not a known field"
    return ".".join(location) or "body", message


def field_errors(error: ValidationError) -> list[FieldError]:
    """One entry per bad field, named as the client sent it."""
    seen: dict[str, FieldError] = {}
    for item in error.errors(include_url=False):
        name, message = _field_name(item)
        seen.setdefault(name, FieldError(name, message, detail_code(item["type"])))
    return list(seen.values())


def parse_body(req: func.HttpRequest, model: type[Model]) -> Model:
    body = read_json_object(req)
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise bad_request(field_errors(error)) from None


Handler = Callable[[func.HttpRequest], func.HttpResponse]


def _add_default_headers(response: func.HttpResponse) -> None:
    for header, value in NO_STORE_HEADERS.items():
        if header not in response.headers:
            response.headers[header] = value


def api_endpoint(name: str) -> Callable[[Handler], Handler]:
    """Turns ServiceErrors into the error envelope and logs one record per request."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(req: func.HttpRequest) -> func.HttpResponse:
            started = time.perf_counter()
            context: dict[str, Any] = {}
            token = _log_fields.set(context)
            try:
                response = handler(req)
            except ServiceError as error:
                response = error_response(error)
            except AzureError:
                log.exception("storage failed in %s", name)
                response = json_response(
                    503,
                    {"error": {"code": "ServiceUnavailable", "message": "Storage is not answering; retry."}},
                )
            except Exception:
                log.exception("unhandled error in %s", name)
                response = json_response(
                    500, {"error": {"code": "InternalError", "message": "Unexpected error."}}
                )
            _add_default_headers(response)
            context.update(
                endpoint=name,
                method=req.method,
                status=response.status_code,
                ms=round((time.perf_counter() - started) * 1000, 1),
                lead_id=req.route_params.get("id"),
            )
            _log_fields.reset(token)
            log.info("request %s", json.dumps(context, default=str), extra={"fields": context})
            return response

        return wrapper

    return decorate


SignedInHandler = Callable[[func.HttpRequest, "Principal"], func.HttpResponse]
# What the Functions host binds: one parameter named `req`. A handler's `principal` parameter is
# filled by `http_route`, so the host must not see it.
_HOST_SIGNATURE = inspect.Signature(
    [inspect.Parameter("req", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=func.HttpRequest)],
    return_annotation=func.HttpResponse,
)


def http_route(
    bp: func.Blueprint,
    methods: str | tuple[str, ...],
    route: str,
    *,
    principal: bool = True,
    auth_level: func.AuthLevel = func.AuthLevel.ANONYMOUS,
) -> Callable[[Callable[..., func.HttpResponse]], Any]:
    """Registers an API function named after the def, as `api_endpoint` wraps it.

    With `principal` (the default) the handler is `handler(req, principal)` and gets the signed-in
    caller, or the request ends in 401/403 before the handler runs; routes open to anyone
    (health, the OpenAPI document, the marketplace's intake) pass `principal=False` and take `req`.
    """
    # Imported here: the principal adapter logs through this module, so it cannot load first.
    from shared.adapters.principal import principal_from_headers

    def decorate(handler: Callable[..., func.HttpResponse]) -> Any:
        name = handler.__name__

        @functools.wraps(handler, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
        def endpoint(req: func.HttpRequest) -> func.HttpResponse:
            if principal:
                return handler(req, principal_from_headers(req.headers))
            return handler(req)

        del endpoint.__wrapped__
        endpoint.__signature__ = _HOST_SIGNATURE  # type: ignore[attr-defined]
        verbs = [methods] if isinstance(methods, str) else list(methods)
        registered = bp.route(route=route, methods=verbs, auth_level=auth_level)(api_endpoint(name)(endpoint))
        return bp.function_name(name)(registered)

    return decorate
