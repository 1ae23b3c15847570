"""How ``tracker serve`` runs uvicorn at the HTTP edge: whose forwarded addresses to believe,
and how long a client may take.

- **Forwarded addresses.** uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told
  otherwise, so any local client (or a proxy that passes the header through) could pick the
  address the per-address rate limit counts and the access log shows. Here the headers are
  believed only from ``TRACKER_TRUSTED_PROXIES``; with none they are ignored.
- **Slow clients.** uvicorn bounds the idle time between requests on a kept-alive connection
  (``TRACKER_KEEP_ALIVE_TIMEOUT``) but not the time a client takes to send its request
  headers: a connection that sends half a request line, or nothing, is held for ever. The
  protocol classes below give each request ``TRACKER_HEADER_TIMEOUT`` seconds, from the
  connection (or the first byte of a later request on it) until its headers are complete,
  then close the connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from functools import cache
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from tracker.settings import Settings

log = logging.getLogger("api.server")

#: Closed slow connections are logged together, at most once per this many seconds (one line
#: per connection would let a slow-client flood flood the log as well).
LOG_EVERY = 60.0


#: Seconds a worker of ``tracker serve --workers N`` has to answer uvicorn's health check. A
#: new worker is a new interpreter that imports the whole app before it can answer: 3 s on a
#: quiet machine, 8-17 s on a busy one, where uvicorn's default of 5 s killed every worker
#: while it was still importing and started another, forever; at load 8 on two cores one
#: worker took over 30 s (tests/integration/test_serve_workers.py, 2026-12-02).
WORKER_HEALTHCHECK_SECONDS = 60


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` from the settings."""
    return {
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        "http": HTTP_PROTOCOL,
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections if settings.max_connections > 0 else None,
    }


@cache
def _configured_timeout() -> float:
    """``TRACKER_HEADER_TIMEOUT`` of this process. Read here rather than passed in: uvicorn
    starts each worker from a pickled config, which refers to the protocol class by name."""
    return Settings.from_env().header_timeout


class _SlowClients:
    """Counts the connections closed for slow headers and logs the count: at the first, then
    at most once per :data:`LOG_EVERY` seconds while more are closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = 0
        self._logged_at = -LOG_EVERY
        #: When the report of the count so far is due (``None``: none is scheduled).
        self._report_due: float | None = None

    def closed(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        with self._lock:
            self._closed += 1
            now = time.monotonic()
            # A report overdue by a second: its event loop stopped before it ran.
            if self._report_due is not None and now < self._report_due + 1:
                return
            wait = self._logged_at + LOG_EVERY - now
            if wait > 0:
                self._report_due = now + wait
                loop.call_later(wait, self._log, timeout)
                return
        self._log(timeout)

    def _log(self, timeout: float) -> None:
        with self._lock:
            count, self._closed = self._closed, 0
            self._logged_at, self._report_due = time.monotonic(), None
        if count:
            log.warning(
                "closed %d connection(s) that sent no complete request headers within %g s "
                "(TRACKER_HEADER_TIMEOUT)",
                count,
                timeout,
                extra={"closed_connections": count, "header_timeout": timeout},
            )


slow_clients = _SlowClients()


class HeaderDeadline:
    """The deadline of one connection's request headers (one per protocol instance).

    One timer a connection rather than one a request: a request notes when its head began
    and when it was complete (two assignments), and the timer, when it fires, closes the
    connection if a head has been awaited for the whole timeout, or is set again for when
    the head awaited now would be late. A busy kept-alive connection answering thousands of
    requests a second so arms a timer once per timeout instead of once per request.
    """

    #: Seconds; ``None``: ``TRACKER_HEADER_TIMEOUT`` (a subclass may fix its own, as tests do).
    header_timeout: ClassVar[float | None] = None

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    #: The connection's timer (``None``: none is set).
    _head_deadline: asyncio.TimerHandle | None = None
    #: When the head awaited now began (the loop's clock; ``None``: none is awaited).
    _head_since: float | None = None

    def _await_head(self) -> None:
        """Start the clock, unless it runs already."""
        if self._head_since is None:
            self._head_since = self.loop.time()
        if self._head_deadline is None:
            timeout = self.header_timeout or _configured_timeout()
            self._head_deadline = self.loop.call_at(
                self._head_since + timeout, self._check_head, timeout
            )

    def _head_arrived(self) -> None:
        self._head_since = None

    def _stop_head_clock(self) -> None:
        self._head_since = None
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _check_head(self, timeout: float) -> None:
        self._head_deadline = None
        since = self._head_since
        if since is None:  # nothing awaited: the next request sets the timer again
            return
        if self.loop.time() < since + timeout:  # a later request's head: not late yet
            self._head_deadline = self.loop.call_at(since + timeout, self._check_head, timeout)
            return
        self._head_since = None
        if not self.transport.is_closing():
            self.transport.close()
            slow_clients.closed(self.loop, timeout)


class H11HeaderDeadline(HeaderDeadline, H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol, with a deadline on request headers."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._await_head()  # the first bytes of a request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        super().connection_lost(exc)


HTTP_PROTOCOL: type[asyncio.Protocol] = H11HeaderDeadline

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: uvicorn's "auto" would pick h11 too
    pass
else:

    class HttpToolsHeaderDeadline(HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol (its default when installed), with a deadline on
        request headers."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_head()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._await_head()  # the first byte of a request on a kept-alive connection

        def on_headers_complete(self) -> None:
            self._head_arrived()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_clock()
            super().connection_lost(exc)

    HTTP_PROTOCOL = HttpToolsHeaderDeadline
