"""Who may do what: API keys, roles and scopes, enforced in one guard for the whole app.

Reads are public unless ``TRACKER_PUBLIC_READS=false``; every write needs a recorder key,
and establishing portfolios, restating targets and setting exchange rates needs an admin key.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from tracker.keys import KeyStore, Principal, Role

OPEN_PATHS = re.compile(r"^/(health|ready|docs)(/|$)")
ADMIN_WRITES = [
    ("POST", re.compile(r"^/api/v1/portfolios/?$")),
    ("POST", re.compile(r"^/api/v1/portfolios/[^/]+/targets/?$")),
    ("PUT", re.compile(r"^/api/v1/fx-rates/?$")),
]
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_KEY_ID = re.compile(r"^trk_([0-9a-f]{12})_")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tracker"'}


def required_role(method: str, path: str, *, public_reads: bool) -> Role | None:
    """The least role a request needs (``None``: anyone)."""
    if OPEN_PATHS.match(path):
        return None
    if method in READ_METHODS:
        return None if public_reads else Role.READER
    if any(method == m and pattern.match(path) for m, pattern in ADMIN_WRITES):
        return Role.ADMIN
    return Role.RECORDER


def _token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return connection.headers.get("x-api-key")


def key_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The id part of a presented key, unverified (enough to count its requests)."""
    found = _KEY_ID.match(_token(connection) or "")
    return found.group(1) if found else None


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    principal = connection.scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def make_guard(keys: KeyStore, *, public_reads: bool) -> Any:
    async def authorize(
        connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        method = str(getattr(connection, "method", "GET"))
        needed = required_role(method, connection.url.path, public_reads=public_reads)
        token = _token(connection)
        principal = await anyio.to_thread.run_sync(keys.authenticate, token) if token else None
        if token and principal is None:
            raise NotAuthorizedException("the API key is unknown or revoked", headers=CHALLENGE)
        connection.scope.setdefault("state", {})["principal"] = principal
        if needed is None:
            return
        if principal is None:
            raise NotAuthorizedException(
                f"this request needs an API key with the {needed} role "
                "(Authorization: Bearer <key>); see `tracker keys create`",
                headers=CHALLENGE,
            )
        if not principal.role.allows(needed):
            raise PermissionDeniedException(
                f"the key {principal.name!r} has the {principal.role} role; this needs {needed}"
            )

    return authorize
