"""Rate limits per client address and per API key, answered with 429 and ``Retry-After``.

- **Per address**: every request (except ``/health``) counts against the client address,
  as the server sees it: the peer of the connection, or the address a trusted proxy
  forwarded (``TRACKER_TRUSTED_PROXIES``; see ``api/server.py``). Requests with a wrong key
  count here too, so guessing at secrets is bounded by this limit; the dashboard's static
  files count in a window of their own.
- **Per key**: only requests whose key was verified count against that key (see
  ``api.gate``). A key's id is not secret, so counting unverified ids would let anyone use up
  someone else's limit.

``RateLimit-*`` headers go on every answer of the per-address limit; ``Retry-After`` only on
the 429 (RFC 9110: it says when to come back, which a 200 has no use for).
"""

from __future__ import annotations

import re
import time

from litestar.exceptions import TooManyRequestsException
from litestar.types import Scope

from api.dashboard.rendering import STATIC_PATH

#: Windows kept before those that have ended are dropped (at most once a second).
PRUNE_AT = 10_000
#: A limit's unit: requests per minute.
WINDOW_SECONDS = 60
NOT_COUNTED = re.compile(r"^/health/?$")
Headers = list[tuple[bytes, bytes]]


class Limit:
    """At most ``most`` requests per key in a fixed window of a minute (it starts with the
    key's first request), counted in this process's memory, shared by every route.

    Each key's current window is [requests counted, when it ends (Unix seconds)]. Litestar's
    limiter kept, per key, the time of every request in the window, encoded as JSON in its
    store and decoded again on the next request: a cost that grew with the requests of the
    window (at 3,000 a second, a list of 180,000 numbers per request by the end of a minute).
    """

    def __init__(self, most: int, *, headers: bool) -> None:
        self.most = most
        self.says_headers = headers
        self.current: dict[str, list[int]] = {}
        self._pruned_at = 0.0

    def count(self, key: str) -> Headers:
        """Count one request under ``key`` and return the ``RateLimit-*`` headers for its
        answer, or raise 429 if the key has used up its window."""
        window = self._window(key)
        if window[0] >= self.most:
            headers = dict(self._headers(window)) if self.says_headers else {}
            headers["Retry-After"] = str(max(1, window[1] - int(time.time())))
            raise TooManyRequestsException(headers=headers)
        window[0] += 1
        if not self.says_headers:
            return []
        return [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in self._headers(window)
        ]

    def _headers(self, window: list[int]) -> list[tuple[str, str]]:
        """The ``RateLimit-*`` headers (the IETF draft's, as Litestar words them)."""
        return [
            ("ratelimit-policy", f"{self.most}; w={WINDOW_SECONDS}"),
            ("ratelimit-limit", str(self.most)),
            ("ratelimit-remaining", str(max(self.most - window[0], 0))),
            ("ratelimit-reset", str(window[1] - int(time.time()))),
        ]

    def _window(self, key: str) -> list[int]:
        now = int(time.time())
        window = self.current.get(key)
        if window is None or window[1] <= now:
            window = self.current[key] = [0, now + WINDOW_SECONDS]
            if len(self.current) > PRUNE_AT and time.monotonic() - self._pruned_at > 1:
                self._pruned_at = time.monotonic()
                self.current = {k: w for k, w in self.current.items() if w[1] > now}
                self.current[key] = window
        return window


class PerAddress(Limit):
    def __init__(self, most: int) -> None:
        super().__init__(most, headers=True)

    def admit(self, scope: Scope) -> Headers:
        """Count the request against its client's address (``/health`` is never counted)."""
        path = scope["path"]
        if NOT_COUNTED.match(path):
            return []
        client = scope.get("client")
        key = client[0] if client else "127.0.0.1"
        if path.startswith(STATIC_PATH):
            key += " static"
        return self.count(key)


class PerKey(Limit):
    def __init__(self, most: int) -> None:
        super().__init__(most, headers=False)

    def admit(self, key_id: str) -> None:
        """Count a request made with the verified key ``key_id``."""
        self.count(key_id)
