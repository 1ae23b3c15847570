"""Group commit: concurrent writes saved together answer exactly as writes saved one by one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

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
