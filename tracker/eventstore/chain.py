"""The hash chain over the event log: each stored event has a link that digests its content
and the link of the event before it, in the global order (notification ids).

An event's *entry* is the SHA-256 of its position, version, topic, aggregate id and the
SHA-256 of its stored state (the bytes as stored, whatever the mapper made of them); its
*link* is the SHA-256 of the previous event's link and its entry; the first event's previous
link is 32 zero bytes. (docs/integrity.md spells the bytes out.)
Changing, deleting, inserting or reordering a stored event therefore changes every link
from that point on. Snapshots are a cache and are not chained.

The recorders write each link in its event's own transaction, under the lock that gives
events their order (tracker/eventstore/recorders.py); this module is the arithmetic and the
walk that checks a stored log against its links and its signed checkpoints, free of I/O.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from uuid import UUID

from eventsourcing.persistence import StoredEvent

#: The link before the first event.
GENESIS = bytes(32)
_HEAD = struct.Struct(">QQI")


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One stored event as the chain sees it."""

    position: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes

    def digest(self) -> bytes:
        return entry_digest(self.position, self.originator_id, self.version, self.topic, self.state)

    def describe(self) -> str:
        return (
            f"event at position {self.position} "
            f"({self.originator_id} v{self.version}, {self.topic})"
        )


