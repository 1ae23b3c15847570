"""Parameters and helpers shared by the resource controllers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter

from api.auth import principal_of
from api.conditions import etag, idempotency_key, request_digest, today_utc
from api.schemas import RecordedOut, Recording
from api.translate import envelope
from tracker.application import Recorded, TrackerApplication
from tracker.domain.values import Envelope
from tracker.readmodel.service import ReadModel

Tracker = NamedDependency[TrackerApplication]
ReadModelDep = NamedDependency[ReadModel]
# Litestar checks a bound given on the optional but leaves a zero bound out of its OpenAPI
# schema, which would then allow -1; the inner one puts it there.
MinPosition = Annotated[
    Annotated[int, QueryParameter(ge=0)] | None,
    QueryParameter(
        ge=0,
        description="Wait (at most 2 s) until the read model has applied this global position, "
        "e.g. the `position` a write returned.",
    ),
]

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        description='Write only if the current version is this one (W/"3"); else 412.',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Retrying with the same key and body returns the first response and "
        "records nothing new; the same key with another body is refused (422).",
    ),
]

AsOf = Annotated[
    date | None,
    QueryParameter(description="Count only facts effective on or before this date."),
]
KnownAt = Annotated[
    datetime | None,
    QueryParameter(
        description="Count only events recorded by this ISO 8601 moment (UTC if no zone)."
    ),
]


def write_envelope(
    request: Request[Any, Any, Any],
    body: Recording,
    key_header: str | None,
    **defaults: Any,
) -> Envelope:
    """The envelope of a write: its key's name is the actor, stored on the event."""
    key = idempotency_key(key_header)
    digest = request_digest(request.method, request.url.path, body) if key else None
    principal = principal_of(request)
    return envelope(
        body,
        principal.name if principal else "anonymous",
        today=today_utc().date(),
        idempotency_key=key,
        digest=digest,
        **defaults,
    )


def scope_of(request: Request[Any, Any, Any]) -> UUID | None:
    """The portfolio a scoped key may write to (``None``: any)."""
    principal = principal_of(request)
    return principal.portfolio_id if principal else None


def created(recorded: Recorded, location: str) -> Response[RecordedOut]:
    """201 for a new event, or the same answer again for a replayed idempotent request."""
    headers = {"Location": location, "ETag": etag(recorded.version)}
    if recorded.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        RecordedOut(recorded.id, recorded.version, recorded.position),
        status_code=201,
        headers=headers,
    )


def tagged(response: msgspec.Struct, version: int) -> Response[Any]:
    return Response(response, headers={"ETag": etag(version)})
