"""A project's ledger: every fact its events recorded, folded with corrections and retractions.

The aggregate keeps only what its rules need (its snapshot must not grow with the history);
figures, the facts for exports and the project view are folded here from the event list,
so they cost one read of the project's events, not part of every load.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tracker.domain.facts import Fact
from tracker.domain.plan import Plan
from tracker.domain.project import Project, StatusEntry
from tracker.domain.status import Status
from tracker.domain.values import Money


@dataclass(frozen=True)
class ProjectFigures:
    """A project's figures as of one effective date (``None``: everything recorded)."""

    status: Status
    committed: tuple[Money, ...]
    disbursed: tuple[Money, ...]
    jobs_permanent: int
    jobs_temporary: int
    milestones: tuple[str, ...]


@dataclass(frozen=True)
class ProjectLedger:
    """The project as its events leave it, with its facts (corrections folded in)."""

    project: Project
    facts: dict[int, Fact]
    #: The title in each reader's language it was given in (the latest given), by language.
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, events: Iterable[Any]) -> ProjectLedger:
        """Fold a project's events, in version order, from its announcement on."""
        project: Any = None
        fact_events: list[Project.FactEvent] = []
        corrections: dict[int, list[Project.Corrected]] = defaultdict(list)
        titles: dict[str, str] = {}
        for event in events:
            project = event.mutate(project)
            if isinstance(event, Project.FactEvent):
                fact_events.append(event)
            elif isinstance(event, Project.Corrected):
                corrections[event.corrects].append(event)
            elif isinstance(event, Project.TitleTranslated):
                titles[event.language] = event.title
        if not isinstance(project, Project):
            raise ValueError("a project's events begin with its announcement")
        return cls(
            project,
            {
                e.originator_version: project.fact_of(e, corrections.get(e.originator_version, ()))
                for e in fact_events
            },
            dict(sorted(titles.items())),
        )

    @property
    def id(self) -> UUID:
        return self.project.id

    @property
    def version(self) -> int:
        return self.project.version

    @property
    def portfolio_id(self) -> UUID:
        return self.project.portfolio_id

    @property
    def illustrative(self) -> bool:
        return self.project.illustrative

    @property
    def plan(self) -> Plan:
        return self.project.plan

    @property
    def status(self) -> Status:
        return self.project.status

    @property
    def status_history(self) -> list[StatusEntry]:
        return self.project.status_history

    @property
    def modified_on(self) -> datetime:
        return self.project.modified_on

    def announced_on(self) -> date:
        return self.project.announced_on()

    def status_as_of(self, as_of: date | None) -> Status:
        return self.project.status_as_of(as_of)

    def figures_as_of(self, as_of: date | None = None) -> ProjectFigures:
        """Fold the ledger: facts effective by ``as_of`` that are not retracted."""
        live = [
            f
            for f in self.facts.values()
            if f.retracted_by is None and (as_of is None or f.effective_date <= as_of)
        ]
        return ProjectFigures(
            status=self.status_as_of(as_of),
            committed=_total_by_currency(
                [f.amount for f in live if f.kind == "committed" and f.amount]
            ),
            disbursed=_total_by_currency(
                [f.amount for f in live if f.kind == "disbursed" and f.amount]
            ),
            jobs_permanent=sum(f.permanent for f in live),
            jobs_temporary=sum(f.temporary for f in live),
            milestones=tuple(
                f.name
                for f in sorted(live, key=lambda f: (f.effective_date, f.version))
                if f.kind == "milestone" and f.name
            ),
        )


def _total_by_currency(amounts: list[Money]) -> tuple[Money, ...]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for money in amounts:
        totals[money.currency] += money.amount
    return tuple(Money(totals[c], c) for c in sorted(totals))
