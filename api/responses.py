"""Answers with the headers a write or a versioned read carries (``ETag``, ``Location``)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response

from api.conditions import etag
from api.schemas import RecordedOut
from tracker.recording import Recorded


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
    """A versioned resource, with its version as a weak ``ETag`` (for ``If-Match``)."""
    return Response(response, headers={"ETag": etag(version)})
