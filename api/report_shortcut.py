"""Reports answered from memory before Litestar reads their parameters.

A report the read model remembers (``ReadModel.cached_report``) still cost each request
Litestar's work on the way to the handler: a ``Request``, the ``before_request`` checks, a
dozen query parameters read and validated, the dependency, the handler and its ``Response``.
Once a request has been answered that way, its exact path and query string name the same
report, so the next request with the same ones is answered with the remembered body right
here, as the handler would answer it, for as long as the read model keeps that report (the
same position, at most ``REPORT_TTL``). The middleware of the app (metrics, language, rate
limits, keys) still runs on every request: this sits inside them, on the report routes only.

What the handler's answer depends on besides the path and the query string, the day (a flag
filter's silence, a timeline's last interval), is part of the key too; a request that waits
for a position (``min_position``) is never answered here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date
from typing import Any

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from api.conditions import today_utc
from tracker.readmodel.service import ReadModel

#: How many (path, query string) pairs are remembered; beyond, the oldest are forgotten.
SHORTCUTS = 1024
_STATE = "report_shortcuts"


class Encoded:
    """A report's JSON body, and the kind of report it is (its output struct)."""

    __slots__ = ("body", "headers", "kind")

    def __init__(self, kind: type[Any], body: bytes) -> None:
        self.kind = kind
        self.body = body
        #: What the handler's ``Response(body, media_type=MediaType.JSON)`` sends.
        self.headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]


class ReportShortcuts:
    """The report keys of requests already answered, by path, query string and day."""

    def __init__(self, readmodel: ReadModel) -> None:
        self.readmodel = readmodel
        self._keys: OrderedDict[tuple[str, bytes, date], Hashable] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, scope: Scope, key: Hashable) -> None:
        """``key`` answers a request with ``scope``'s path and query string (today)."""
        request = (scope["path"], scope.get("query_string", b""), today_utc().date())
        with self._lock:
            self._keys[request] = key
            while len(self._keys) > SHORTCUTS:
                self._keys.popitem(last=False)

    def answer(self, scope: Scope) -> Encoded | None:
        """The remembered answer to a request like ``scope``, if the read model still has it."""
        request = (scope["path"], scope.get("query_string", b""), today_utc().date())
        key = self._keys.get(request)
        if key is None:
            return None
        # One request of a report due to be computed again goes on to the handler, which
        # computes it; the others are answered here meanwhile.
        encoded = self.readmodel.cached_report(key, None, due_too=False)
        return encoded if isinstance(encoded, Encoded) else None


def shortcuts_of(scope: Scope) -> ReportShortcuts:
    found: ReportShortcuts = scope["litestar_app"].state[_STATE]
    return found


def state(readmodel: ReadModel) -> dict[str, Any]:
    """What an app's state holds for the shortcuts (``create_app``)."""
    return {_STATE: ReportShortcuts(readmodel)}


def report_shortcut(app: ASGIApp) -> ASGIApp:
    """The report routes' middleware: a remembered answer, or on to the handler."""

    async def shortcut(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            encoded = shortcuts_of(scope).answer(scope)
            if encoded is not None:
                # A list of its own: a middleware may add to it (the rate limit's headers).
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": list(encoded.headers),
                }
                body: HTTPResponseBodyEvent = {
                    "type": "http.response.body",
                    "body": encoded.body,
                    "more_body": False,
                }
                await send(start)
                await send(body)
                return
        await app(scope, receive, send)

    return shortcut
