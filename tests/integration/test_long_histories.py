"""A long history: loads stay bounded, and what the aggregate no longer keeps is still right.

The aggregate's snapshot holds no facts and no idempotency keys; corrections load the event
they name from the store, and keys are answered from receipts written with their events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment, Correct, DisburseFunds, Replacement, Retract
from tracker.domain.errors import Conflict, IdempotencyKeyReused, ValidationError
from tracker.domain.project import Plan
from tracker.domain.values import Envelope, Money
from tracker.settings import Settings

HISTORY = 64  # past several snapshots (every 5 events in the tests)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def keyed(n: int, digest: str | None = None) -> Envelope:
    return Envelope(
        "desk", date(2025, 2, 1), idempotency_key=f"key-{n}", command_digest=digest or f"d-{n}"
    )


@pytest.fixture
def tracker(settings: Settings) -> Iterator[TrackerApplication]:
    app = TrackerApplication(settings)
    yield app
    app.close()


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
