"""Small builders for domain tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from uuid import uuid4

from tracker.domain.commands import ProjectCommand
from tracker.domain.ledger import ProjectLedger
from tracker.domain.project import Plan, Project
from tracker.domain.values import Envelope, Money


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def on(day: str, **kwargs: object) -> Envelope:
    return Envelope("desk", date.fromisoformat(day), **kwargs)  # type: ignore[arg-type]


def plan(**overrides: object) -> Plan:
    values: dict[str, object] = {
        "title": "Copper cathode plant",
        "sector": "metallurgy",
        "regions": ("KZ-61", "UZ-SI"),
        "countries": (),
        "parties": ("KazInvest",),
        "planned_investment": usd("1000000"),
        "planned_jobs": 200,
        "planned_start": None,
        "planned_end": None,
    }
    values.update(overrides)
    return Plan(**values)  # type: ignore[arg-type]


def announced(**overrides: object) -> Project:
    return Project.announce(uuid4(), plan(**overrides), on("2024-01-10"))


def record(project: Project, command: ProjectCommand, envelope: Envelope) -> None:
    """Execute ``command``, handing a correction or retraction the events it needs (the event
    it names and the corrections made to that event), found among the project's uncollected
    events as the application finds them in the event store."""
    project.execute(command, envelope, events=unsaved(project, project.needs(command)))


def unsaved(project: Project, versions: Iterable[int]) -> dict[int, Project.Event]:
    """Those of the project's uncollected events whose versions are listed."""
    wanted = set(versions)
    return {
        e.originator_version: e
        for e in project.pending_events
        if e.originator_version in wanted and isinstance(e, Project.Event)
    }


def ledger(project: Project) -> ProjectLedger:
    """The ledger of a project whose events were not collected yet."""
    return ProjectLedger.of(project.pending_events)
