"""A portfolio as it is exported: its projects' figures as of a day and as known at a moment,
the events, and the rate sets it converts with.

Figures come from the domain's own fold (each project's events recorded by ``known_at``
into a ``ProjectLedger``, then ``figures_as_of(as_of)``), the same rules the reports follow:
a project counts once it was announced by ``as_of`` and recorded by ``known_at``. The read
model only lists which projects belong to the portfolio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from tracker.domain.errors import N_, NotFound
from tracker.domain.ledger import ProjectFigures, ProjectLedger
from tracker.domain.portfolio import Portfolio, Targets
from tracker.domain.project import Project
from tracker.eventstore.chain import Checkpoint
from tracker.history import EventSource, RecordedEvent
from tracker.readmodel.documents import document_ids
from tracker.readmodel.indicators import indicator_ids
from tracker.readmodel.queries import project_ids
from tracker.transfer.document_export import DocumentExport, documents_of
from tracker.transfer.indicator_export import IndicatorExport, portfolio_indicators
from tracker.transfer.rate_set_export import RateSetExport, named_rate_sets


@dataclass(frozen=True)
class ExportQuery:
    portfolio_id: UUID
    as_of: date | None = None
    known_at: datetime | None = None


@dataclass(frozen=True)
class ProjectExport:
    ledger: ProjectLedger
    figures: ProjectFigures
    events: list[RecordedEvent]

    @property
    def project(self) -> Project:
        return self.ledger.project

    @property
    def last_recorded_at(self) -> datetime:
        moments: list[datetime] = [e.event.timestamp for e in self.events]
        return max(moments)


@dataclass(frozen=True)
class PortfolioExport:
    query: ExportQuery
    portfolio: Portfolio
    targets: Targets | None
    portfolio_events: list[RecordedEvent]
    projects: list[ProjectExport]
    generated_at: datetime
    #: Every rate set the portfolio named by known_at, those it converts with first.
    rate_sets: list[RateSetExport] = field(default_factory=list)
    #: The documents signed by as_of and recorded by known_at (the register's).
    documents: list[DocumentExport] = field(default_factory=list)
    #: The portfolio's indicators as known at known_at (observations and targets by as_of).
    indicators: list[IndicatorExport] = field(default_factory=list)
    #: The signed checkpoint of the event log the export is made under.
    checkpoint: Checkpoint | None = None

    @property
    def chosen_rate_sets(self) -> list[RateSetExport]:
        """The sets the portfolio converts with at known_at, in order of preference."""
        by_id = {rate_set.id: rate_set for rate_set in self.rate_sets}
        return [by_id[i] for i in self.portfolio.rate_sets if i in by_id]


def _fold(events: Sequence[RecordedEvent]) -> Any:
    aggregate = None
    for stored in events:
        aggregate = stored.event.mutate(aggregate)
    return aggregate


def gather(
    tracker: EventSource,
    engine: Engine,
    query: ExportQuery,
    *,
    now: datetime | None = None,
) -> PortfolioExport:
    """The portfolio and each of its projects, folded as known at ``known_at``."""
    with engine.connect() as conn:
        projects = project_ids(conn, query.portfolio_id)
        documents = document_ids(conn, query.portfolio_id)
        indicators = indicator_ids(conn, query.portfolio_id)
    return assemble(
        tracker, query, Members(projects, documents, indicators), now or datetime.now(UTC)
    )


@dataclass(frozen=True)
class Members:
    """The ids of the aggregates that belong to the portfolio, besides its rate sets."""

    projects: list[str]
    documents: list[str]
    indicators: list[str]


def assemble(
    tracker: EventSource, query: ExportQuery, members: Members, generated_at: datetime
) -> PortfolioExport:
    """The export of a portfolio whose members are known: read from the event store, or from
    an export's own signed events when it is verified offline."""
    portfolio_events = tracker.recorded_events(query.portfolio_id, known_at=query.known_at)
    portfolio = _fold(portfolio_events)
    if not isinstance(portfolio, Portfolio):
        if query.known_at:
            raise NotFound(
                N_("there is no portfolio %(portfolio_id)s recorded by %(known_at)s"),
                portfolio_id=query.portfolio_id,
                known_at=query.known_at.isoformat(),
            )
        raise NotFound(
            N_("there is no portfolio %(portfolio_id)s"), portfolio_id=query.portfolio_id
        )
    projects: list[ProjectExport] = []
    for project_id in members.projects:
        events = tracker.recorded_events(UUID(project_id), known_at=query.known_at)
        if not events or not isinstance(events[0].event, Project.Announced):
            continue  # not recorded yet by known_at
        ledger = ProjectLedger.of(e.event for e in events)
        if query.as_of is not None and ledger.announced_on() > query.as_of:
            continue  # announced later: the reports do not count it either
        projects.append(ProjectExport(ledger, ledger.figures_as_of(query.as_of), events))
    projects.sort(key=lambda p: p.events[0].position)
    return PortfolioExport(
        query=query,
        portfolio=portfolio,
        targets=portfolio.targets_as_of(query.as_of),
        portfolio_events=portfolio_events,
        projects=projects,
        generated_at=generated_at,
        rate_sets=named_rate_sets(tracker, portfolio, portfolio_events, query.known_at),
        documents=documents_of(tracker, members.documents, query.as_of, query.known_at),
        indicators=portfolio_indicators(tracker, members.indicators, query.as_of, query.known_at),
    )
