"""Idempotency receipts: which version each idempotency key produced, per aggregate.

A receipt is written by the event store's recorder in the same transaction as its event
(``TrackerApplication.save`` passes them down), so there is a receipt exactly when there is
an event; a second receipt for the same key fails the whole transaction, and the writer's
retry then finds the first one and answers it as a replay. The aggregates no longer remember
keys themselves: their snapshots would grow with every keyed command.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier
from sqlalchemy import BigInteger, Column, MetaData, Table, Text, Uuid

from tracker.domain.base import CommandRecord, command_record

TABLE = "idempotency_receipts"
#: Keys looked up per statement (well under both databases' parameter limits).
CHUNK = 500

metadata = MetaData()
#: Mirrors migration 0005 (tests/integration/test_migrations.py compares them).
receipts_table = Table(
    TABLE,
    metadata,
    Column("aggregate_id", Uuid, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("digest", Text),
    Column("version", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Receipt:
    aggregate_id: UUID
    key: str
    digest: str | None
    version: int


def receipts_of(events: Iterable[Any]) -> list[Receipt]:
    """A receipt for every event recorded under an idempotency key."""
    found = []
    for event in events:
        keyed = command_record(event)
        if keyed is not None:
            key, record = keyed
            found.append(Receipt(event.originator_id, key, record.digest, record.version))
    return found


def insert_sqlite(cursor: Any, receipts: Sequence[Receipt]) -> None:
    if receipts:
        cursor.executemany(
            f"INSERT INTO {TABLE} (aggregate_id, key, digest, version) VALUES (?, ?, ?, ?)",
            [(r.aggregate_id.hex, r.key, r.digest, r.version) for r in receipts],
        )


def insert_postgres(cursor: Any, schema: str, receipts: Sequence[Receipt]) -> None:
    if receipts:
        cursor.executemany(
            SQL(
                "INSERT INTO {}.{} (aggregate_id, key, digest, version) VALUES (%s, %s, %s, %s)"
            ).format(Identifier(schema), Identifier(TABLE)),
            [(r.aggregate_id, r.key, r.digest, r.version) for r in receipts],
        )


def find_receipts(
    recorder: ApplicationRecorder, aggregate_id: UUID, keys: Collection[str]
) -> dict[str, CommandRecord]:
    """The receipts of some of one aggregate's keys (absent keys have none)."""
    wanted = sorted(set(keys))
    found: dict[str, CommandRecord] = {}
    for start in range(0, len(wanted), CHUNK):
        for key, digest, version in _select(recorder, aggregate_id, wanted[start : start + CHUNK]):
            found[key] = CommandRecord(digest, int(version))
    return found


def find_receipt(
    recorder: ApplicationRecorder, aggregate_id: UUID, key: str
) -> CommandRecord | None:
    return find_receipts(recorder, aggregate_id, (key,)).get(key)


def _select(
    recorder: ApplicationRecorder, aggregate_id: UUID, keys: list[str]
) -> list[tuple[str, str | None, int]]:
    if isinstance(recorder, SQLiteApplicationRecorder):
        marks = ", ".join("?" * len(keys))
        statement = (
            f"SELECT key, digest, version FROM {TABLE} WHERE aggregate_id = ? AND key IN ({marks})"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (aggregate_id.hex, *keys))
            return [(row[0], row[1], row[2]) for row in cursor.fetchall()]
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
            "SELECT key, digest, version FROM {}.{} WHERE aggregate_id = %s AND key = ANY(%s)"
        ).format(Identifier(recorder.datastore.schema), Identifier(TABLE))
        with recorder.datastore.transaction(commit=False) as pg_cursor:
            pg_cursor.execute(query, (aggregate_id, keys), prepare=True)
            return [(r["key"], r["digest"], r["version"]) for r in pg_cursor.fetchall()]
    raise TypeError(f"unsupported recorder {type(recorder).__name__}")  # pragma: no cover
