"""Small builders for domain tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from tracker.domain.commands import ProjectCommand, target_version
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
    """Execute ``command``, handing a correction or retraction the event it names, found among
    the project's uncollected events (as the application finds it in the event store)."""
    version = target_version(command)
    target = next(
        (e for e in project.pending_events if e.originator_version == version and version),
        None,
    )
    project.execute(command, envelope, target=target)  # type: ignore[arg-type]


def ledger(project: Project) -> ProjectLedger:
    """The ledger of a project whose events were not collected yet."""
    return ProjectLedger.of(project.pending_events)
