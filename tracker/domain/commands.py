"""Commands a recorder can give a project after announcing it (one per event type)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from tracker.domain.values import Money


@dataclass(frozen=True)
class CommitInvestment:
    amount: Money


@dataclass(frozen=True)
class DisburseFunds:
    amount: Money


@dataclass(frozen=True)
class CreateJobs:
    permanent: int = 0
    temporary: int = 0


@dataclass(frozen=True)
class ReachMilestone:
    name: str
    description: str | None = None


@dataclass(frozen=True)
class ChangeStatus:
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class Complete:
    reason: str | None = None


@dataclass(frozen=True)
class Cancel:
    reason: str


@dataclass(frozen=True)
class TranslateTitle:
    """Give the project's title in a reader's language (the title as entered stays)."""

    language: str
    title: str


@dataclass(frozen=True)
class Replacement:
    """The values a correction puts in place of the corrected event's; ``None`` keeps one."""

    amount: Money | None = None
    effective_date: date | None = None
    permanent: int | None = None
    temporary: int | None = None
    name: str | None = None
    title: str | None = None
    sector: str | None = None
    regions: tuple[str, ...] | None = None
    countries: tuple[str, ...] | None = None
    parties: tuple[str, ...] | None = None
    planned_investment: Money | None = None
    planned_jobs: int | None = None
    planned_start: date | None = None
    planned_end: date | None = None

    def given(self) -> dict[str, Any]:
        """The replaced values only."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


@dataclass(frozen=True)
class Correct:
    corrects: int
    reason: str
    replacement: Replacement


@dataclass(frozen=True)
class Retract:
    retracts: int
    reason: str


ProjectCommand = (
    CommitInvestment
    | DisburseFunds
    | CreateJobs
    | ReachMilestone
    | ChangeStatus
    | Complete
    | Cancel
    | TranslateTitle
    | Correct
    | Retract
)


def target_version(command: ProjectCommand) -> int | None:
    """The version of the event a correction or retraction names; ``None`` for other commands."""
    if isinstance(command, Correct):
        return command.corrects
    if isinstance(command, Retract):
        return command.retracts
    return None
