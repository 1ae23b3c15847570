"""How commands become stored events, whatever the aggregate.

Loading an aggregate (as recorded now, or as known at a moment), creating one (its id
derived from an idempotency key, so a retry finds it), changing one with retries when
another writer got there first, answering a retried request with its first answer, and
saving many aggregates' events in one transaction. The commands themselves are
:class:`tracker.application.TrackerApplication`'s.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, StoredEvent

from tracker.domain.base import CommandRecord, TrackedAggregate, earlier_command
from tracker.domain.errors import N_, ConcurrentWrite, NotFound, VersionMismatch
from tracker.domain.values import Envelope
from tracker.eventstore.encoding import MsgspecMapper
from tracker.eventstore.receipts import receipts_of
from tracker.eventstore.recorders import TrackerRecorder
from tracker.turns import Turns

A = TypeVar("A", bound=TrackedAggregate)

#: How often a write is retried when another writer changed the same aggregate meanwhile.
WRITE_ATTEMPTS = 20
_IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:tracker:idempotency")


#: What is said of an aggregate that is not there (now, or as known at a moment), by its class.
_MISSING: dict[str, tuple[str, str]] = {
    "Portfolio": (
        N_("there is no portfolio %(id)s"),
        N_("no portfolio %(id)s had been recorded by %(known_at)s"),
    ),
    "Project": (
        N_("there is no project %(id)s"),
        N_("no project %(id)s had been recorded by %(known_at)s"),
    ),
    "RateSet": (
        N_("there is no rate set %(id)s"),
        N_("no rate set %(id)s had been recorded by %(known_at)s"),
    ),
    "Document": (
        N_("there is no document %(id)s"),
        N_("no document %(id)s had been recorded by %(known_at)s"),
    ),
    "Indicator": (
        N_("there is no indicator %(id)s"),
        N_("no indicator %(id)s had been recorded by %(known_at)s"),
    ),
    "record": (
        N_("there is no record %(id)s"),
        N_("no record %(id)s had been recorded by %(known_at)s"),
    ),
}


@dataclass(frozen=True)
class Recorded:
    """What a caller learns from a write: the aggregate, its new version, the event's position.

    ``replayed`` is true when an earlier request with the same idempotency key is answered.
    """

    id: UUID
    version: int
    position: int
    replayed: bool = False


class RecordingApplication(Application[UUID]):
    """The library's application, with the tracker's ways of recording commands."""

    #: The tracker's own (:meth:`construct_mapper`).
    mapper: MsgspecMapper

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Called with the last global position after every successful save.
        self.after_save: list[Callable[[int], None]] = []
        #: This process's writers of one aggregate wait for each other (:meth:`_change`).
        self.turns = Turns()
        #: The positions saved by a thread inside :meth:`saves_told_at_the_end`.
        self._holding = threading.local()

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save as the library does, with the receipts of the events' idempotency keys."""
        pending = [
            event
            for obj in objs
            if obj is not None
            for event in getattr(obj, "pending_events", [obj])
        ]
        kwargs.setdefault("receipts", receipts_of(pending))
        recordings = super().save(*objs, **kwargs)
        if recordings:
            self._tell_saved(recordings[-1].notification.id)
        return recordings

    def _tell_saved(self, position: int) -> None:
        held: list[int] | None = getattr(self._holding, "positions", None)
        if held is not None:
            held.append(position)
            return
        for listener in self.after_save:
            listener(position)

    @contextmanager
    def saves_told_at_the_end(self) -> Iterator[None]:
        """Saves this thread makes inside are told to ``after_save`` once, as the block
        ends, with the last position: the read model then catches up once instead of
        after every save (the demo's thousand commands). For writers that read nothing
        back from the read model meanwhile; other threads' saves are told as usual."""
        held: list[int] = []
        self._holding.positions = held
        try:
            yield
        finally:
            del self._holding.positions
            if held:
                self._tell_saved(max(held))

    def save_many(
        self,
        aggregates: Sequence[TrackedAggregate],
        *,
        order: Sequence[tuple[UUID, int]] = (),
    ) -> list[Any]:
        """Save the new events of many aggregates in one transaction (bulk import).

        ``order`` lists (aggregate id, version) pairs in the order the events should take in
        the notification log (the order of the rows that made them); events not listed go
        last. Unlike :meth:`save`, snapshots are taken from the aggregates in memory (they
        hold the state just saved) and written together, not reloaded one by one.
        """
        events: list[Any] = []
        crossed: list[TrackedAggregate] = []
        for aggregate in aggregates:
            new = aggregate.collect_events()
            events.extend(new)
            interval = self.snapshotting_intervals.get(type(aggregate))
            if (
                new
                and interval
                and aggregate.version // interval > (aggregate.version - len(new)) // interval
            ):
                crossed.append(aggregate)
        if not events:
            return []
        if order:
            rank = {key: index for index, key in enumerate(order)}
            events.sort(key=lambda e: rank.get((e.originator_id, e.originator_version), len(rank)))
        recordings = self.events.put(events, receipts=receipts_of(events))
        if self.snapshots is not None and crossed:
            snapshot_class: Any = self.snapshot_class
            self.snapshots.put(
                [getattr(type(a), "Snapshot", snapshot_class).take(a) for a in crossed]
            )
        for listener in self.after_save:
            listener(recordings[-1].notification.id)
        return recordings

    def save_events(self, events: Sequence[StoredEvent]) -> list[int]:
        """Save events made and encoded earlier (an import's check), in the order given, in
        one transaction, with the receipts of their keys (each event's ``idempotency_key``
        and ``command_digest``); return their positions. An event whose version another
        writer took raises ``IntegrityError``."""
        if not events:
            return []
        positions = list(
            self.recorder.insert_events(list(events), receipts=receipts_of(events)) or ()
        )
        if positions:
            for listener in self.after_save:
                listener(positions[-1])
        return positions

    def snapshot_crossed(self, spans: Iterable[tuple[UUID, type[Any], int, int]]) -> None:
        """Snapshot each aggregate whose saved versions ``first``..``last`` (events of class
        ``kind``) crossed a snapshot interval, as :meth:`save` would have: at ``last``."""
        if self.snapshots is None:
            return
        for aggregate_id, kind, first, last in spans:
            interval = next(
                (
                    every
                    for cls, every in self.snapshotting_intervals.items()
                    if issubclass(kind, getattr(cls, "Event", ()))
                ),
                None,
            )
            if interval and last // interval > (first - 1) // interval:
                self.take_snapshot(aggregate_id, version=last, projector_func=_fold_onto)

    @property
    def store(self) -> TrackerRecorder:
        """The event store's recorder, with what the tracker asks it beyond the library's
        interface (positions, events at versions, receipts, counts)."""
        recorder = self.recorder
        if not isinstance(recorder, TrackerRecorder):  # pragma: no cover - set in settings
            raise TypeError(f"{type(recorder).__name__} is not one of the tracker's recorders")
        return recorder

    def construct_mapper(self) -> MsgspecMapper:
        return MsgspecMapper(compressor=self.factory.compressor(), cipher=self.factory.cipher())

    def command_records(
        self, aggregate_id: UUID, keys: Collection[str]
    ) -> dict[str, CommandRecord]:
        """The records of those of ``keys`` that an aggregate's events were recorded under."""
        return self.store.find_receipts(aggregate_id, keys)

    def _load(self, cls: type[A], aggregate_id: UUID, known_at: datetime | None) -> A:
        """The aggregate as recorded now, or as the events recorded by ``known_at`` left it."""
        missing, unrecorded = _MISSING.get(cls.__name__, _MISSING["record"])
        aggregate: Any
        if known_at is None:
            try:
                aggregate = self.repository.get(aggregate_id, projector_func=_fold_onto)
            except AggregateNotFoundError:
                raise NotFound(missing, id=aggregate_id) from None
        else:
            events: list[Any] = list(self.events.get(aggregate_id))
            known = [e for e in events if e.timestamp <= known_at]
            if not known:
                raise NotFound(unrecorded, id=aggregate_id, known_at=known_at)
            aggregate = _fold(known)
        if not isinstance(aggregate, cls):
            raise NotFound(missing, id=aggregate_id)
        return aggregate

    def caught_up(self, aggregate: A) -> A:
        """``aggregate`` (kept in memory since it was loaded or saved) with the events
        recorded after its version since, by any process: one query, usually of no rows."""
        caught: A = _fold_onto(aggregate, self.events.get(aggregate.id, gt=aggregate.version))
        return caught

    def _create(
        self, cls: type[A], envelope: Envelope, create: Callable[[UUID | None], A]
    ) -> Recorded:
        """Create an aggregate; with an idempotency key its id derives from the key, so a
        retried request finds the aggregate its first attempt created."""
        if envelope.idempotency_key is None:
            aggregate = create(None)
        else:
            new_id = uuid5(
                _IDEMPOTENCY_NAMESPACE,
                f"{cls.__name__}:{envelope.actor}:{envelope.idempotency_key}",
            )
            earlier = self.earlier_answer(new_id, envelope)
            if earlier is not None:
                return earlier
            aggregate = create(new_id)
        try:
            recordings = self.save(aggregate)
        except IntegrityError:
            earlier = self.earlier_answer(aggregate.id, envelope)
            if earlier is None:  # pragma: no cover - a conflict means the row exists
                raise
            return earlier
        return Recorded(aggregate.id, aggregate.version, recordings[-1].notification.id)

    def earlier_answer(self, aggregate_id: UUID, envelope: Envelope) -> Recorded | None:
        """The answer to an earlier request with the envelope's idempotency key, if any."""
        key = envelope.idempotency_key
        if key is None:
            return None
        records = self.command_records(aggregate_id, (key,))
        record = earlier_command(records.get(key), envelope)
        if record is None:
            return None
        position = self.store.event_positions(aggregate_id, version=record.version)
        return Recorded(aggregate_id, record.version, position[record.version], replayed=True)

    def _position_of(self, aggregate: TrackedAggregate) -> int:
        return self.store.event_positions(aggregate.id, version=aggregate.version)[
            aggregate.version
        ]

    def _change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        envelope: Envelope,
        expected_version: Collection[int] | None,
        change: Callable[[A], None],
        *,
        permit: Callable[[A], None] | None = None,
    ) -> Recorded:
        """Load, change and save; on a concurrent write, retry from the fresh state.

        ``permit`` raises if the caller may not change the aggregate: it runs before an
        idempotent replay is answered, so a key cannot learn another portfolio's answers.
        With ``expected_version`` (If-Match) the caller asked for one of those states, so a
        concurrent write is reported as a version mismatch instead of being retried.
        Writers in this process take turns (tracker/turns.py): only another process's
        writes make one retry.
        """
        with self.turns.turn(aggregate_id):
            for attempt in range(WRITE_ATTEMPTS):
                if attempt:
                    # Jittered backoff, so colliding writers spread out instead of colliding again.
                    time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 7)))
                aggregate = self._load(cls, aggregate_id, None)
                if permit is not None:
                    permit(aggregate)
                earlier = self.earlier_answer(aggregate_id, envelope)
                if earlier is not None:
                    return earlier
                if expected_version is not None and aggregate.version not in expected_version:
                    raise VersionMismatch(expected_version, aggregate.version)
                change(aggregate)
                if not aggregate.pending_events:  # nothing new (rates published before)
                    return Recorded(aggregate.id, aggregate.version, self._position_of(aggregate))
                try:
                    recordings = self.save(aggregate)
                except IntegrityError:
                    if expected_version is not None:
                        current = self._load(cls, aggregate_id, None).version
                        raise VersionMismatch(expected_version, current) from None
                    continue
                return Recorded(aggregate.id, aggregate.version, recordings[-1].notification.id)
            raise ConcurrentWrite(
                N_("%(id)s is being changed by many writers at once; retry the request"),
                id=aggregate_id,
            )


def _fold_onto(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector without its per-event protocol check (most of a replay's cost)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _fold(events: Sequence[DomainEventProtocol[UUID]]) -> Any:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
    return aggregate
