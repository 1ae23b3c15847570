"""Rate limits per client address and per API key, answered with 429 and ``Retry-After``.

- **Per address**: every request (except ``/health``) counts against the client address,
  as the server sees it: the peer of the connection, or the address a trusted proxy
  forwarded (``TRACKER_TRUSTED_PROXIES``; see ``api/server.py``). Requests with a wrong key
  count here too, so guessing at secrets is bounded by this limit.
- **Per key**: only requests whose key was verified count against that key; the check runs
  inside the authentication middleware, once the secret has been compared (see
  :data:`api.auth.KEY_CHECK`). A key's id is not secret, so counting unverified ids would let
  anyone use up someone else's limit.

``RateLimit-*`` headers go on every answer of the per-address limit; ``Retry-After`` only on
the 429 (RFC 9110: it says when to come back, which a 200 has no use for).
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import KEY_CHECK
from tracker.keys import Principal

#: Windows kept before those that have ended are dropped (at most once a second).
PRUNE_AT = 10_000


class Windows:
    """Each key's current window: [requests counted, when it ends (Unix seconds)], in this
    process's memory, shared by every route of one limit.

    Litestar's limiter kept, per key, the time of every request in the window, encoded as
    JSON in its store and decoded again on the next request: a cost that grew with the
    requests of the window (at 3,000 a second, a list of 180,000 numbers per request by the
    end of a minute). Its store was this process's memory too; the window is the same fixed
    one (it starts with the key's first request and lasts the limit's unit).
    """

    def __init__(self) -> None:
        self.current: dict[str, list[int]] = {}
        self._pruned_at = 0.0

    def window(self, key: str, seconds: int) -> list[int]:
        now = int(time.time())
        window = self.current.get(key)
        if window is None or window[1] <= now:
            window = self.current[key] = [0, now + seconds]
            if len(self.current) > PRUNE_AT and time.monotonic() - self._pruned_at > 1:
                self._pruned_at = time.monotonic()
                self.current = {k: w for k, w in self.current.items() if w[1] > now}
                self.current[key] = window
        return window


class _Limit(RateLimitMiddleware):
    """Litestar's limiter (its configuration, exclusions and headers), counting in
    :class:`Windows` and answering the 429 itself: with ``Retry-After``, which Litestar's
    ``create_response_headers`` would otherwise put on every answer it decorates."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig, windows: Windows) -> None:
        super().__init__(app=app, config=config)
        self.windows = windows
        self.seconds = DURATION_VALUES[self.unit]

    def count(self, key: str) -> tuple[int, int]:
        """Count one request under ``key`` (the count and when the window ends), or raise 429
        if it has used up its limit."""
        window = self.windows.window(key, self.seconds)
        if window[0] >= self.max_requests:
            raise self.too_many(window[0], window[1])
        window[0] += 1
        return window[0], window[1]

    def headers(self, counted: int, reset: int) -> dict[str, str]:
        """The ``RateLimit-*`` headers (the IETF draft's, as Litestar words them)."""
        config = self.config
        return {
            config.rate_limit_policy_header_key: f"{self.max_requests}; w={self.seconds}",
            config.rate_limit_limit_header_key: str(self.max_requests),
            config.rate_limit_remaining_header_key: str(max(self.max_requests - counted, 0)),
            config.rate_limit_reset_header_key: str(reset - int(time.time())),
        }

    def too_many(self, counted: int, reset: int) -> TooManyRequestsException:
        headers = self.headers(counted, reset) if self.config.set_rate_limit_headers else {}
        headers["Retry-After"] = str(max(1, reset - int(time.time())))
        return TooManyRequestsException(headers=headers)


class PerAddress(_Limit):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        counted, reset = self.count(_address_key(scope))
        if self.config.set_rate_limit_headers:
            inner = send

            async def send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    extra = [
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in self.headers(counted, reset).items()
                    ]
                    message = {**message, "headers": [*message.get("headers", ()), *extra]}
                await inner(message)

        await self.app(scope, receive, send)


def _address_key(scope: Scope) -> str:
    """The key of the client's address, as Litestar's ``cache_key_from_request`` with
    ``get_remote_address`` makes it (mounted apps and static files count apart)."""
    client = scope.get("client")
    key = f"PerAddress::{client[0] if client else '127.0.0.1'}"
    handler = scope["route_handler"]
    if getattr(handler, "is_mount", False):
        key += "::mount"
    if getattr(handler, "is_static", False):
        key += "::static"
    return key


class PerKey(_Limit):
    """Leaves :meth:`check` for the authentication middleware (inside this one) to call on a
    verified key; an unknown or wrong key is refused there (401) before it counts here."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            scope.setdefault("state", {})[KEY_CHECK] = self.check
        await self.app(scope, receive, send)

    async def check(self, scope: Scope, principal: Principal) -> None:
        self.count(f"PerKey::{principal.key_id}")


def rate_limits(per_address: int, per_key: int) -> list[Any]:
    """Middleware for both limits (requests per minute; 0 turns a limit off)."""
    limits = []
    if per_address:
        config = RateLimitConfig(
            rate_limit=("minute", per_address), middleware_class=PerAddress, exclude=["/health"]
        )
        limits.append(DefineMiddleware(PerAddress, config=config, windows=Windows()))
    if per_key:
        config = RateLimitConfig(
            rate_limit=("minute", per_key), middleware_class=PerKey, set_rate_limit_headers=False
        )
        limits.append(DefineMiddleware(PerKey, config=config, windows=Windows()))
    return limits
