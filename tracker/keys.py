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

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)

from tracker.domain.errors import N_, NotFound, ValidationError

PREFIX = "trk"
_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")

metadata = MetaData()
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(12), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("portfolio_id", String(36)),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)


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
        self.engine = engine
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
        with self.engine.begin() as conn:
            taken = conn.execute(select(api_keys.c.key_id).where(api_keys.c.name == name)).first()
            if taken:
                raise ValidationError(
                    N_("a key named %(name)r exists already"), name=name, field="name"
                )
            conn.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    name=name,
                    role=role.value,
                    portfolio_id=str(portfolio_id) if portfolio_id else None,
                    secret_hash=_hash(secret),
                    created_at=record.created_at,
                )
            )
        return record, f"{PREFIX}_{key_id}_{secret}"

    def list(self) -> list[KeyRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [
            KeyRecord(
                r.key_id,
                r.name,
                Role(r.role),
                UUID(r.portfolio_id) if r.portfolio_id else None,
                r.created_at,
                r.revoked_at,
            )
            for r in rows
        ]

    def revoke(self, name_or_id: str) -> KeyRecord:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(api_keys)
                .where((api_keys.c.name == name_or_id) | (api_keys.c.key_id == name_or_id))
                .where(api_keys.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            ).rowcount
        if changed != 1:
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
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys)
                .where(api_keys.c.key_id == key_id)
                .where(api_keys.c.revoked_at.is_(None))
            ).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
            return None
        portfolio = UUID(row.portfolio_id) if row.portfolio_id else None
        return Principal(row.key_id, row.name, Role(row.role), portfolio)
