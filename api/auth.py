"""Who may do what: API keys, roles and scopes, enforced by one middleware for the whole app.

Reads are public unless ``TRACKER_PUBLIC_READS=false``; every write needs a recorder key, and
establishing portfolios, restating targets, choosing a portfolio's rate sets, naming its
IATI reporting organisation, writing rate sets, defining indicators and restating their
targets needs an admin key.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from api.wording import refusal
from tracker.i18n import N_
from tracker.keys import KeyStore, Principal, Role

OPEN_PATHS = re.compile(r"^/(health|ready|docs)(/|$)")
#: Read by anyone even when reads need a key: the signed checkpoints (docs/integrity.md).
OPEN_READS = re.compile(r"^/api/v1/checkpoints/?$")
ADMIN_WRITES = [
    ("POST", re.compile(r"^/api/v1/portfolios/?$")),
    ("POST", re.compile(r"^/api/v1/portfolios/[^/]+/targets/?$")),
    ("PUT", re.compile(r"^/api/v1/portfolios/[^/]+/rate-sets/?$")),
    ("PUT", re.compile(r"^/api/v1/portfolios/[^/]+/reporting-organisation/?$")),
    ("POST", re.compile(r"^/api/v1/portfolios/[^/]+/statements/?$")),
    ("POST", re.compile(r"^/api/v1/rate-sets(/|$)")),
    ("POST", re.compile(r"^/api/v1/portfolios/[^/]+/indicators/?$")),
    ("POST", re.compile(r"^/api/v1/indicators/[^/]+/targets/?$")),
    ("POST", re.compile(r"^/api/v1/checkpoints/?$")),
]
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tracker"'}
#: Where a middleware outside this one (the per-key rate limit, ``api.limits``) leaves a
#: check to run on each request's key once it is verified, before its role is checked: an
#: unknown or wrong key never reaches it.
KEY_CHECK = "verified_key_check"
KeyCheck = Callable[[Scope, Principal], Awaitable[None]]


def required_role(method: str, path: str, *, public_reads: bool) -> Role | None:
    """The least role a request needs (``None``: anyone)."""
    if OPEN_PATHS.match(path) or (method in READ_METHODS and OPEN_READS.match(path)):
        return None
    if method in READ_METHODS:
        return None if public_reads else Role.READER
    if any(method == m and pattern.match(path) for m, pattern in ADMIN_WRITES):
        return Role.ADMIN
    return Role.RECORDER


def _token(scope: Scope) -> str | None:
    """The presented key: ``Authorization: Bearer …`` or ``X-API-Key`` (read off the raw
    headers, which costs less than parsing them all on every request)."""
    api_key = None
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip()
        if name == b"x-api-key":
            api_key = value.decode("latin-1")
    return api_key


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    principal = connection.scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def authentication(keys: KeyStore, *, public_reads: bool) -> Any:
    """The middleware that authenticates the key and checks its role on every request.

    A middleware rather than a route guard: Litestar copies the route handler for each guard
    call, which cost a cached read a tenth of its time.
    """

    def middleware(app: ASGIApp) -> ASGIApp:
        async def authorize(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP:
                token = _token(scope)
                if token is None and (
                    required_role(scope["method"], scope["path"], public_reads=public_reads) is None
                ):
                    # No key, none needed (a public read): nothing to look up or check.
                    scope.setdefault("state", {})["principal"] = None
                else:
                    await _authorize(scope, keys, public_reads, token)
            await app(scope, receive, send)

        return authorize

    return middleware


async def _authorize(
    scope: HTTPScope, keys: KeyStore, public_reads: bool, token: str | None
) -> None:
    needed = required_role(scope["method"], scope["path"], public_reads=public_reads)
    principal = None
    if token:
        principal = keys.remembered(token) or await anyio.to_thread.run_sync(
            keys.authenticate, token
        )
    if token and principal is None:
        raise refusal(
            NotAuthorizedException, N_("the API key is unknown or revoked"), headers=CHALLENGE
        )
    state = scope.setdefault("state", {})
    state["principal"] = principal
    check: KeyCheck | None = state.get(KEY_CHECK)
    if principal is not None and check is not None:
        await check(scope, principal)
    if needed is None:
        return
    if principal is None:
        raise refusal(
            NotAuthorizedException,
            N_(
                "this request needs an API key with the %(role)s role "
                "(Authorization: Bearer <key>); see `tracker keys create`"
            ),
            headers=CHALLENGE,
            role=str(needed),
        )
    if not principal.role.allows(needed):
        raise refusal(
            PermissionDeniedException,
            N_("the key %(name)r has the %(role)s role; this needs %(needed)s"),
            name=principal.name,
            role=str(principal.role),
            needed=str(needed),
        )
