"""Rate limits per client address and per API key, answered with 429 and ``Retry-After``."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import (
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
    get_remote_address,
)

from api.auth import key_id_of


class _RetryAfter(RateLimitMiddleware):
    """Litestar's limiter, plus the ``Retry-After`` header RFC 9110 asks for on a 429."""

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        headers = super().create_response_headers(cache_object)
        headers["Retry-After"] = str(max(1, cache_object.reset - int(time.time())))
        return headers


class PerAddress(_RetryAfter):
    pass


class PerKey(_RetryAfter):
    pass


def _key_identifier(request: Request[Any, Any, Any]) -> str:
    return key_id_of(request) or "none"


async def _has_key(request: Request[Any, Any, Any]) -> bool:
    """Async on purpose: Litestar would run a sync check in a worker thread on every request."""
    return key_id_of(request) is not None


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
                identifier_for_request=_key_identifier,
                check_throttle_handler=_has_key,
                middleware_class=PerKey,
                set_rate_limit_headers=False,
            )
        )
    return [config.middleware for config in configs]
