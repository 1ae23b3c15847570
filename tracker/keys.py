"""API keys: random secrets shown once, stored only as a hash, each with a role and a scope.

A key reads ``trk_<id>_<secret>``: the id finds the row, the secret (32 random bytes) is
compared with its SHA-256 in constant time. A slow password hash buys nothing for a secret
this long, and a fast one keeps every write cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import Engine

from tracker.domain.errors import N_, NotFound, ValidationError
from tracker.readmodel.key_rows import KeyRow, KeyRows

PREFIX = "trk"
_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")


class Role(StrEnum):
    READER = "reader"
    RECORDER = "recorder"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = [Role.READER, Role.RECORDER, Role.ADMIN]
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name is stored on every event it records as the actor."""

    key_id: str
    name: str
    role: Role
    portfolio_id: UUID | None


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    name: str
    role: Role
    portfolio_id: UUID | None
    created_at: datetime
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


#: At most this many verified keys are remembered (then all are forgotten at once).
REMEMBERED_KEYS = 10_000


class KeyStore:
    """Creates, lists, revokes and verifies keys.

    ``remember_for`` seconds, a verified key is trusted without a database round trip (the
    API's writes are cheap enough that checking the key was a third of their cost); unknown
    and wrong keys are never remembered.
    """

    def __init__(self, engine: Engine, *, remember_for: float = 0.0) -> None:
        self.rows = KeyRows(engine)
        self.remember_for = remember_for
        self._verified: dict[str, tuple[Principal, float]] = {}

    def create(
        self, name: str, role: Role, portfolio_id: UUID | None = None
    ) -> tuple[KeyRecord, str]:
        """Make a key; the returned token is the only time the secret exists in the clear."""
        name = name.strip()
        if not name or len(name) > 100:
            raise ValidationError(N_("a key needs a name of 1 to 100 characters"), field="name")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        record = KeyRecord(key_id, name, role, portfolio_id, _now(), None)
        row = KeyRow(
            key_id,
            name,
            role.value,
            str(portfolio_id) if portfolio_id else None,
            _hash(secret),
            record.created_at,
            None,
        )
        if not self.rows.add(row):
            raise ValidationError(
                N_("a key named %(name)r exists already"), name=name, field="name"
            )
        return record, f"{PREFIX}_{key_id}_{secret}"

    def list(self) -> list[KeyRecord]:
        return [
            KeyRecord(r.key_id, r.name, Role(r.role), _portfolio(r), r.created_at, r.revoked_at)
            for r in self.rows.all()
        ]

    def revoke(self, name_or_id: str) -> KeyRecord:
        if not self.rows.revoke(name_or_id, _now()):
            raise NotFound(
                N_("no active key named or with id %(name_or_id)r"), name_or_id=name_or_id
            )
        return next(k for k in self.list() if name_or_id in (k.name, k.key_id))

    def remembered(self, token: str) -> Principal | None:
        """The principal of a token verified less than ``remember_for`` seconds ago."""
        entry = self._verified.get(_hash(token))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def authenticate(self, token: str) -> Principal | None:
        """The principal behind a token, or ``None`` for an unknown, wrong or revoked key."""
        principal = self._verify(token)
        if principal is not None and self.remember_for > 0:
            if len(self._verified) >= REMEMBERED_KEYS:
                self._verified.clear()
            self._verified[_hash(token)] = (principal, time.monotonic() + self.remember_for)
        return principal

    def _verify(self, token: str) -> Principal | None:
        found = _TOKEN.match(token.strip())
        if not found:
            return None
        key_id, secret = found.groups()
        row = self.rows.active(key_id)
        if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
            return None
        return Principal(row.key_id, row.name, Role(row.role), _portfolio(row))


def _portfolio(row: KeyRow) -> UUID | None:
    return UUID(row.portfolio_id) if row.portfolio_id else None
