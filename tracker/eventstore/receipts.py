"""Idempotency receipts: which version each idempotency key produced, per aggregate.

A receipt is written by the event store's recorder in the same transaction as its event
(``TrackerApplication.save`` passes them down), so there is a receipt exactly when there is
an event; a second receipt for the same key fails the whole transaction, and the writer's
retry then finds the first one and answers it as a replay. The aggregates no longer remember
keys themselves: their snapshots would grow with every keyed command. Each recorder
(``tracker.eventstore.recorders``) writes and reads them in its own SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import BigInteger, Column, MetaData, Table, Text, Uuid

TABLE = "idempotency_receipts"

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


class Receipt(NamedTuple):
    """One key's receipt (a named tuple: an import makes one per event, thousands a batch,
    and a tuple is made in a third of a frozen dataclass's time)."""

    aggregate_id: UUID
    key: str
    digest: str | None
    version: int


def receipts_of(events: Iterable[Any]) -> list[Receipt]:
    """A receipt for every event recorded under an idempotency key (what
    :func:`~tracker.domain.base.command_record` says of it)."""
    return [
        Receipt(event.originator_id, key, event.command_digest, event.originator_version)
        for event in events
        if (key := getattr(event, "idempotency_key", None)) is not None
    ]
