"""A long history: loads stay bounded, and what the aggregate no longer keeps is still right.

The aggregate's snapshot holds no facts and no idempotency keys, only the versions of the
corrections and retractions of each fact they touched; a correction or retraction loads the
event it names and those corrections from the store, and keys are answered from receipts
written with their events.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from tracker.application import TrackerApplication
from tracker.domain.commands import (
    CommitInvestment,
    Correct,
    CreateJobs,
    DisburseFunds,
    Replacement,
    Retract,
)
from tracker.domain.errors import Conflict, IdempotencyKeyReused, ValidationError
from tracker.domain.project import Plan
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.settings import Settings

HISTORY = 64  # past several snapshots (every 5 events in the tests)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def keyed(n: int, digest: str | None = None) -> Envelope:
    return Envelope(
        "desk", date(2025, 2, 1), idempotency_key=f"key-{n}", command_digest=digest or f"d-{n}"
    )


@pytest.fixture
def long_project(tracker: TrackerApplication) -> UUID:
    """A project of ``HISTORY`` + 1 events, each fact recorded under its own key."""
    desk = Envelope("desk", date(2025, 1, 1))
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 10, 22), desk)
    plan = Plan("Plant", "energy", ("KZ-61",), (), (), usd("100"), 10, None, None)
    project_id = tracker.announce_project(portfolio.id, plan, desk).id
    for n in range(HISTORY):
        tracker.record(project_id, CommitInvestment(usd(str(n + 1))), keyed(n))
    assert tracker.project(project_id).version == HISTORY + 1
    assert tracker.snapshots is not None and list(tracker.snapshots.get(project_id))
    return project_id


def test_an_idempotent_retry_past_many_snapshots_replays(
    tracker: TrackerApplication, long_project: UUID
) -> None:
    first = tracker.record(long_project, CommitInvestment(usd("1")), keyed(0))
    assert first.replayed and first.version == 2
    assert first.position == tracker.project_history(long_project)[1].position
    with pytest.raises(IdempotencyKeyReused):
        tracker.record(long_project, CommitInvestment(usd("1")), keyed(0, digest="other"))
    assert tracker.project(long_project).version == HISTORY + 1


def test_a_fact_far_back_in_a_long_history_can_be_corrected_and_retracted(
    tracker: TrackerApplication, long_project: UUID
) -> None:
    correction = Correct(3, "typo", Replacement(amount=usd("200")))
    corrected = tracker.record(long_project, correction, Envelope("desk", date(2025, 3, 1)))
    again = Correct(3, "the contract says so", Replacement(effective_date=date(2025, 1, 15)))
    tracker.record(long_project, again, Envelope("desk", date(2025, 3, 2)))
    tracker.record(long_project, Retract(4, "duplicate"), Envelope("desk", date(2025, 3, 3)))

    ledger = tracker.project_ledger(long_project)
    fact = ledger.facts[3]
    assert (fact.amount, fact.effective_date) == (usd("200"), date(2025, 1, 15))
    assert fact.corrected_by == [corrected.version, corrected.version + 1]
    expected = sum(range(1, HISTORY + 1)) - 2 + 200 - 3
    assert ledger.figures_as_of().committed == (usd(str(expected)),)
    assert ledger.figures_as_of(date(2025, 1, 31)).committed == (usd("200"),)

    # The rules still see what happened to each fact, however far back.
    with pytest.raises(Conflict, match="retracted by event"):
        tracker.record(long_project, Retract(4, "again"), Envelope("desk", date(2025, 3, 4)))
    with pytest.raises(ValidationError) as caught:
        tracker.record(
            long_project, Retract(70, "a correction"), Envelope("desk", date(2025, 3, 4))
        )
    assert caught.value.field == "retracts"
    with pytest.raises(ValidationError) as caught:
        tracker.record(long_project, Retract(999, "none"), Envelope("desk", date(2025, 3, 4)))
    assert caught.value.field == "retracts"


def test_a_correction_far_back_is_checked_against_what_earlier_corrections_left(
    tracker: TrackerApplication, long_project: UUID
) -> None:
    desk = Envelope("desk", date(2025, 3, 1))
    jobs = tracker.record(long_project, CreateJobs(3, 0), desk).version
    seasonal = Correct(jobs, "seasonal", Replacement(permanent=0, temporary=5))
    first = tracker.record(long_project, seasonal, desk).version
    for _ in range(2 * tracker.settings.snapshot_interval):  # past more snapshots
        tracker.record(long_project, DisburseFunds(usd("1")), desk)
    with pytest.raises(ValidationError, match="at least one permanent or temporary job"):
        tracker.record(long_project, Correct(jobs, "none", Replacement(temporary=0)), desk)
    second = tracker.record(long_project, Correct(jobs, "fewer", Replacement(temporary=2)), desk)

    project = tracker.project(long_project)
    assert project.corrections == {jobs: (first, second.version)}
    handed = tracker.events_at(project, project.history_of(jobs))
    assert sorted(handed) == [jobs, first, second.version]
    fact = tracker.project_ledger(long_project).facts[jobs]
    assert (fact.permanent, fact.temporary, fact.corrected_by) == (0, 2, [first, second.version])


def test_a_receipt_exists_only_with_its_event(
    tracker: TrackerApplication, long_project: UUID
) -> None:
    stale = tracker.project(long_project)
    stale.execute(DisburseFunds(usd("5")), keyed(500))
    tracker.record(long_project, DisburseFunds(usd("6")), Envelope("desk", date(2025, 2, 2)))
    with pytest.raises(IntegrityError):
        tracker.save(stale)  # its version was taken meanwhile: nothing of it is kept
    assert tracker.command_records(long_project, ["key-500"]) == {}

    retried = tracker.record(long_project, DisburseFunds(usd("5")), keyed(500))
    assert not retried.replayed
    assert tracker.command_records(long_project, ["key-500"])["key-500"].version == (
        retried.version
    )


def test_a_second_receipt_for_a_key_fails_the_whole_transaction(
    tracker: TrackerApplication, long_project: UUID
) -> None:
    project = tracker.project(long_project)
    project.execute(CommitInvestment(usd("9")), keyed(1))  # key-1 was recorded long ago
    with pytest.raises(IntegrityError):
        tracker.save(project)
    assert tracker.project(long_project).version == HISTORY + 1
    assert tracker.command_records(long_project, ["key-1"])["key-1"].version == 3


def test_migration_0006_drops_the_snapshots_that_kept_values(blank_settings: Settings) -> None:
    """Snapshots are a cache: those of the old shape go, and the project loads from events."""
    upgrade(blank_settings, "0005")
    app = TrackerApplication(blank_settings)
    app.store.chained = False  # as the code before revision 0013 wrote
    try:
        desk = Envelope("desk", date(2025, 1, 1))
        portfolio = app.establish_portfolio("P", "F", date(2024, 10, 22), desk)
        plan = Plan("Plant", "energy", ("KZ-61",), (), (), usd("100"), 10, None, None)
        project_id = app.announce_project(portfolio.id, plan, desk).id
        app.record(project_id, CommitInvestment(usd("5")), desk)
        assert app.snapshots is not None
        old_shape = b'{"topic":"tracker:Project","state":{"amended":{"2":{}}}}'
        app.snapshots.recorder.insert_events(
            [StoredEvent(project_id, 2, "eventsourcing.domain:Snapshot", old_shape)]
        )
    finally:
        app.close()

    upgrade(blank_settings)

    app = TrackerApplication(blank_settings)
    try:
        assert app.snapshots is not None
        assert list(app.snapshots.recorder.select_events(project_id)) == []
        assert app.project(project_id).version == 2
    finally:
        app.close()
