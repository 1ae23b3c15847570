"""Every error leaves as ``application/problem+json`` (RFC 9457), mapped in this one place."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ASGIApp, ExceptionHandlersMap, Receive, Scope, Send
from litestar.typing import FieldDefinition
from msgspec import Struct

from api.problems import type_uri
from api.wording import said_again
from tracker.domain.errors import (
    Busy,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    TrackerError,
    UnknownValue,
    ValidationError,
    VersionMismatch,
)
from tracker.i18n import N_, gettext, said
from tracker.readmodel.database import DATABASE_UNAVAILABLE
from tracker.transfer.errors import ImportForbidden, ImportRejected

PROBLEM_JSON = "application/problem+json"
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")
log = logging.getLogger("tracker.api")

#: Domain error → (HTTP status, problem type slug). The most specific class wins.
STATUS_OF: list[tuple[type[TrackerError], int, str]] = [
    (Busy, 503, "busy"),
    (NotFound, 404, "not-found"),
    (Forbidden, 403, "forbidden"),
    (VersionMismatch, 412, "version-mismatch"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused"),
    (ValidationError, 422, "invalid-value"),
    (UnknownValue, 400, "bad-request"),
    (Conflict, 409, "conflict"),
    (TrackerError, 400, "bad-request"),
]

_TITLES = {
    400: N_("Bad request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    412: N_("Precondition failed"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    422: N_("Unprocessable content"),
    429: N_("Too many requests"),
    500: N_("Internal server error"),
    503: N_("Service unavailable"),
}
_OTHER_TITLE = N_("Error")


class Problem(Struct, kw_only=True):
    """Problem details (RFC 9457): the body of every 4xx and 5xx answer."""

    type: str
    title: str
    status: int
    detail: str
    #: The offending input (``planned_investment.amount``, ``If-Match``, …).
    field: str | None = None
    #: Every problem found, for malformed requests and rejected imports.
    errors: list[dict[str, Any]] | None = None


#: What each documented error means, for the OpenAPI document.
_DOCUMENTED: dict[int, str] = {
    400: "Malformed request: a value of the wrong type or shape, an unknown field",
    401: "No API key, or an unknown or revoked one",
    403: "The key's role or portfolio scope does not allow this",
    404: "No such portfolio, project or resource",
    409: "The status machine or the aggregate's state forbids this change",
    412: "If-Match names another version than the current one",
    413: "The request body is too large",
    415: "The body's media type is not accepted here",
    422: "A value breaks a rule (unknown code, zero amount, reused idempotency key, …)",
    429: "Too many requests; see Retry-After",
    503: "The database is unavailable or busy; nothing was recorded, retry after Retry-After",
}
_READ_PROBLEMS = (400, 401, 403, 404, 422, 429, 503)
_WRITE_PROBLEMS = (*_READ_PROBLEMS, 409, 412, 413, 415)
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem_response(description: str) -> ResponseSpec:
    """A problem+json answer as the OpenAPI document describes it; a handler adds one with
    ``responses=`` when a read can answer a status reads do not (an export's 409)."""
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


class ProblemResponses(ReceiveRoutePlugin):
    """Document the problem+json answers on every operation, in one place.

    Litestar would document only its own 400 body (``status_code``/``detail``/``extra``) as
    ``application/json``, which is not what the API sends; a handler's own ``responses``
    still win over these.
    """

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            writes = bool(set(handler.http_methods) & _WRITE_METHODS)
            documented = {
                status: problem_response(_DOCUMENTED[status])
                for status in sorted(_WRITE_PROBLEMS if writes else _READ_PROBLEMS)
            }
            handler.responses = {**documented, **(handler.responses or {})}


class ClosedStructs(OpenAPISchemaPlugin):
    """Document request bodies as strictly as msgspec checks them.

    Litestar documents every struct as open, drops the constraints of list items and drops a
    zero bound (``ge=0``) of an optional field, so a client (or a contract test) reading the
    OpenAPI document would expect a body with an extra field, an empty party, a lower-case
    region or a correction to -5 permanent jobs to be accepted, and each is answered 400.
    The schema must say what the API does.

    It takes Litestar's own schema of a struct (from the plugin after it that describes
    structs) and adds what that one leaves out.
    """

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(Struct)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        plugins = list(schema_creator.plugins)
        litestars = next(
            plugin
            for plugin in plugins[plugins.index(self) + 1 :]
            if schema_creator.plugin_supports_field(plugin, field_definition)
        )
        schema: Schema = litestars.to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if not isinstance(info, msgspec.inspect.StructType):
            return schema
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        for struct_field in info.fields:
            prop = (schema.properties or {}).get(struct_field.encode_name)
            if isinstance(prop, Schema) and schema.properties is not None:
                schema.properties[struct_field.encode_name] = _constrained(prop, struct_field.type)
        return schema


_OPENAPI_TYPE = {
    msgspec.inspect.IntType: "integer",
    msgspec.inspect.StrType: "string",
    msgspec.inspect.ListType: "array",
}
#: msgspec constraint → Litestar ``Schema`` attribute, per msgspec type.
_BOUNDS = {
    msgspec.inspect.IntType: {
        "ge": "minimum",
        "le": "maximum",
        "gt": "exclusive_minimum",
        "lt": "exclusive_maximum",
    },
    msgspec.inspect.StrType: {
        "min_length": "min_length",
        "max_length": "max_length",
        "pattern": "pattern",
    },
    msgspec.inspect.ListType: {"min_length": "min_items", "max_length": "max_items"},
}


def _constrained(schema: Schema, field_type: msgspec.inspect.Type) -> Schema:
    """``schema`` with the bounds msgspec checks on ``field_type`` that it lacks."""
    if isinstance(field_type, msgspec.inspect.UnionType):
        if schema.one_of:
            variants = [
                next(
                    (
                        _constrained(variant, option)
                        for option in field_type.types
                        if isinstance(variant, Schema) and _matches(variant, option)
                    ),
                    variant,
                )
                for variant in schema.one_of
            ]
            return replace(schema, one_of=variants)
        return schema
    if isinstance(field_type, msgspec.inspect.Metadata):  # a Meta with examples or a description
        return _constrained(schema, field_type.type)
    bounds = _BOUNDS.get(type(field_type), {})
    missing = {
        attribute: getattr(field_type, bound)
        for bound, attribute in bounds.items()
        if getattr(field_type, bound) is not None and getattr(schema, attribute) is None
    }
    if isinstance(field_type, msgspec.inspect.ListType) and isinstance(schema.items, Schema):
        missing["items"] = _constrained(schema.items, field_type.item_type)
    return replace(schema, **missing) if missing else schema


def _matches(variant: Schema, option: msgspec.inspect.Type) -> bool:
    if isinstance(option, msgspec.inspect.Metadata):
        option = option.type
    expected = _OPENAPI_TYPE.get(type(option))
    return expected is not None and variant.type == expected


def rows_problem(error: ImportRejected | ImportForbidden) -> Response[dict[str, Any]]:
    """A file refused: 422 for bad rows, 403 for rows the key may not record, each listed
    (its message in the request's language)."""
    forbidden = isinstance(error, ImportForbidden)
    return problem(
        403 if forbidden else 422,
        said(error),
        slug="forbidden" if forbidden else "invalid-rows",
        field=error.field,
        errors=[e.as_dict(gettext) for e in error.errors],
    )


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """A problem+json answer; its ``title``, and its ``detail`` where the catalog has it, in
    the request's language (the rest, such as ``field`` and ``type``, is the same in all)."""
    body: dict[str, Any] = {
        "type": type_uri(slug, status),
        "title": gettext(_TITLES.get(status, _OTHER_TITLE)),
        "status": status,
        "detail": gettext(detail) if detail else detail,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def tracker_error(_: Request[Any, Any, Any], error: TrackerError) -> Response[dict[str, Any]]:
    status, slug = next((s, t) for cls, s, t in STATUS_OF if isinstance(error, cls))
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Busy) else None
    return problem(status, said(error), slug=slug, field=error.field, headers=headers)


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
                    "message": said_again(message),
                }
            )
    first = errors[0] if errors else None
    if first and first["field"]:
        detail = f"{first['field']}: {first['message']}"
    else:
        detail = said_again(str(error.detail))
    return problem(
        400,
        detail,
        slug="malformed-request",
        field=first["field"] if first else None,
        errors=errors,
    )


