"""Every error leaves as ``application/problem+json`` (RFC 9457), mapped in this one place."""

from __future__ import annotations

import logging
import re
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap

from tracker.domain.errors import (
    Conflict,
    IdempotencyKeyReused,
    NotFound,
    TrackerError,
    ValidationError,
    VersionMismatch,
)

PROBLEM_JSON = "application/problem+json"
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")
log = logging.getLogger("tracker.api")

#: Domain error → (HTTP status, problem type slug). The most specific class wins.
STATUS_OF: list[tuple[type[TrackerError], int, str]] = [
    (NotFound, 404, "not-found"),
    (VersionMismatch, 412, "version-mismatch"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused"),
    (ValidationError, 422, "invalid-value"),
    (Conflict, 409, "conflict"),
    (TrackerError, 400, "bad-request"),
]

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"urn:tracker:problem:{slug or status}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def tracker_error(_: Request[Any, Any, Any], error: TrackerError) -> Response[dict[str, Any]]:
    status, slug = next((s, t) for cls, s, t in STATUS_OF if isinstance(error, cls))
    return problem(status, error.detail, slug=slug, field=error.field)


def _field_path(key: str | None, message: str) -> str | None:
    """The full path of the offending field: msgspec names a missing or unknown field in
    the message, relative to the object the key points at (``data`` is the body itself)."""
    parts = [] if key in (None, "data") else [str(key)]
    named = _NAMED_FIELD.search(message)
    if named:
        parts.append(named.group(1))
    return ".".join(parts) or None


def validation_error(_: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    """Malformed input (wrong type, float money, unknown field, bad date): 400 naming fields."""
    errors = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            source = item.get("source")
            errors.append(
                {
                    "field": _field_path(item.get("key"), message),
                    "in": str(getattr(source, "value", source) or "body"),
                    "message": message,
                }
            )
    first = errors[0] if errors else None
    detail = f"{first['field']}: {first['message']}" if first and first["field"] else error.detail
    return problem(
        400,
        detail,
        slug="malformed-request",
        field=first["field"] if first else None,
        errors=errors,
    )


def http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    return problem(error.status_code, str(error.detail), headers=dict(error.headers or {}))


def database_unavailable(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The database is down, locked or out of connections: say so, and when to retry."""
    log.warning("database unavailable: %s", error)
    return problem(
        HTTP_503_SERVICE_UNAVAILABLE,
        "the database is unavailable or busy; nothing was recorded, retry shortly",
        slug="database-unavailable",
        headers={"Retry-After": "1"},
    )


def unexpected_error(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unexpected error", exc_info=error)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "an unexpected error occurred; it was logged")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    TrackerError: tracker_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    OperationalError: database_unavailable,
    InterfaceError: database_unavailable,
    Exception: unexpected_error,
}
