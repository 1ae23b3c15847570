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
from litestar.middleware.rate_limit import (
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
    get_remote_address,
)
from litestar.types import Receive, Scope, Send

from api.auth import KEY_CHECK
from tracker.keys import Principal


class _Limit(RateLimitMiddleware):
    """Litestar's limiter, counting with its store, but answering the 429 itself: with
    ``Retry-After``, which Litestar's ``create_response_headers`` would otherwise put on
    every answer it decorates."""

    async def count(self, scope: Scope, key: str) -> CacheObject:
        """Count one request under ``key``, or raise 429 if it has used up its limit."""
        store = self.config.get_store_from_app(scope["litestar_app"])
        async with self._lock:
            cache_object = await self.retrieve_cached_history(key, store)
            if len(cache_object.history) >= self.max_requests:
                raise self.too_many(cache_object)
            await self.set_cached_history(key=key, cache_object=cache_object, store=store)
        return cache_object

    def too_many(self, cache_object: CacheObject) -> TooManyRequestsException:
        headers = (
            self.create_response_headers(cache_object) if self.config.set_rate_limit_headers else {}
        )
        headers["Retry-After"] = str(max(1, cache_object.reset - int(time.time())))
        return TooManyRequestsException(headers=headers)


class PerAddress(_Limit):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = scope["litestar_app"].request_class(scope)
        cache_object = await self.count(scope, self.cache_key_from_request(request))
        if self.config.set_rate_limit_headers:
            send = self.create_send_wrapper(send=send, cache_object=cache_object)
        await self.app(scope, receive, send)


class PerKey(_Limit):
    """Leaves :meth:`check` for the authentication middleware (inside this one) to call on a
    verified key; an unknown or wrong key is refused there (401) before it counts here."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            scope.setdefault("state", {})[KEY_CHECK] = self.check
        await self.app(scope, receive, send)

    async def check(self, scope: Scope, principal: Principal) -> None:
        await self.count(scope, f"{type(self).__name__}::{principal.key_id}")


def rate_limits(per_address: int, per_key: int) -> list[Any]:
    """Middleware for both limits (requests per minute; 0 turns a limit off)."""
    configs = []
    if per_address:
        configs.append(
            RateLimitConfig(
                rate_limit=("minute", per_address),
                identifier_for_request=get_remote_address,
                middleware_class=PerAddress,
                exclude=["/health"],
            )
        )
    if per_key:
        configs.append(
            RateLimitConfig(
                rate_limit=("minute", per_key),
                middleware_class=PerKey,
                set_rate_limit_headers=False,
            )
        )
    return [config.middleware for config in configs]
