"""Answers kept in memory, given before Litestar reads the request that asks for them again.

A report the read model remembers (``ReadModel.cached_report``) or a portfolio page the page
cache keeps (``api/dashboard/page_cache.py``) still cost each request Litestar's work on the
way to the handler and back: a ``Request``, the ``before_request`` checks, the query's
parameters read and validated, the dependency, the handler and its ``Response`` (for the
195 KB page, twice what a bare Litestar app spends answering the same bytes). Once a handler
has answered a request from such a cache, it remembers here how to find that answer again
(a *recall*); the next request that names the same answer is given it right here, as the
handler gave it (the same status, headers and bytes), for as long as the cache keeps it. The
envelope of the app (metrics, language, rate limits, keys: api/envelope.py) still runs on
every request: this sits inside it, on the routes that remember.

A request names the same answer when it has the same path and query string, on the same day
(a flag filter's silence, a timeline's last interval, a page's stale counts), in the same
language (set by ``api.envelope`` from ``?lang=``, the cookie or ``Accept-Language``) and on
the same site (the ``Host`` a page prints itself from). A request that waits for a position
(``min_position``) is never remembered, and a recall finds nothing once its cache has moved on
(a new position applied, an entry expired or due to be made again): the handler answers.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
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
from tracker import i18n

#: How many requests are remembered; beyond, the least recently remembered are forgotten.
SHORTCUTS = 1024
#: zlib's default: a portfolio page (197 KB) to 14 % in 4–10 ms, once a page.
GZIP_LEVEL = 6
_STATE = "shortcuts"


class Answer:
    """An answer as its handler sends it: status, headers (those of Litestar's ``Response``
    for the same body, media type and headers) and body.

    A *compressible* answer (a page: ~200 KB of HTML, a sixth more in Russian, whose bytes
    are most of what serving it from memory costs) is sent gzip-compressed to a client that
    accepts it (:meth:`for_client`), compressed once however often it is sent; its ``Vary``
    names ``Accept-Encoding`` either way (added to the one given, if any)."""

    __slots__ = ("_gzipped", "body", "compressible", "headers", "named", "status")

    def __init__(
        self,
        body: bytes,
        media_type: bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        compressible: bool = False,
    ) -> None:
        self.status = status
        self.body = body
        self.compressible = compressible
        #: The headers by name, but for the content's type and length.
        self.named = dict(headers or {})
        if compressible:
            varies = [name for name in self.named if name.lower() == "vary"]
            self.named[varies[0] if varies else "Vary"] = ", ".join(
                [*(self.named[name] for name in varies), "Accept-Encoding"]
            )
        self.headers = [
            *(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in self.named.items()
            ),
            (b"content-type", media_type),
            (b"content-length", str(len(body)).encode()),
        ]
        self._gzipped: Answer | None = None

    def for_client(self, scope: Scope) -> Answer:
        """This answer as the client of ``scope`` is sent it: gzip-compressed if it may be
        and the client's ``Accept-Encoding`` takes gzip."""
        if not self.compressible or not accepts_gzip(scope):
            return self
        if self._gzipped is None:  # two threads may both make it: the same bytes
            self._gzipped = Answer(
                gzip.compress(self.body, GZIP_LEVEL, mtime=0),
                dict(self.headers)[b"content-type"],
                self.status,
                {**self.named, "Content-Encoding": "gzip"},
            )
        return self._gzipped


class Encoded(Answer):
    """A report's JSON body, and the kind of report it is (its output struct)."""

    __slots__ = ("kind",)

    def __init__(self, kind: type[Any], body: bytes) -> None:
        #: What the handler's ``Response(body, media_type=MediaType.JSON)`` sends.
        super().__init__(body, b"application/json")
        self.kind = kind


#: Finds the remembered answer again, or ``None`` once its cache no longer gives it.
Recall = Callable[[], Answer | None]


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's ``Accept-Encoding`` takes gzip (by name, ``x-gzip`` or ``*``,
    with a weight above zero; RFC 9110, 12.5.3)."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            weights: dict[str, float] = {}
            for item in value.decode("latin-1").lower().split(","):
                coding, _, parameters = item.partition(";")
                weights[coding.strip()] = _weight(parameters)
            named = weights.get("gzip", weights.get("x-gzip"))
            return (weights.get("*", 0.0) if named is None else named) > 0
    return False


def _weight(parameters: str) -> float:
    """The ``q`` of a coding's parameters (1 when there is none; 0 when it is malformed)."""
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def _request(scope: Scope) -> Hashable:
    """What names a request's answer: its path and query string, the day, its language and
    the site it was asked of (what ``Request.base_url`` is made from)."""
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    return (
        scope["path"],
        scope.get("query_string", b""),
        today_utc().date(),
        i18n.language(),
        scope.get("scheme"),
        host,
        _hashable(scope.get("server")),
        scope.get("root_path"),
        scope.get("app_root_path"),
    )


def _hashable(server: Any) -> Hashable:
    """A scope's ``server``: ASGI allows any two-item iterable (a list, from some servers and
    test transports), which cannot be a key as it comes."""
    return None if server is None else tuple(server)


class Shortcuts:
    """The requests already answered from a cache, each with how to find its answer again."""

    def __init__(self) -> None:
        self._recalls: OrderedDict[Hashable, Recall] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, scope: Scope, recall: Recall) -> None:
        """``recall`` finds the answer to a request like ``scope`` from now on."""
        request = _request(scope)
        with self._lock:
            self._recalls[request] = recall
            while len(self._recalls) > SHORTCUTS:
                self._recalls.popitem(last=False)

    def answer(self, scope: Scope) -> Answer | None:
        """The remembered answer to a request like ``scope``, if its cache still gives it."""
        recall = self._recalls.get(_request(scope))
        return None if recall is None else recall()


def shortcuts_of(scope: Scope) -> Shortcuts:
    found: Shortcuts = scope["litestar_app"].state[_STATE]
    return found


def state() -> dict[str, Any]:
    """What an app's state holds for the shortcuts (``create_app``)."""
    return {_STATE: Shortcuts()}


def shortcut(app: ASGIApp) -> ASGIApp:
    """The middleware of the routes that remember: a remembered answer, or on to the handler."""

    async def shortcut(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            answer = shortcuts_of(scope).answer(scope)
            if answer is not None:
                answer = answer.for_client(scope)
                # A list of its own: the envelope adds to it (language, the rate limit's headers).
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": answer.status,
                    "headers": list(answer.headers),
                }
                body: HTTPResponseBodyEvent = {
                    "type": "http.response.body",
                    "body": answer.body,
                    "more_body": False,
                }
                await send(start)
                await send(body)
                return
        await app(scope, receive, send)

    return shortcut
