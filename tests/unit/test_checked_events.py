"""An import keeps the events its check made in their stored form, the recording time cut
out, and stamps them when they are recorded: the bytes saved must be those the mapper
would have made of the event recorded at that time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent

from tests.unit.factories import announced, on, record
from tracker.domain.commands import CommitInvestment, CreateJobs
from tracker.domain.values import Money, Source
from tracker.eventstore.encoding import MsgspecMapper
from tracker.transfer.checked_events import CheckedEvents

AT = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def made_events() -> list[Any]:
    project = announced()
    source = Source('A "quoted" title, "timestamp":"x"', "https://example.org/a.pdf")
    record(
        project, CommitInvestment(Money(Decimal("10.50"), "USD")), on("2024-02-01", source=source)
    )
    record(
        project, CreateJobs(3, 4), on("2024-02-02", idempotency_key="import:j", command_digest="d")
    )
    return list(project.collect_events())


def kept_and_stamped(mapper: Mapper[Any], events: list[Any]) -> list[StoredEvent]:
    kept = CheckedEvents(mapper)
    try:
        for line, event in enumerate(events, start=2):
            kept.add(line, [event])
        batches = list(kept.batches(2))
        assert [len(b) for b in batches] == [2, 1]
        return [stored for batch in batches for _, stored in kept.stamped(batch, AT)]
    finally:
        kept.close()


def as_recorded_at(mapper: Mapper[Any], event: Any, at: datetime) -> StoredEvent:
    """What the mapper makes of ``event`` had it been made at ``at``."""
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", {**vars(event), "timestamp": at})
    return mapper.to_stored_event(copy)


def same_but_the_time(restored: Any, event: Any) -> bool:
    return {k: v for k, v in vars(restored).items() if k != "timestamp"} == {
        k: v for k, v in vars(event).items() if k != "timestamp"
    }


def test_kept_events_are_saved_as_the_mapper_encodes_them_at_the_recording_time() -> None:
    mapper = MsgspecMapper()
    events = made_events()
    saved = kept_and_stamped(mapper, events)
    for event, stored in zip(events, saved, strict=True):
        expected = as_recorded_at(mapper, event, AT)
        assert (stored.originator_id, stored.originator_version, stored.topic) == (
            expected.originator_id,
            expected.originator_version,
            expected.topic,
        )
        assert stored.state == expected.state
        restored = mapper.to_domain_event(stored)
        assert restored.timestamp == AT
        assert same_but_the_time(restored, event)
    # what the receipts are written from
    assert [(s.idempotency_key, s.command_digest) for s in saved] == [  # type: ignore[attr-defined]
        (e.idempotency_key, e.command_digest) for e in events
    ]


class Reversing:
    """A stand-in cipher: the stored bytes are not the JSON itself."""

    def encrypt(self, data: bytes) -> bytes:
        return data[::-1]

    def decrypt(self, data: bytes) -> bytes:
        return data[::-1]


def test_encrypted_events_are_decoded_and_stamped_again() -> None:
    mapper = MsgspecMapper(cipher=Reversing())
    events = made_events()
    saved = kept_and_stamped(mapper, events)
    for event, stored in zip(events, saved, strict=True):
        assert stored.state.startswith(b"}")  # what the cipher made
        restored = mapper.to_domain_event(stored)
        assert restored.timestamp == AT
        assert same_but_the_time(restored, event)


def test_a_simulated_event_keeps_its_time() -> None:
    mapper = MsgspecMapper()
    project = announced()
    then = datetime(2024, 3, 1, 12, tzinfo=UTC)
    record(project, CreateJobs(1, 0), replace(on("2024-02-02"), simulated_at=then))
    events = [e for e in project.collect_events() if e.simulated]
    assert events
    kept = CheckedEvents(mapper)
    try:
        kept.add(2, events)
        (batch,) = kept.batches(10)
        ((_, stored),) = kept.stamped(batch, AT)
    finally:
        kept.close()
    assert stored.state == mapper.to_stored_event(events[0]).state
    assert mapper.to_domain_event(stored).timestamp == then


def test_events_kept_in_memory_or_in_the_file_are_recorded_the_same() -> None:
    """Kept in memory up to a bound, and past it all in the temporary file: the batches
    and the bytes stamped are the same either way."""
    mapper = MsgspecMapper()
    events = made_events()

    def kept(in_memory: int | None) -> tuple[bool, list[list[Any]]]:
        checked = CheckedEvents(mapper, in_memory=in_memory)
        try:
            for line, event in enumerate(events, start=2):
                checked.add(line, [event])
                checked.flush()  # once per window of rows, as the check does
            batches = [checked.stamped(batch, AT) for batch in checked.batches(2)]
            return checked.in_file, batches
        finally:
            checked.close()

    in_memory, expected = kept(None)
    assert not in_memory
    assert [len(batch) for batch in expected] == [2, 1]
    for bound in (0, 1, 2):  # in the file from the start, or spilled there on the way
        in_file, found = kept(bound)
        assert in_file
        assert found == expected
    assert kept(len(events)) == (False, expected)


def test_a_remainder_of_at_most_a_tenth_of_a_batch_joins_the_last_batch() -> None:
    """5,002 events in batches of 5,000 are one transaction, not a second for two events;
    a larger remainder is a batch of its own, and every event is in one batch, in order."""
    mapper = MsgspecMapper()
    event = made_events()[0]

    def sizes(events: int, size: int, in_memory: int | None = None) -> list[int]:
        kept = CheckedEvents(mapper, in_memory=in_memory)
        try:
            for line in range(events):
                kept.add(line, [event])
            batches = list(kept.batches(size))
            assert [line for batch in batches for line, *_ in batch] == list(range(events))
            return [len(batch) for batch in batches]
        finally:
            kept.close()

    assert sizes(22, 20) == [22]
    assert sizes(23, 20) == [20, 3]
    assert sizes(42, 20) == [20, 22]
    assert sizes(42, 20, in_memory=5) == [20, 22]
    assert sizes(40, 20) == [20, 20]
    assert sizes(7, 5) == [5, 2]  # under ten events a batch, no remainder joins
    assert sizes(3, 1) == [1, 1, 1]
    assert sizes(0, 20) == []
