"""Who may do what: API keys, roles and scopes (enforced for the whole app by ``api.gate``).

Reads are public unless ``TRACKER_PUBLIC_READS=false``; every write needs a recorder key, and
establishing portfolios, restating targets, choosing a portfolio's rate sets, naming its
IATI reporting organisation, writing rate sets, defining indicators and restating their
targets needs an admin key.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.types import Scope

from api.wording import refusal
from tracker.i18n import N_
from tracker.keys import Principal, Role

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


def required_role(method: str, path: str, *, public_reads: bool) -> Role | None:
    """The least role a request needs (``None``: anyone)."""
    if method in READ_METHODS:
        if public_reads or OPEN_PATHS.match(path) or OPEN_READS.match(path):
            return None
        return Role.READER
    if OPEN_PATHS.match(path):
        return None
    if any(method == m and pattern.match(path) for m, pattern in ADMIN_WRITES):
        return Role.ADMIN
    return Role.RECORDER


def presented_key(scope: Scope) -> str | None:
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


def permit(principal: Principal | None, needed: Role | None) -> None:
    """Raise the refusal (401 or 403) unless ``principal`` (``None``: no key) may do what
    needs the role ``needed`` (``None``: anyone)."""
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


def unknown_key() -> HTTPException:
    return refusal(
        NotAuthorizedException, N_("the API key is unknown or revoked"), headers=CHALLENGE
    )
