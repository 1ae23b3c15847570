"""Many writers on one project: no lost update, versions contiguous, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment, ReachMilestone
from tracker.domain.errors import VersionMismatch
from tracker.domain.project import Plan
from tracker.domain.values import Envelope, Money
from tracker.recording import Recorded

WRITERS = 8
WRITES_EACH = 12


def new_project(tracker: TrackerApplication) -> UUID:
    desk = Envelope("desk", date(2025, 1, 1))
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 10, 22), desk)
    plan = Plan("Plant", "energy", ("KZ-61",), (), (), Money(Decimal("100"), "USD"), 10, None, None)
    return tracker.announce_project(portfolio.id, plan, desk).id


def write_from_eight_threads(tracker: TrackerApplication, project_id: UUID) -> list[Recorded]:
    """``WRITES_EACH`` commitments from each of ``WRITERS`` threads at once."""

    def write(writer: int) -> list[Recorded]:
        envelope = Envelope(f"writer-{writer}", date(2025, 2, 1))
        return [
            tracker.record(project_id, CommitInvestment(Money(Decimal("1.25"), "USD")), envelope)
            for _ in range(WRITES_EACH)
        ]

    with ThreadPoolExecutor(WRITERS) as pool:
        return [r for batch in pool.map(write, range(WRITERS)) for r in batch]


def test_eight_threads_on_one_project_lose_nothing(tracker: TrackerApplication) -> None:
    project_id = new_project(tracker)
    results = write_from_eight_threads(tracker, project_id)

    total = WRITERS * WRITES_EACH
    assert sorted(r.version for r in results) == list(range(2, total + 2))
    assert len({r.position for r in results}) == total
    history = tracker.project_history(project_id)
    assert [e.event.originator_version for e in history] == list(range(1, total + 2))
    assert tracker.project_ledger(project_id).figures_as_of().committed == (
        Money(Decimal("1.25") * total, "USD"),
    )


def test_writers_in_one_process_take_turns_instead_of_colliding(
    tracker: TrackerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found 2026-12-03: eight threads writing to one project on PostgreSQL collided so often
    that one of them spent all its attempts and the write failed (ConcurrentWrite). Writers
    of one aggregate in one process wait for each other's turn instead: none of their saves
    meets another's version, so none is retried (other processes still may be)."""
    project_id = new_project(tracker)
    collided: list[UUID] = []
    save = tracker.save

    def counted(*objs: Any, **kwargs: Any) -> Any:
        try:
            return save(*objs, **kwargs)
        except IntegrityError:
            collided.append(project_id)
            raise

    monkeypatch.setattr(tracker, "save", counted)
    results = write_from_eight_threads(tracker, project_id)
    assert len(results) == WRITERS * WRITES_EACH
    assert collided == []


def test_racing_writers_with_if_match_one_wins_the_others_get_a_mismatch(
    tracker: TrackerApplication,
) -> None:
    project_id = new_project(tracker)

    def write(writer: int) -> str:
        try:
            tracker.record(
                project_id,
                ReachMilestone(f"milestone {writer}"),
                Envelope(f"writer-{writer}", date(2025, 2, 1)),
                expected_version={1},
            )
        except VersionMismatch:
            return "mismatch"
        return "written"

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(write, range(WRITERS)))
    assert outcomes.count("written") == 1
    assert outcomes.count("mismatch") == WRITERS - 1
    assert tracker.project(project_id).version == 2


def test_concurrent_retries_of_one_idempotent_request_record_it_once(
    tracker: TrackerApplication,
) -> None:
    project_id = new_project(tracker)
    envelope = Envelope(
        "desk", date(2025, 2, 1), idempotency_key="same-request", command_digest="d"
    )

    def write(_: int) -> Recorded:
        return tracker.record(project_id, CommitInvestment(Money(Decimal("5"), "USD")), envelope)

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(write, range(WRITERS)))
    assert {(r.version, r.position) for r in results} == {(results[0].version, results[0].position)}
    assert tracker.project(project_id).version == 2


def test_snapshots_do_not_change_what_is_read(tracker: TrackerApplication) -> None:
    project_id = new_project(tracker)
    envelope = Envelope("desk", date(2025, 2, 1))
    for _ in range(3 * tracker.settings.snapshot_interval + 1):
        tracker.record(project_id, CommitInvestment(Money(Decimal("2"), "KZT")), envelope)
    assert tracker.snapshots is not None
    assert list(tracker.snapshots.get(project_id)), "snapshots were taken"
    from_snapshot = tracker.project(project_id)
    folded = tracker.project(project_id, known_at=from_snapshot.modified_on)
    assert from_snapshot.version == folded.version
    assert from_snapshot.corrections == folded.corrections
    assert from_snapshot.retracted == folded.retracted
    assert from_snapshot.status_history == folded.status_history
    assert from_snapshot.plan == folded.plan


def test_saves_held_to_the_end_are_told_once_and_other_threads_saves_as_usual(
    tracker: TrackerApplication,
) -> None:
    """The demo's loader records a thousand commands and reads nothing back meanwhile: its
    saves are told to the read model once, at the end, with the last position."""
    project_id = new_project(tracker)
    told: list[int] = []
    tracker.after_save.append(told.append)
    usd = CommitInvestment(Money(Decimal("1"), "USD"))
    with tracker.saves_told_at_the_end():
        held = [tracker.record(project_id, usd, Envelope("loader", date(2025, 2, 1)))]
        held.append(tracker.record(project_id, usd, Envelope("loader", date(2025, 2, 2))))
        with ThreadPoolExecutor(1) as pool:
            other = pool.submit(
                tracker.record, project_id, usd, Envelope("desk", date(2025, 2, 3))
            ).result()
        assert told == [other.position]
        held.append(tracker.record(project_id, usd, Envelope("loader", date(2025, 2, 4))))
    assert told == [other.position, held[-1].position]
    tracker.record(project_id, usd, Envelope("loader", date(2025, 2, 5)))
    assert len(told) == 3
