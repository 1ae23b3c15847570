"""Group commit: concurrent writes saved together answer exactly as writes saved one by one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment, Correct, CreateJobs, Replacement
from tracker.domain.errors import NotFound, ValidationError, VersionMismatch
from tracker.domain.project import Plan
from tracker.domain.values import Envelope, Money
from tracker.group_commit import GroupCommit
from tracker.recording import Recorded

DESK = Envelope("desk", date(2025, 2, 1))
USD = CommitInvestment(Money(Decimal("10.00"), "USD"))


@pytest.fixture
def paused(tracker: TrackerApplication) -> Iterator[GroupCommit]:
    """A committer whose writes queue up until ``start()``: they all land in one batch."""
    writes = GroupCommit(tracker, start=False)
    yield writes
    writes.close()


def new_projects(tracker: TrackerApplication, count: int) -> list[UUID]:
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 10, 22), DESK).id
    plan = Plan("Plant", "energy", ("KZ-61",), (), (), Money(Decimal("100"), "USD"), 10, None, None)
    return [tracker.announce_project(portfolio, plan, DESK).id for _ in range(count)]


def answers(futures: list[Future[Recorded]]) -> list[Recorded | BaseException]:
    return [f.exception(timeout=30) or f.result() for f in futures]


def test_queued_writes_are_one_transaction_and_each_gets_its_version_and_position(
    tracker: TrackerApplication, paused: GroupCommit
) -> None:
    a, b = new_projects(tracker, 2)
    futures = [paused.submit(p, USD, DESK) for p in (a, b, a, a, b)]
    paused.start()
    recorded = answers(futures)
    assert paused.batches == 1 and paused.writes == 5
    assert [(r.id, r.version) for r in recorded if isinstance(r, Recorded)] == [
        (a, 2),
        (b, 2),
        (a, 3),
        (a, 4),
        (b, 3),
    ]
    stored = {e.position: (e.aggregate_id, e.version) for e in tracker.recorded_events(a)}
    stored |= {e.position: (e.aggregate_id, e.version) for e in tracker.recorded_events(b)}
    assert {r.position: (r.id, r.version) for r in recorded if isinstance(r, Recorded)} == {
        p: v for p, v in stored.items() if v[1] > 1
    }
    assert tracker.project_ledger(a).figures_as_of().committed == (Money(Decimal("30.00"), "USD"),)


def test_a_refused_write_fails_alone(tracker: TrackerApplication, paused: GroupCommit) -> None:
    (project,) = new_projects(tracker, 1)
    futures = [
        paused.submit(project, USD, DESK),
        paused.submit(project, CreateJobs(0, 0), DESK),  # no jobs: refused by the domain
        paused.submit(UUID(int=7), USD, DESK),  # no such project
        paused.submit(project, USD, DESK, expected_version={1}),  # stale If-Match
        paused.submit(project, USD, DESK),
    ]
    paused.start()
    first, no_jobs, missing, stale, last = answers(futures)
    assert isinstance(no_jobs, ValidationError)
    assert isinstance(missing, NotFound)
    assert isinstance(stale, VersionMismatch)
    assert isinstance(first, Recorded) and isinstance(last, Recorded)
    assert (first.version, last.version) == (2, 3)
    assert tracker.project(project).version == 3


def test_a_correction_may_name_a_write_of_the_same_batch(
    tracker: TrackerApplication, paused: GroupCommit
) -> None:
    (project,) = new_projects(tracker, 1)
    correction = Correct(2, "typo", Replacement(amount=Money(Decimal("12.00"), "USD")))
    futures = [paused.submit(project, USD, DESK), paused.submit(project, correction, DESK)]
    paused.start()
    assert [r.version for r in answers(futures) if isinstance(r, Recorded)] == [2, 3]
    assert tracker.project_ledger(project).figures_as_of().committed == (
        Money(Decimal("12.00"), "USD"),
    )


def test_one_idempotency_key_twice_in_a_batch_records_once(
    tracker: TrackerApplication, paused: GroupCommit
) -> None:
    (project,) = new_projects(tracker, 1)
    keyed = Envelope("desk", date(2025, 2, 1), idempotency_key="k-1", command_digest="d")
    futures = [paused.submit(project, USD, keyed), paused.submit(project, USD, keyed)]
    paused.start()
    first, second = answers(futures)
    assert isinstance(first, Recorded) and isinstance(second, Recorded)
    assert (first.version, first.position) == (second.version, second.position)
    assert [first.replayed, second.replayed].count(True) == 1
    assert tracker.project(project).version == 2
    replay = GroupCommit(tracker)
    try:
        again = replay.record(project, USD, keyed)
    finally:
        replay.close()
    assert again.replayed and again.version == first.version


def test_writes_beside_another_writer_lose_nothing(tracker: TrackerApplication) -> None:
    """Another application (as another process would) writes the same projects meanwhile:
    a batch that collides is recorded again write by write."""
    projects = new_projects(tracker, 3)
    writes = GroupCommit(tracker)
    rival = TrackerApplication(tracker.settings)
    per_thread = 15

    def through_group(n: int) -> list[Recorded]:
        return [writes.record(projects[(n + i) % 3], USD, DESK) for i in range(per_thread)]

    def alone() -> list[Recorded]:
        return [rival.record(projects[i % 3], USD, DESK) for i in range(per_thread)]

    try:
        with ThreadPoolExecutor(7) as pool:
            grouped = [pool.submit(through_group, n) for n in range(6)]
            solo = pool.submit(alone)
            results = [r for f in grouped for r in f.result()] + solo.result()
    finally:
        writes.close()
        rival.close()
    assert len(results) == 7 * per_thread
    assert len({r.position for r in results}) == len(results)
    for project in projects:
        versions = sorted(r.version for r in results if r.id == project)
        assert versions == list(range(2, len(versions) + 2))
        assert tracker.project(project).version == len(versions) + 1
    assert writes.writes > writes.batches > 0  # some writes did share a transaction


def test_the_writer_keeps_the_projects_it_saved_and_brings_them_up_to_date(
    tracker: TrackerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project the writer saved is not loaded again for its next write: it is brought up to
    date with what was recorded since (here by another application, as another process
    would), and its versions stay those of the store."""
    a, b = new_projects(tracker, 2)
    writes = GroupCommit(tracker)
    rival = TrackerApplication(tracker.settings)
    loads: list[UUID] = []
    load = tracker.project
    monkeypatch.setattr(tracker, "project", lambda pid, **kw: loads.append(pid) or load(pid, **kw))
    try:
        assert writes.record(a, USD, DESK).version == 2
        assert writes.record(a, USD, DESK).version == 3  # kept: not loaded again
        assert rival.record(a, USD, DESK).version == 4
        assert writes.record(a, USD, DESK).version == 5  # kept, and caught up with the rival's
        with pytest.raises(ValidationError):
            writes.record(b, CreateJobs(0, 0), DESK)  # refused: b is not kept
        assert writes.record(b, USD, DESK).version == 2
    finally:
        writes.close()
        rival.close()
    assert loads == [a, b, b]
    assert [e.version for e in tracker.recorded_events(a)] == [1, 2, 3, 4, 5]


def test_a_batch_that_collides_keeps_none_of_its_projects(
    tracker: TrackerApplication, paused: GroupCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch the store refuses (another process wrote one of its projects first) is
    recorded write by write; its projects, as the batch left them, are not kept."""
    (project,) = new_projects(tracker, 1)
    save_many = tracker.save_many
    collisions = iter([True])

    def colliding(*args: Any, **kwargs: Any) -> Any:
        if next(collisions, False):
            raise IntegrityError("another process wrote first")
        return save_many(*args, **kwargs)

    monkeypatch.setattr(tracker, "save_many", colliding)
    futures = [paused.submit(project, USD, DESK), paused.submit(project, USD, DESK)]
    paused.start()
    assert [r.version for r in answers(futures) if isinstance(r, Recorded)] == [2, 3]
    assert paused.record(project, USD, DESK).version == 4
    assert tracker.project(project).version == 4