def entry_digest(
    position: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """The digest of one stored event's content and place."""
    return entry_of(position, originator_id, version, topic, hashlib.sha256(state).digest())


def entry_of(
    position: int, originator_id: UUID, version: int, topic: str, state_digest: bytes
) -> bytes:
    """The same from the SHA-256 of the state: an export can name another portfolio's event
    (which aggregate, which version) without showing what it says."""
    name = topic.encode()
    head = _HEAD.pack(position, version, len(name))
    return hashlib.sha256(head + originator_id.bytes + name + state_digest).digest()


def next_link(previous: bytes, entry: bytes) -> bytes:
    """The link of an event whose entry digest is ``entry``, after the link ``previous``."""
    return hashlib.sha256(previous + entry).digest()


def links_for(previous: bytes, entries: Iterable[StoredEntry]) -> list[tuple[int, bytes]]:
    """The (position, link) of new events, in position order, after the link ``previous``."""
    found = []
    for entry in sorted(entries, key=lambda e: e.position):
        previous = next_link(previous, entry.digest())
        found.append((entry.position, previous))
    return found


def links_of(
    previous: bytes, events: Sequence[StoredEvent], positions: Sequence[int]
) -> list[tuple[int, bytes]]:
    """:func:`links_for` of events just stored at ``positions`` (one each, in the same
    order), without an entry object per event: a batch of an import's events is thousands.
    The digests are :func:`entry_digest`'s and :func:`next_link`'s, spelled out here."""
    if any(a >= b for a, b in pairwise(positions)):  # not in position order
        return links_for(previous, stored_entries(events, positions))
    sha256, head = hashlib.sha256, _HEAD.pack
    found = []
    for event, position in zip(events, positions, strict=True):
        aggregate = event.originator_id
        name = event.topic.encode()
        entry = sha256(
            head(position, event.originator_version, len(name))
            + (aggregate if isinstance(aggregate, UUID) else UUID(aggregate)).bytes
            + name
            + sha256(event.state).digest()
        ).digest()
        previous = sha256(previous + entry).digest()
        found.append((position, previous))
    return found


def stored_entries(events: Sequence[StoredEvent], positions: Sequence[int]) -> list[StoredEntry]:
    """The chain's entries of events just stored at ``positions`` (one each, in order)."""
    return [
        StoredEntry(
            p,
            e.originator_id if isinstance(e.originator_id, UUID) else UUID(e.originator_id),
            e.originator_version,
            e.topic,
            e.state,
        )
        for e, p in zip(events, positions, strict=True)
    ]


@dataclass(frozen=True)
class Checkpoint:
    """The chain's link at a position, signed at a time with an Ed25519 key
    (tracker/integrity/signing.py makes and checks the signature)."""

    number: int
    position: int
    link: bytes
    #: RFC 3339, UTC, as signed.
    signed_at: str
    public_key: bytes
    signature: bytes

    def describe(self) -> str:
        if not self.number:
            return f"the checkpoint kept from a citation or an export (position {self.position})"
        return f"checkpoint #{self.number} (position {self.position}, signed {self.signed_at})"

    @classmethod
    def kept(cls, text: str) -> Checkpoint:
        """A checkpoint as a "cite this" link carries it, ``POSITION-LINK`` (number 0, no
        signature: whoever kept it vouches for it). ``ValueError`` if malformed."""
        position, _, link = text.strip().partition("-")
        digest = bytes.fromhex(link)
        if not position.isdigit() or len(digest) != 32:
            raise ValueError(f"{text!r} is not POSITION-LINK (a position and 64 hex digits)")
        return cls(0, int(position), digest, "", b"", b"")

    def citation(self) -> str:
        """The form :meth:`kept` reads."""
        return f"{self.position}-{self.link.hex()}"


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding: the position, the event (when there is one) and why."""

    position: int
    reason: str
    #: The first signed checkpoint at or after the break, which the log now contradicts.
    contradicts: Checkpoint | None = None

    def describe(self) -> str:
        said = f"position {self.position}: {self.reason}"
        if self.contradicts is not None:
            return f"{said}; this contradicts {self.contradicts.describe()}"
        return f"{said}; no signed checkpoint covers it yet"


@dataclass(frozen=True)
class Walked:
    """What a walk over the log found."""

    events: int
    head_position: int
    head_link: bytes
    checkpoints_matched: int
    broken: Break | None

    @property
    def holds(self) -> bool:
        return self.broken is None


#: One step of a walk: a position, the event stored there (if any) and its stored link (if any).
Step = tuple[int, StoredEntry | None, bytes | None]


def walk(
    steps: Iterable[Step],
    checkpoints: Iterable[Checkpoint] = (),
    *,
    start: tuple[int, bytes] = (0, GENESIS),
) -> Walked:
    """Recompute the chain over ``steps`` (in position order, after position ``start[0]``
    whose link is ``start[1]``) and compare it with the stored links and the checkpoints.

    Stops at the first break: an event whose stored link differs from the recomputed one
    (its content, place or predecessor changed), an event without a link (inserted), a link
    without an event (deleted), or a checkpoint whose digest the recomputed chain does not
    reach (the links themselves were rewritten). The break names the first checkpoint at or
    after it, which the log now contradicts.
    """
    heads = sorted((c for c in checkpoints if c.position > start[0]), key=lambda c: c.position)
    pending = iter(heads)
    due = next(pending, None)
    position, link = start
    events = matched = 0

    def broken(at: int, reason: str, contradicted: Checkpoint | None = None) -> Walked:
        if contradicted is None:
            contradicted = next((c for c in heads if c.position >= at), None)
        return Walked(events, position, link, matched, Break(at, reason, contradicted))

    for at, entry, stored in steps:
        if due is not None and due.position < at:
            return broken(
                due.position, f"{due.describe()} names an event that is not in the log", due
            )
        if entry is None:
            return broken(at, "the event was deleted (its link remains)")
        recomputed = next_link(link, entry.digest())
        if stored is None:
            return broken(at, f"{entry.describe()} has no link (inserted outside the tracker)")
        if stored != recomputed:
            return broken(
                at,
                f"{entry.describe()} does not match its link (changed, moved, or the event "
                "before it was removed)",
            )
        position, link = at, recomputed
        events += 1
        while due is not None and due.position == at:
            if due.link != link:
                return broken(
                    at,
                    f"the log's links up to here were rewritten: the chain no longer reaches "
                    f"{due.describe()}",
                    due,
                )
            matched += 1
            due = next(pending, None)
    if due is not None:
        return broken(due.position, f"{due.describe()} names an event that is not in the log", due)
    return Walked(events, position, link, matched, None)


def merge(
    entries: Iterable[StoredEntry], links: Mapping[int, bytes], upto: int | None
) -> Iterator[Step]:
    """Steps from one page of events and the links of the same positions (``upto``: the
    page's last position, links past it belong to the next page; ``None``: the last page)."""
    events = {e.position: e for e in entries}
    positions = sorted(set(events) | {p for p in links if upto is None or p <= upto})
    for position in positions:
        yield position, events.get(position), links.get(position)
