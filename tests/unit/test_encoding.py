"""Stored events round-trip through msgspec exactly, snapshots included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec
from eventsourcing.domain import Snapshot

from tests.unit.factories import announced, ledger, on, record, usd
from tracker.domain.commands import (
    ChangeStatus,
    CommitInvestment,
    Correct,
    CreateJobs,
    ReachMilestone,
    Replacement,
    Retract,
)
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.values import Money, Source
from tracker.eventstore.encoding import MsgspecMapper


def test_every_project_event_survives_the_round_trip() -> None:
    mapper = MsgspecMapper()
    project = announced()
    source = Source("Signed agreement", "https://example.org/a.pdf")
    record(
        project,
        CommitInvestment(Money(Decimal("1500000.25"), "KZT")),
        on("2024-02-01", source=source),
    )
    record(project, CreateJobs(3, 4), on("2024-02-02"))
    record(project, ReachMilestone("Groundbreaking", "first stone"), on("2024-02-03"))
    record(project, ChangeStatus("suspended", "permits"), on("2024-02-04"))
    record(
        project,
        Correct(2, "typo", Replacement(amount=usd("5"), effective_date=date(2024, 1, 30))),
        on("2024-02-05"),
    )
    record(project, Retract(3, "duplicate"), on("2024-02-06"))
    for event in project.collect_events():
        stored = mapper.to_stored_event(event)
        msgspec.json.decode(stored.state)  # readable JSON
        restored = mapper.to_domain_event(stored)
        assert type(restored) is type(event)
        assert vars(restored) == vars(event)


def test_a_snapshot_restores_typed_state() -> None:
    mapper = MsgspecMapper()
    project = announced()
    record(project, CommitInvestment(usd("10.50")), on("2024-02-01"))
    record(project, ChangeStatus("suspended"), on("2024-02-02"))
    snapshot = Snapshot.take(project)
    restored = mapper.to_domain_event(mapper.to_stored_event(snapshot))
    copy = restored.mutate(None)  # type: ignore[attr-defined]
    assert isinstance(copy, Project)
    assert (copy.corrections, copy.retracted) == (project.corrections, project.retracted)
    assert copy.plan == project.plan
    assert copy.status is project.status and copy.before_suspension is project.before_suspension
    assert copy.status_history == project.status_history


def test_portfolio_events_round_trip() -> None:
    mapper = MsgspecMapper()
    portfolio = Portfolio.establish(
        "KZ-UZ", "Samarkand forum", date(2024, 10, 22), on("2024-10-22")
    )
    portfolio.restate_targets(usd("3400000000"), 14600, 74, on("2024-10-22", source=Source("AT")))
    for event in portfolio.collect_events():
        restored = mapper.to_domain_event(mapper.to_stored_event(event))
        assert vars(restored) == vars(event)


def snapshot_length(facts: int) -> int:
    """The encoded snapshot of a project with ``facts`` keyed facts, one of them corrected
    and one retracted."""
    project = announced()
    for n in range(facts):
        envelope = on("2024-02-01", idempotency_key=f"row-{n}", command_digest=f"digest-{n}")
        record(project, CommitInvestment(usd(str(n + 1))), envelope)
    record(project, Correct(2, "typo", Replacement(amount=usd("7"))), on("2024-03-01"))
    record(project, Retract(3, "duplicate"), on("2024-03-01"))
    record(project, ChangeStatus("under_implementation"), on("2024-03-02"))
    return len(MsgspecMapper().to_stored_event(Snapshot.take(project)).state)


def test_a_snapshot_does_not_grow_with_the_number_of_facts() -> None:
    small, large = snapshot_length(10), snapshot_length(500)
    # Only the version digits may differ (the timestamps have a fixed width).
    assert abs(large - small) <= 4, (small, large)
    assert large < 2000


def test_a_snapshot_keeps_what_corrections_did() -> None:
    mapper = MsgspecMapper()
    project = announced()
    record(project, CommitInvestment(usd("10")), on("2024-02-01"))
    record(project, CreateJobs(3, 4), on("2024-02-02"))
    record(project, Correct(2, "typo", Replacement(amount=usd("12"))), on("2024-02-03"))
    record(project, Retract(3, "duplicate"), on("2024-02-04"))
    copy = mapper.to_domain_event(mapper.to_stored_event(Snapshot.take(project))).mutate(None)  # type: ignore[attr-defined]
    assert (copy.corrections, copy.retracted) == ({2: (4,)}, {3: 5})
    assert ledger(project).facts[2].amount == usd("12")


def test_a_snapshot_keeps_a_few_integers_per_corrected_or_retracted_fact() -> None:
    """300 corrections and retractions spread over 200 facts (some corrected twice, some
    corrected then retracted) leave a few bytes each in the snapshot: versions, not values."""
    project = announced()
    for n in range(200):
        record(project, CommitInvestment(usd(str(n + 1))), on("2024-02-01"))
    for n in range(200):
        replacement = Replacement(amount=usd(f"{1000 + n}.25"), effective_date=date(2024, 1, 31))
        version = 2 + (n * 7) % 150
        record(project, Correct(version, "a long reason " * 20, replacement), on("2024-03-01"))
    for version in range(102, 202):
        record(project, Retract(version, "a long reason " * 20), on("2024-03-02"))
    assert project.version == 1 + 200 + 300
    mapper = MsgspecMapper()
    stored = mapper.to_stored_event(Snapshot.take(project))
    assert len(stored.state) < 4000, len(stored.state)
    restored = mapper.to_domain_event(stored).mutate(None)  # type: ignore[attr-defined]
    assert (restored.corrections, restored.retracted) == (project.corrections, project.retracted)
    assert ledger(project).facts[2].amount == usd("1150.25")
