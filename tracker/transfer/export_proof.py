"""What an export carries so that it can be checked against the signed log without a database.

Every export names the checkpoint it was made under (signed at export time when the server
holds the signing key, else the newest one). The JSON export also carries its *proof*: the
stored form (exact bytes) of every event it drew on, the digests of the other events between
them and the checkpoint, and the link before the first of them. From that, the public key
alone shows that those events are the log's (the chain they make reaches the signed link)
and, by folding them again, that every figure in the file follows from them
(tracker/transfer/verify_export.py; docs/integrity.md).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from tracker.eventstore.chain import GENESIS, Checkpoint
from tracker.eventstore.checkpoints import latest_checkpoint, link_before
from tracker.eventstore.recorders import TrackerRecorder
from tracker.history import EventSource, RecordedEvent
from tracker.integrity.checkpointing import sign_head
from tracker.integrity.signing import Signer, checkpoint_dict

VERIFY_WITH = "tracker verify-export FILE --public-key KEY (docs/integrity.md)"


@dataclass
class DrawnEvents:
    """An event source that remembers which aggregates it read and how far into the log."""

    source: EventSource
    aggregates: set[UUID] = field(default_factory=set)
    through: int = 0

    def recorded_events(
        self, aggregate_id: UUID, *, known_at: datetime | None = None
    ) -> list[RecordedEvent]:
        events = self.source.recorded_events(aggregate_id, known_at=known_at)
        if events:
            self.aggregates.add(aggregate_id)
            self.through = max(self.through, *(e.position for e in events))
        return events


def export_checkpoint(engine: Engine, signer: Signer | None) -> Checkpoint | None:
    """The checkpoint an export is made under: the head signed now (after the export read
    its events, so it covers them) with the server's key, else the newest there is."""
    if signer is not None:
        return sign_head(engine, signer)
    return latest_checkpoint(engine)


def proof(
    store: TrackerRecorder, engine: Engine, drawn: DrawnEvents, checkpoint: Checkpoint | None
) -> dict[str, Any]:
    """The JSON export's ``integrity`` section: the checkpoint; every event of the aggregates
    the export read, up to the last position it read (``through``), in full; every other
    event up to the checkpoint as its place and the SHA-256 of its state."""
    section: dict[str, Any] = {
        "checkpoint": checkpoint_dict(checkpoint) if checkpoint else None,
        "verify_with": VERIFY_WITH,
    }
    if checkpoint is None or not drawn.aggregates:
        return section
    first = min(
        min(store.event_positions(aggregate).values(), default=drawn.through)
        for aggregate in drawn.aggregates
    )
    before = link_before(engine, first)
    after, link = before if before else (0, GENESIS)
    events: list[dict[str, Any]] = []
    others: list[list[Any]] = []
    for position, entry, _ in store.chain_steps(after=after):
        if position > max(checkpoint.position, drawn.through):
            break
        if entry is None:
            continue  # a hole in the log: the proof will not reach the checkpoint
        if entry.originator_id in drawn.aggregates and position <= drawn.through:
            events.append(
                {
                    "position": position,
                    "aggregate": str(entry.originator_id),
                    "version": entry.version,
                    "topic": entry.topic,
                    "state": base64.b64encode(entry.state).decode(),
                }
            )
        else:
            digest = hashlib.sha256(entry.state).hexdigest()
            others.append([position, str(entry.originator_id), entry.version, entry.topic, digest])
    section.update(
        after={"position": after, "link": link.hex()},
        through=drawn.through,
        events=events,
        others=others,
    )
    return section
