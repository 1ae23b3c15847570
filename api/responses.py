"""Answers with the headers a write or a versioned read carries (``ETag``, ``Location``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Request, Response

from api.conditions import etag, none_match
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


def tagged(
    response: msgspec.Struct, version: int, request: Request[Any, Any, Any] | None = None
) -> Response[Any]:
    """A versioned resource, with its version as a strong ``ETag`` (for ``If-Match``). Given
    the ``request``, answered 304 without a body when its ``If-None-Match`` names the tag: only
    for a representation that the version (and the URL) fix entirely."""
    tag = etag(version)
    if request is not None and none_match(request.headers.get("If-None-Match"), tag):
        return Response(None, status_code=304, headers={"ETag": tag})
    return Response(response, headers={"ETag": tag})


def paged(request: Request[Any, Any, Any], page: Any) -> Response[Any]:
    """A keyset page, with ``Link: <…>; rel="next"`` (RFC 8288) naming the next page when
    there is one: this request's URL with ``cursor`` set to the page's ``next_cursor``."""
    cursor = page.next_cursor
    if cursor is None:
        return Response(page)
    query = [
        (name, value)
        for name, value in parse_qsl(request.scope["query_string"].decode("latin-1"), True)
        if name != "cursor"
    ]
    target = f"{request.url.path}?{urlencode([*query, ('cursor', cursor)])}"
    return Response(page, headers={"Link": f'<{target}>; rel="next"'})
