"""Checking a JSON export offline, with nothing but the file and the signer's public key.

1. The checkpoint the export names is signed by the given key.
2. The events the export carries in full, with the digests of the log's other events between
   them, make a chain that reaches the checkpoint's signed link: they are the log's events,
   byte for byte, in their places.
3. Each aggregate the export drew on is whole in it (none of its events up to the position
   the export read is hidden among the digests).
4. Folding those events again with the tracker's own rules gives the whole file, every figure
   included: nothing in it was edited after it was made.

What it cannot show: that an aggregate the export left out entirely (a project removed from
the file with all its events) belonged to the portfolio — the chain does not say which
portfolio an event it does not show belongs to. docs/integrity.md says more.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from tracker.domain.document import Document
from tracker.domain.errors import TrackerError
from tracker.domain.indicator import Indicator
from tracker.domain.project import Project
from tracker.eventstore.chain import Checkpoint, entry_digest, entry_of, next_link
from tracker.eventstore.encoding import MsgspecMapper
from tracker.history import RecordedEvent, marked
from tracker.integrity.signing import SigningKeyError, checkpoint_from, key_id, signature_holds
from tracker.transfer.export_json import to_json
from tracker.transfer.portfolio_export import ExportQuery, Members, assemble

#: Differences listed before the rest are only counted.
SHOWN = 5


@dataclass
class ExportVerdict:
    """What checking an export found."""

    checkpoint: Checkpoint | None = None
    events: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.checkpoint is not None and not self.problems


class _Malformed(ValueError):
    pass


@dataclass
class SignedEvents:
    """The export's own events, read as the application reads the event store."""

    by_aggregate: dict[UUID, list[Any]]
    positions: dict[UUID, dict[int, int]]

    def recorded_events(
        self, aggregate_id: UUID, *, known_at: datetime | None = None
    ) -> list[RecordedEvent]:
        events = [
            e
            for e in self.by_aggregate.get(aggregate_id, [])
            if known_at is None or e.timestamp <= known_at
        ]
        return marked(events, self.positions[aggregate_id]) if events else []

    def members(self) -> Members:
        firsts = {aggregate: events[0] for aggregate, events in self.by_aggregate.items()}
        order = sorted(firsts, key=lambda a: min(self.positions[a].values()))

        def of(kind: type) -> list[str]:
            return [str(a) for a in order if isinstance(firsts[a], kind)]

        return Members(of(Project.Announced), of(Document.Signed), of(Indicator.Defined))


def verify_export(content: bytes, public_keys: Collection[bytes]) -> ExportVerdict:
    """Check a JSON export against the public keys its checkpoint may be signed with."""
    verdict = ExportVerdict()
    try:
        document = msgspec.json.decode(content)
        if not isinstance(document, dict):
            raise _Malformed("the file is not a JSON object")
        integrity = document.pop("integrity", None)
        if not isinstance(integrity, dict) or integrity.get("checkpoint") is None:
            raise _Malformed(
                "the file carries no signed checkpoint (made before any was signed, or not a "
                "JSON export of the tracker)"
            )
        checkpoint = checkpoint_from(integrity["checkpoint"])
        if checkpoint.public_key not in public_keys:
            raise _Malformed(
                f"the checkpoint is signed by key {key_id(checkpoint.public_key)}, not by the "
                "public key given"
            )
        if not signature_holds(checkpoint):
            raise _Malformed(f"the signature of {checkpoint.describe()} does not hold")
        verdict.checkpoint = checkpoint
        stored = _chain_reaches(integrity, checkpoint, verdict)
        verdict.events = len(stored)
        signed = _decoded(stored)
        _differences_from_refold(document, signed, verdict)
    except (_Malformed, SigningKeyError) as error:
        verdict.problems.append(str(error))
    except (msgspec.DecodeError, KeyError, TypeError, ValueError, TrackerError) as error:
        verdict.problems.append(f"the file is not an export this tracker made: {error}")
    return verdict