def http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    extra = error.extra if isinstance(error.extra, dict) else {}
    if "message" in extra:
        detail = gettext(extra["message"], **extra["params"])
    else:
        detail = said_again(str(error.detail))
    return problem(
        error.status_code,
        detail,
        field=extra.get("field"),
        headers=dict(error.headers or {}),
    )


def database_unavailable(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The database is down, locked or out of connections: say so, and when to retry."""
    log.warning("database unavailable: %s", error)
    return problem(
        HTTP_503_SERVICE_UNAVAILABLE,
        N_("the database is unavailable or busy; nothing was recorded, retry shortly"),
        slug="database-unavailable",
        headers={"Retry-After": "1"},
    )


def nested_too_deeply(_: Request[Any, Any, Any], error: RecursionError) -> Response[Any]:
    """A body nested deeper than the decoder can follow (``[[[[…]]]]``) is malformed input."""
    return problem(400, N_("the body is nested too deeply to be read"), slug="malformed-request")


def unexpected_error(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unexpected error", exc_info=error)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, N_("an unexpected error occurred; it was logged")
    )


#: Each runs inside the envelope (api/envelope.py), in the request's language.
EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    TrackerError: tracker_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    # The event store (eventsourcing), the read model and the key store (SQLAlchemy) and
    # anything that talks to the driver directly: down, locked, out of connections.
    **dict.fromkeys(DATABASE_UNAVAILABLE, database_unavailable),
    RecursionError: nested_too_deeply,
    Exception: unexpected_error,
}


def answering(error: Exception) -> ASGIApp:
    """An answer to an error raised outside Litestar's router (a refusal of ``api.gate``),
    made by the handler Litestar would have used inside it: the most specific class's."""
    handler = next(EXCEPTION_HANDLERS[c] for c in type(error).__mro__ if c in EXCEPTION_HANDLERS)

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive, send)
        await handler(request, error).to_asgi_response(None, request)(scope, receive, send)

    return answer
