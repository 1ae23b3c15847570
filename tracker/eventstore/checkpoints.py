"""The chain's head, its signed checkpoints and the last verification that found it whole.

The links themselves are written and read by the recorders, in the events' transactions
(tracker/eventstore/recorders.py); what is here is off the write path, so it goes through
SQLAlchemy and one statement serves both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from tracker.eventstore.chain import Checkpoint

metadata = MetaData()
#: These mirror migration 0013 (tests/integration/test_migrations.py compares them).
chain_table = Table(
    "event_chain",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("link", LargeBinary, nullable=False),
)
checkpoints_table = Table(
    "chain_checkpoints",
    metadata,
    Column("number", Integer, primary_key=True),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("link", LargeBinary, nullable=False),
    Column("signed_at", String(40), nullable=False),
    Column("public_key", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
)
verified_table = Table(
    "chain_verified",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("verified_at", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("events", BigInteger, nullable=False),
)
_C = checkpoints_table.c


@dataclass(frozen=True)
class Verified:
    """The last verification that found the chain whole: when, up to where, how many events."""

    at: datetime
    position: int
    events: int


def chain_head(engine: Engine) -> tuple[int, bytes] | None:
    """The last link: its position and digest (``None`` while the log is empty)."""
    query = select(chain_table.c.position, chain_table.c.link)
    with engine.connect() as conn:
        row = conn.execute(query.order_by(chain_table.c.position.desc()).limit(1)).first()
    return (int(row.position), bytes(row.link)) if row else None


def link_at(engine: Engine, position: int) -> bytes | None:
    """The stored link at ``position``, if there is one."""
    with engine.connect() as conn:
        link = conn.scalar(select(chain_table.c.link).where(chain_table.c.position == position))
    return bytes(link) if link is not None else None


def link_before(engine: Engine, position: int) -> tuple[int, bytes] | None:
    """The last link before ``position`` (``None``: ``position`` is the log's first)."""
    c = chain_table.c
    query = select(c.position, c.link).where(c.position < position)
    with engine.connect() as conn:
        row = conn.execute(query.order_by(c.position.desc()).limit(1)).first()
    return (int(row.position), bytes(row.link)) if row else None


def add_checkpoint(
    engine: Engine, position: int, link: bytes, signed_at: str, public_key: bytes, signature: bytes
) -> Checkpoint:
    """Keep a signed checkpoint; if one of that position exists (another process signed the
    same head), that one is answered."""
    row = {
        "position": position,
        "link": link,
        "signed_at": signed_at,
        "public_key": public_key,
        "signature": signature,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(checkpoints_table).values(row))
    except IntegrityError:
        pass
    found = checkpoints(engine, at_position=position)
    return found[0]


def checkpoints(
    engine: Engine,
    *,
    after: int = 0,
    limit: int | None = None,
    at_position: int | None = None,
    newest_first: bool = False,
) -> list[Checkpoint]:
    """Checkpoints numbered after ``after``, oldest first (or newest first)."""
    query = select(checkpoints_table).where(_C.number > after)
    if at_position is not None:
        query = query.where(_C.position == at_position)
    query = query.order_by(_C.number.desc() if newest_first else _C.number)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        Checkpoint(
            int(r.number),
            int(r.position),
            bytes(r.link),
            r.signed_at,
            bytes(r.public_key),
            bytes(r.signature),
        )
        for r in rows
    ]


def count_checkpoints(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(checkpoints_table)) or 0)


def latest_checkpoint(engine: Engine) -> Checkpoint | None:
    found = checkpoints(engine, limit=1, newest_first=True)
    return found[0] if found else None


def record_verified(engine: Engine, verified: Verified) -> None:
    """Remember a verification that found the chain whole (one row, replaced)."""
    values = {
        "verified_at": verified.at,
        "position": verified.position,
        "events": verified.events,
    }
    with engine.begin() as conn:
        changed = conn.execute(
            update(verified_table).where(verified_table.c.id == 1).values(values)
        ).rowcount
        if not changed:
            conn.execute(insert(verified_table).values(id=1, **values))


def last_verified(engine: Engine) -> Verified | None:
    with engine.connect() as conn:
        row = conn.execute(select(verified_table).where(verified_table.c.id == 1)).first()
    return Verified(row.verified_at, int(row.position), int(row.events)) if row else None
