"""Who may pass, before the router: the per-address rate limit, the key, the per-key rate
limit and the role the request needs, checked in that order (a wrong key still counts against
its address; only a verified key counts against its own limit).

Run by the envelope (``api.envelope``) around the whole app rather than as Litestar
middleware: a middleware costs every request a coroutine, and Litestar puts a per-route
exception layer under any middleware (docs/BENCHMARKS.md). A refusal is answered by the
exception handler Litestar would have used (``api.errors.answering``), under its route in the
metrics; a request refused on a path with no such route gets the router's 404 or 405 instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.types import ASGIApp, HTTPScope
from litestar.utils.path import normalize_path

from api.auth import permit, presented_key, required_role, unknown_key
from api.errors import answering
from api.limits import Headers, PerAddress, PerKey
from tracker.keys import KeyStore, Principal
from tracker.settings import Settings

#: The router's lookup of a (path, method): Litestar's ``ASGIRouter.handle_routing``, whose
#: last item is the route's path template.
Routes = Callable[..., tuple[Any, ...]]


class Gate:
    def __init__(self, keys: KeyStore, settings: Settings, routes: Routes) -> None:
        self.keys = keys
        self.routes = routes
        self.public_reads = settings.public_reads
        per_address, per_key = settings.rate_limit_per_address, settings.rate_limit_per_key
        self.per_address = PerAddress(per_address) if per_address else None
        self.per_key = PerKey(per_key) if per_key else None

    async def admit(self, scope: HTTPScope) -> Headers:
        """Let a request through, its principal (or ``None``) in its state, and return the
        headers its answer gets (the per-address limit's); or raise its refusal."""
        headers = self.per_address.admit(scope) if self.per_address is not None else []
        token = presented_key(scope)
        principal = await self._principal(token) if token else None
        scope["state"]["principal"] = principal
        needed = required_role(scope["method"], scope["path"], public_reads=self.public_reads)
        permit(principal, needed)
        return headers

    def refusal(self, scope: HTTPScope, error: Exception) -> ASGIApp:
        """The answer to a request :meth:`admit` refused with ``error``."""
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        try:
            *_, scope["path_template"] = self.routes(
                path=normalize_path(scope["path"]), method=method
            )
        except (NotFoundException, MethodNotAllowedException) as unrouted:
            error = unrouted
        return answering(error)

    async def _principal(self, token: str) -> Principal:
        keys = self.keys
        principal = keys.remembered(token) or await anyio.to_thread.run_sync(
            keys.authenticate, token
        )
        if principal is None:
            raise unknown_key()
        if self.per_key is not None:
            self.per_key.admit(principal.key_id)
        return principal
