"""The API keys' rows (migration 0003): the table and its statements, for tracker/keys.py.

Keys are not events: a key is made, shown once and revoked, and only its secret's hash is
kept. They live in the database beside the read model's tables and are read through the
same engine; what a key means (its token, role and scope) is tracker/keys.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, insert, select, update

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


@dataclass(frozen=True)
class KeyRow:
    """One key as stored (its role and portfolio as text)."""

    key_id: str
    name: str
    role: str
    portfolio_id: str | None
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None


class KeyRows:
    """The ``api_keys`` table of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, row: KeyRow) -> bool:
        """Store a new key; ``False`` (and nothing stored) when its name is taken."""
        c = api_keys.c
        with self.engine.begin() as conn:
            if conn.execute(select(c.key_id).where(c.name == row.name)).first():
                return False
            conn.execute(insert(api_keys).values(**vars(row)))
        return True

    def all(self) -> list[KeyRow]:
        """Every key, revoked or not, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [KeyRow(**row._mapping) for row in rows]

    def revoke(self, name_or_id: str, at: datetime) -> bool:
        """Mark the active key of that name or id revoked at ``at``; whether there was one."""
        c = api_keys.c
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(api_keys)
                .where((c.name == name_or_id) | (c.key_id == name_or_id))
                .where(c.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount
        return bool(changed == 1)

    def active(self, key_id: str) -> KeyRow | None:
        """The key with that id, unless it is unknown or revoked."""
        c = api_keys.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys).where(c.key_id == key_id).where(c.revoked_at.is_(None))
            ).first()
        return None if row is None else KeyRow(**row._mapping)
