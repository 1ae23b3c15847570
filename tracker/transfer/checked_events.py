"""The events the check made of a file's new rows, kept on disk until they are recorded.

The check applies every row to the aggregates, so the domain judges each one; the events it
makes are the ones to record. Keeping them (not the file) means each row is parsed and
applied once. They are kept encoded as the event store encodes them, in memory up to
:data:`KEPT_IN_MEMORY` events (a few MB), and past that in a private temporary SQLite file,
so an import's memory stays flat in the file's size.

They are kept in their stored form, with the recording time cut out: an event's encoded
state starts with its ``timestamp`` (the library's first field), so the recording puts the
time of its batch in front of the rest and saves the bytes as they are, without decoding
the event again. An event the mapper encrypts or compresses is decoded, stamped and encoded
again; an event recorded at a simulated time keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from tracker.eventstore.encoding import MsgspecMapper
from tracker.transfer.scratch import SpilledRows

#: How a kept event is stamped when it is recorded.
_SPLICED, _AS_KEPT, _DECODED = 0, 1, 2
_TIMESTAMP = b'{"timestamp":'
_TIMESTAMP_TEXT = _TIMESTAMP + b'"'
#: Events kept in memory (about 600 bytes each); a file that makes more keeps them all in its
#: temporary file instead. Writing them there and reading them back cost 6 % of an import.
KEPT_IN_MEMORY = 10_000


@dataclass(frozen=True)
class KeyedEvent(StoredEvent):
    """A stored event with the idempotency key and digest its receipt records."""

    idempotency_key: str | None
    command_digest: str | None


#: One checked event ready to save: the file line of the row that made it, and the event.
Checked = tuple[int, KeyedEvent]


class CheckedEvents:
    """The new rows' events in the order of their rows, in memory or, past
    :data:`KEPT_IN_MEMORY`, in a temporary file; :meth:`close` deletes the file (so does the
    garbage collector)."""

    def __init__(self, mapper: MsgspecMapper, *, in_memory: int | None = None) -> None:
        self.mapper = mapper
        self._kept = SpilledRows(
            "events",
            "line INTEGER NOT NULL, originator_id BLOB NOT NULL, version INTEGER NOT NULL, "
            "topic TEXT NOT NULL, mode INTEGER NOT NULL, state BLOB NOT NULL, key TEXT, "
            "digest TEXT",
            KEPT_IN_MEMORY if in_memory is None else in_memory,
        )
        self._pending: list[tuple[Any, ...]] = []
        self._encode = msgspec.json.Encoder().encode
        self._plain = not (mapper.cipher or mapper.compressor)

    def add(self, line: int, events: Sequence[Any]) -> None:
        state_of = self.mapper.stored_state
        for event in events:
            state = state_of(event)
            if getattr(event, "simulated", False):
                mode = _AS_KEPT
            elif self._plain and state.startswith(_TIMESTAMP_TEXT):
                # the time's RFC 3339 text holds no quote: the first one after it ends it
                mode, state = _SPLICED, state[state.index(b'"', len(_TIMESTAMP_TEXT)) + 1 :]
            else:
                mode = _DECODED
            self._pending.append(
                (
                    line,
                    event.originator_id.bytes,
                    event.originator_version,
                    get_topic(type(event)),
                    mode,
                    state,
                    getattr(event, "idempotency_key", None),
                    getattr(event, "command_digest", None),
                )
            )

    def flush(self) -> None:
        """Keep what :meth:`add` holds (the check calls it once per window of rows): in
        memory while all of them fit, else in the file, with those kept in memory so far."""
        pending, self._pending = self._pending, []
        self._kept.extend(pending)

    @property
    def in_file(self) -> bool:
        """Whether the events outgrew memory and are kept in the temporary file."""
        return self._kept.in_file

    def batches(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The kept events in order, ``size`` at a time, as kept (:meth:`stamped` makes
        them ready to save); a remainder of at most a tenth of ``size`` joins the last
        batch rather than make a transaction (a commit, its round trips) of its own."""
        self.flush()
        total, start = len(self._kept), 0
        while start < total:
            end = start + size
            if total - end <= size // 10:
                end = total
            yield self._kept.rows(start, end)
            start = end

    def stamped(self, batch: list[tuple[Any, ...]], at: datetime) -> list[Checked]:
        """A batch's events as recorded at ``at`` (a simulated event keeps its time)."""
        stamp = _TIMESTAMP + self._encode(at)
        found: list[Checked] = []
        ids: dict[bytes, UUID] = {}  # an aggregate's events share its id
        for line, originator, version, topic, mode, state, key, digest in batch:
            aggregate_id = ids.get(originator)
            if aggregate_id is None:
                aggregate_id = ids[originator] = UUID(bytes=originator)
            if mode == _SPLICED:
                state = stamp + state
            elif mode == _DECODED:
                event = self.mapper.to_domain_event(
                    StoredEvent(aggregate_id, version, topic, state)
                )
                object.__setattr__(event, "timestamp", at)
                state = self.mapper.to_stored_event(event).state
            found.append((line, KeyedEvent(aggregate_id, version, topic, state, key, digest)))
        return found

    def close(self) -> None:
        self._kept.close()