def _chain_reaches(
    integrity: dict[str, Any], checkpoint: Checkpoint, verdict: ExportVerdict
) -> list[tuple[int, StoredEvent]]:
    """Recompute the chain from the file; the stored events it carries in full, by position."""
    after = int(integrity["after"]["position"])
    link = bytes.fromhex(integrity["after"]["link"])
    through = int(integrity["through"])
    full: dict[int, StoredEvent] = {}
    steps: dict[int, bytes] = {}
    hidden: dict[UUID, list[int]] = defaultdict(list)
    for item in integrity["events"]:
        position, aggregate = int(item["position"]), UUID(item["aggregate"])
        event = StoredEvent(
            aggregate, int(item["version"]), str(item["topic"]), _b64(item["state"])
        )
        full[position] = event
        steps[position] = entry_digest(
            position, aggregate, event.originator_version, event.topic, event.state
        )
    beyond: dict[UUID, list[int]] = defaultdict(list)
    for position, aggregate, version, topic, state_digest in integrity["others"]:
        steps[int(position)] = entry_of(
            int(position), UUID(aggregate), int(version), str(topic), bytes.fromhex(state_digest)
        )
        (hidden if int(position) <= through else beyond)[UUID(aggregate)].append(int(position))
    for position in sorted(steps):
        if position <= after:
            raise _Malformed(f"the proof lists position {position}, not after {after}")
        if position > checkpoint.position:
            break
        link = next_link(link, steps[position])
    if link != checkpoint.link:
        raise _Malformed(
            f"the events in the file do not chain up to {checkpoint.describe()}: an event "
            "in it was changed, added, removed or moved"
        )
    unsigned = sorted(p for p in full if p > checkpoint.position)
    if unsigned:
        raise _Malformed(
            f"{len(unsigned)} events of the file (positions {unsigned[0]}…{unsigned[-1]}) are "
            f"newer than {checkpoint.describe()}: sign a checkpoint and export again"
        )
    shown = {UUID(str(event.originator_id)) for event in full.values()}
    for aggregate in sorted(shown & set(hidden), key=str):
        raise _Malformed(
            f"the file leaves out events of {aggregate} that it drew on (positions "
            f"{', '.join(map(str, hidden[aggregate]))})"
        )
    later = sorted(p for aggregate in shown & set(beyond) for p in beyond[aggregate])
    if later:
        verdict.notes.append(
            f"{len(later)} later events of the aggregates in this file (positions "
            f"{later[0]}…{later[-1]}) are not in it: the file claims the log only up to "
            f"position {through}, where the export read it"
        )
    return sorted(full.items())


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise _Malformed(f"a stored state is not base64: {error}") from None


def _decoded(stored: list[tuple[int, StoredEvent]]) -> SignedEvents:
    mapper = MsgspecMapper()
    by_aggregate: dict[UUID, list[Any]] = defaultdict(list)
    positions: dict[UUID, dict[int, int]] = defaultdict(dict)
    # ``stored`` is in position order; an aggregate's versions come in that order too.
    for position, event in stored:
        aggregate = UUID(str(event.originator_id))
        by_aggregate[aggregate].append(mapper.to_domain_event(event))
        positions[aggregate][event.originator_version] = position
    return SignedEvents(dict(by_aggregate), dict(positions))


def _differences_from_refold(
    document: dict[str, Any], signed: SignedEvents, verdict: ExportVerdict
) -> None:
    portfolio = document["portfolio"]
    query = ExportQuery(
        UUID(portfolio["id"]),
        date.fromisoformat(document["as_of"]) if document.get("as_of") else None,
        datetime.fromisoformat(document["known_at"]) if document.get("known_at") else None,
    )
    generated_at = datetime.fromisoformat(document["generated_at"])
    expected = msgspec.json.decode(to_json(assemble(signed, query, signed.members(), generated_at)))
    found = list(_differences(expected, document, ""))
    for path, wanted, given in found[:SHOWN]:
        verdict.problems.append(
            f"{path or 'the file'}: the file says {given!r}, its signed events give {wanted!r}"
        )
    if len(found) > SHOWN:
        verdict.problems.append(f"… and {len(found) - SHOWN} more differences")


_ABSENT = object()


def _differences(expected: Any, given: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(expected, dict) and isinstance(given, dict):
        for key in sorted(set(expected) | set(given)):
            yield from _differences(
                expected.get(key, _ABSENT), given.get(key, _ABSENT), f"{path}.{key}".lstrip(".")
            )
    elif isinstance(expected, list) and isinstance(given, list):
        if len(expected) != len(given):
            yield path, f"{len(expected)} items", f"{len(given)} items"
        for index, (wanted, had) in enumerate(zip(expected, given, strict=False)):
            yield from _differences(wanted, had, f"{path}[{index}]")
    elif expected != given or type(expected) is not type(given):
        yield (
            path,
            "(nothing)" if expected is _ABSENT else expected,
            "(nothing)" if given is _ABSENT else given,
        )
