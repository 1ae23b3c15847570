"""Stored events round-trip through msgspec exactly, snapshots included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec
from eventsourcing.domain import Snapshot

from tests.unit.factories import announced, on, usd
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
from tracker.encoding import MsgspecMapper


def test_every_project_event_survives_the_round_trip() -> None:
    mapper = MsgspecMapper()
    project = announced()
    source = Source("Signed agreement", "https://example.org/a.pdf")
    project.execute(
        CommitInvestment(Money(Decimal("1500000.25"), "KZT")), on("2024-02-01", source=source)
    )
    project.execute(CreateJobs(3, 4), on("2024-02-02"))
    project.execute(ReachMilestone("Groundbreaking", "first stone"), on("2024-02-03"))
    project.execute(ChangeStatus("suspended", "permits"), on("2024-02-04"))
    project.execute(
        Correct(2, "typo", Replacement(amount=usd("5"), effective_date=date(2024, 1, 30))),
        on("2024-02-05"),
    )
    project.execute(Retract(3, "duplicate"), on("2024-02-06"))
    for event in project.collect_events():
        stored = mapper.to_stored_event(event)
        msgspec.json.decode(stored.state)  # readable JSON
        restored = mapper.to_domain_event(stored)
        assert type(restored) is type(event)
        assert vars(restored) == vars(event)


def test_a_snapshot_restores_typed_state() -> None:
    mapper = MsgspecMapper()
    project = announced()
    project.execute(CommitInvestment(usd("10.50")), on("2024-02-01"))
    project.execute(ChangeStatus("suspended"), on("2024-02-02"))
    snapshot = Snapshot.take(project)
    restored = mapper.to_domain_event(mapper.to_stored_event(snapshot))
    copy = restored.mutate(None)  # type: ignore[attr-defined]
    assert isinstance(copy, Project)
    assert copy.facts == project.facts
    assert copy.plan == project.plan
    assert copy.status is project.status and copy.before_suspension is project.before_suspension
    assert copy.figures_as_of() == project.figures_as_of()


def test_portfolio_events_round_trip() -> None:
    mapper = MsgspecMapper()
    portfolio = Portfolio.establish(
        "KZ-UZ", "Samarkand forum", date(2024, 10, 22), on("2024-10-22")
    )
    portfolio.restate_targets(usd("3400000000"), 14600, 74, on("2024-10-22", source=Source("AT")))
    for event in portfolio.collect_events():
        restored = mapper.to_domain_event(mapper.to_stored_event(event))
        assert vars(restored) == vars(event)
