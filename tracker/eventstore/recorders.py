"""eventsourcing's infrastructure, one recorder per database, each owning its SQL.

Beyond the library's interface the tracker asks its event store a few things (the global
positions of an aggregate's events, an aggregate's events at chosen versions, the receipts of
idempotency keys, how many events lie between two positions): :class:`TrackerRecorder` names
them, and each database's recorder answers them in its own SQL, so no caller switches on the
kind of database. Both application recorders insert the receipts given to
``insert_events(..., receipts=…)`` (see tracker/eventstore/receipts.py) in the events' own
transaction, and each event's link in the hash chain (tracker/eventstore/chain.py) after the
events have their positions: PostgreSQL holds its table lock for notification order until the
commit, and SQLite its single write lock, so concurrent writers extend one chain.

Each database's recorder is in its own module: tracker/eventstore/postgres_recorder.py and
tracker/eventstore/sqlite_recorder.py (named in tracker/settings.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from tracker.domain.base import CommandRecord
from tracker.eventstore.chain import Step, StoredEntry, merge

#: Keys looked up per statement (well under both databases' parameter limits).
CHUNK = 500
#: The hash chain's links, one row per event position (migration 0013).
CHAIN = "event_chain"


class Stored(NamedTuple):
    """A stored event at its position, as the tracker reads the log: the fields of the
    library's ``Notification`` in a tuple, the originator's id as its ``UUID`` or the text of
    one (SQLite's, made once per aggregate). A frozen dataclass and a ``UUID`` made per event
    cost the projector as much as reading the rows (docs/BENCHMARKS.md)."""

    id: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes


class TrackerRecorder:
    """What the tracker asks of its event store beyond the library's recorder interface."""

    def stored_after(self, start: int, limit: int, stop: int | None = None) -> list[Stored]:
        """Up to ``limit`` stored events after position ``start`` (up to ``stop``, if given),
        in position order: the library's ``select_notifications``, leaner (the projector, the
        feed and the events at chosen positions read the log through this). An originator id
        that is not a UUID is kept as it is stored, for the event's reader to refuse (a
        projector sets that one event aside)."""
        raise NotImplementedError

    def event_positions(self, originator_id: UUID, *, version: int | None = None) -> dict[int, int]:
        """Map each version of one aggregate (or only ``version``) to its position in the
        global notification log."""
        raise NotImplementedError

    def select_events_at(self, originator_id: UUID, versions: Collection[int]) -> list[StoredEvent]:
        """The stored events of one aggregate at ``versions`` (one indexed read), in version
        order; a version with no event is left out."""
        raise NotImplementedError

    def find_receipts(self, aggregate_id: UUID, keys: Collection[str]) -> dict[str, CommandRecord]:
        """The receipts of some of one aggregate's keys (absent keys have none)."""
        wanted = sorted(set(keys))
        found: dict[str, CommandRecord] = {}
        for start in range(0, len(wanted), CHUNK):
            for key, digest, version in self._select_receipts(
                aggregate_id, wanted[start : start + CHUNK]
            ):
                found[key] = CommandRecord(digest, int(version))
        return found

    def stored_aggregates(self, ids: Collection[UUID]) -> set[UUID]:
        """Those of ``ids`` that have events in the store (one indexed read per chunk)."""
        wanted = list(ids)
        found: set[UUID] = set()
        for start in range(0, len(wanted), CHUNK):
            found.update(self._select_stored(wanted[start : start + CHUNK]))
        return found

    def _select_stored(self, ids: list[UUID]) -> list[UUID]:
        raise NotImplementedError

    def write_back(self) -> None:
        """After a bulk write: have the database's own files hold what it wrote, so that the
        next writer does not pay for it (SQLite's write-ahead log; nothing elsewhere)."""

    def count_events(self, *, after: int | None = None, upto: int | None = None) -> int:
        """How many events the log holds at positions ``after`` < p <= ``upto`` (both optional).

        Positions are the same as counts on SQLite; on PostgreSQL a rolled-back write leaves a
        gap in the sequence, so positions overstate how many events there are.
        """
        raise NotImplementedError

    #: Whether new events get their links (off only to write a store as it was before
    #: migration 0013, which chains what it finds).
    chained = True

    def chain_steps(self, *, after: int = 0, page: int = 5000) -> Iterator[Step]:
        """Every position after ``after`` with its stored event and stored link, in order
        (read a page at a time; a link without an event, or an event without a link, too)."""
        while True:
            entries, links = self._chain_page(after, page)
            upto = entries[-1].position if len(entries) == page else None
            yield from merge(entries, links, upto)
            if upto is None:
                return
            after = upto

    def _chain_page(self, after: int, limit: int) -> tuple[list[StoredEntry], dict[int, bytes]]:
        """Up to ``limit`` events after ``after`` and the links of the same positions (all
        links after ``after`` when fewer events are left)."""
        raise NotImplementedError

    def _select_receipts(
        self, aggregate_id: UUID, keys: list[str]
    ) -> list[tuple[str, str | None, int]]:
        raise NotImplementedError
