"""Projects as they were at a moment: effective ``as_of``, as known at ``known_at``.

The listing (``GET /api/v1/projects``), the dashboard's project table and the stale projects
show, for a past moment, each project of a portfolio that had been announced by ``as_of`` as
recorded by ``known_at``: its status and plan then, from the read model's bitemporal tables
(as the reports have them), and what those tables do not keep over time (the title as then
corrected, the version, the latest news effective by ``as_of``) from the project's own events
recorded by ``known_at``. A project nothing happened to after the moment is read from
``rm_projects`` as it is, without its events.

"Latest news" is the latest effective date of any of its events (announcement, fact,
milestone, status change, correction, retraction; not a title given in another language), as
``rm_projects.last_event_on`` holds it for the present.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from tracker.domain.ledger import ProjectLedger
from tracker.domain.status import TERMINAL
from tracker.readmodel import tables as t
from tracker.readmodel.database import naive_utc
from tracker.readmodel.queries import (
    ProjectFilter,
    ProjectPage,
    ProjectRow,
    check_sort,
    cursor_values,
    encode_cursor,
    list_projects,
    project_row,
    stale_projects,
)
from tracker.readmodel.reports import ProjectAsOf, ReportQuery, projects_as_of

if TYPE_CHECKING:
    from tracker.application import TrackerApplication
    from tracker.domain.project import Project

_TERMINAL = frozenset(s.value for s in TERMINAL)
#: The most projects a listing for a past moment reads (portfolios are tens or hundreds).
MAX_PROJECTS = 5000


@dataclass(frozen=True)
class Moment:
    """The moment a view is for; both ``None`` is the present."""

    as_of: date | None = None
    known_at: datetime | None = None

    @property
    def is_present(self) -> bool:
        return self.as_of is None and self.known_at is None


@dataclass
class Histories:
    """Each project's events, and its aggregate as known at a moment, read from the event
    store once and remembered: for one request that looks at the same projects at many
    moments (a timeline with a flag judges each point at its own day)."""

    tracker: TrackerApplication
    _events: dict[UUID, list[Any]] = field(default_factory=dict, repr=False)
    _projects: dict[tuple[UUID, datetime | None], Project] = field(default_factory=dict, repr=False)

    def events(self, project_id: UUID) -> list[Any]:
        """Every event of the project, in order."""
        if project_id not in self._events:
            self._events[project_id] = list(self.tracker.events.get(project_id))
        return self._events[project_id]

    def project(self, project_id: UUID, known_at: datetime | None) -> Project:
        """The project as known at ``known_at`` (``TrackerApplication.project``)."""
        key = (project_id, known_at)
        if key not in self._projects:
            self._projects[key] = self.tracker.project(project_id, known_at=known_at)
        return self._projects[key]


@dataclass(frozen=True)
class StaleProjects:
    """The open projects of a portfolio at a moment and, among them, the silent ones."""

    reference_day: date  # silence is counted up to this day: ``as_of``, or today
    open_projects: int
    silent: list[ProjectRow]


def projects_then(
    conn: Connection,
    tracker: TrackerApplication,
    portfolio_id: UUID,
    moment: Moment,
    histories: Histories | None = None,
) -> list[ProjectRow]:
    """Every project of the portfolio announced by ``as_of`` and recorded by ``known_at``,
    as it was then; in no particular order. ``histories`` remembers the events it reads
    for the next moment asked about (none: read afresh)."""
    read = histories or Histories(tracker)
    if moment.is_present:
        return _all(conn, ProjectFilter(portfolio_id=portfolio_id))
    then = projects_as_of(conn, ReportQuery(portfolio_id, moment.as_of, moment.known_at))
    rows = conn.execute(
        select(t.projects).where(t.projects.c.project_id.in_(sorted(then))).limit(MAX_PROJECTS)
    )
    return [_as_then(read, project_row(row), then[row.project_id], moment) for row in rows]


def _all(conn: Connection, filters: ProjectFilter) -> list[ProjectRow]:
    rows: list[ProjectRow] = []
    cursor = None
    while True:
        page = list_projects(conn, filters, sort="title", limit=500, cursor=cursor)
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None or len(rows) >= MAX_PROJECTS:
            return rows


def _as_then(
    histories: Histories, row: ProjectRow, then: ProjectAsOf, moment: Moment
) -> ProjectRow:
    row = replace(
        row,
        sector=then.sector,
        regions=then.regions,
        countries=then.countries,
        status=then.status,
        planned_investment=then.planned_investment,
        currency=then.currency,
        planned_jobs=then.planned_jobs,
        announced_on=then.announced_on,
    )
    if _unchanged_since(row, moment):
        return row
    stored = histories.events(UUID(row.project_id))
    events = [e for e in stored if moment.known_at is None or e.timestamp <= moment.known_at]
    ledger = ProjectLedger.of(events)
    news = [
        e.effective_date
        for e in events
        if e.NEWS and (moment.as_of is None or e.effective_date <= moment.as_of)
    ]
    return replace(
        row,
        title=ledger.plan.title,
        version=ledger.version,
        last_event_on=max(news, default=then.announced_on),
    )


def _unchanged_since(row: ProjectRow, moment: Moment) -> bool:
    """Whether every event of the project was recorded by ``known_at`` and effective by
    ``as_of``: then its title, version and latest news are the current ones."""
    recorded = moment.known_at is None or (
        row.last_recorded_at is not None and row.last_recorded_at <= naive_utc(moment.known_at)
    )
    effective = moment.as_of is None or row.last_event_on <= moment.as_of
    return recorded and effective


# Filtering, sorting and paging in Python, as ``list_projects`` does in SQL


def matching(rows: Iterable[ProjectRow], filters: ProjectFilter) -> list[ProjectRow]:
    """The rows ``filters`` select (``portfolio_id`` aside: the rows are one portfolio's)."""
    q = filters.q.lower() if filters.q else None
    return [
        row
        for row in rows
        if (filters.sector is None or row.sector == filters.sector)
        and (filters.region is None or filters.region in row.regions)
        and (filters.country is None or filters.country in row.countries)
        and (filters.status is None or row.status == filters.status)
        and (q is None or q in row.title.lower())
        and (filters.illustrative is None or row.illustrative is filters.illustrative)
        and (filters.ids is None or row.project_id in filters.ids)
    ]


def _key(row: ProjectRow, sort: str) -> tuple[Any, ...]:
    name = sort.lstrip("-")
    if name == "title":
        return (row.title, row.project_id)
    if name == "planned_investment":
        return (row.currency, row.planned_investment, row.project_id)
    if name == "announced_on":
        return (row.announced_on, row.project_id)
    return (row.last_event_on, row.project_id)


def in_order(rows: Iterable[ProjectRow], sort: str) -> list[ProjectRow]:
    """The rows in the order of ``sort`` (every key follows its direction, as in SQL)."""
    check_sort(sort)
    return sorted(rows, key=lambda row: _key(row, sort), reverse=sort.startswith("-"))


def page_of(rows: Sequence[ProjectRow], sort: str, limit: int, cursor: str | None) -> ProjectPage:
    """One keyset page of ``rows`` (already in the order of ``sort``)."""
    if cursor is not None:
        after = tuple(_comparable(v) for v in cursor_values(cursor, sort))
        if sort.startswith("-"):
            rows = [row for row in rows if _key(row, sort) < after]
        else:
            rows = [row for row in rows if _key(row, sort) > after]
    page, more = list(rows[:limit]), len(rows) > limit
    next_cursor = encode_cursor(sort, _key(page[-1], sort)) if more else None
    return ProjectPage(page, next_cursor)


def _comparable(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


def project_listing(
    conn: Connection,
    tracker: TrackerApplication,
    filters: ProjectFilter,
    moment: Moment,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
) -> ProjectPage:
    """``GET /api/v1/projects`` for a moment: the projects as they were then."""
    if moment.is_present:
        return list_projects(conn, filters, sort=sort, limit=limit, cursor=cursor)
    check_sort(sort)
    if filters.portfolio_id is not None:
        portfolios = [filters.portfolio_id]
    else:
        portfolios = [UUID(p) for p in conn.scalars(select(t.portfolios.c.portfolio_id))]
    rows = [r for p in portfolios for r in projects_then(conn, tracker, p, moment)]
    return page_of(in_order(matching(rows, filters), sort), sort, limit, cursor)


# Stale projects


def stale_then(
    conn: Connection,
    tracker: TrackerApplication,
    portfolio_id: UUID,
    moment: Moment,
    *,
    days: int,
    today: date,
) -> StaleProjects:
    """The projects open at the moment (status as of ``as_of`` as known at ``known_at``)
    whose latest news then is more than ``days`` days before ``as_of`` (or today)."""
    reference = moment.as_of or today
    if moment.is_present:
        return StaleProjects(
            reference,
            _open_now(conn, portfolio_id),
            stale_projects(conn, portfolio_id, days=days, today=today),
        )
    return stale_among(projects_then(conn, tracker, portfolio_id, moment), days, reference)


def stale_among(rows: Iterable[ProjectRow], days: int, reference: date) -> StaleProjects:
    """Of ``rows`` (a portfolio's projects as they were), the open ones silent for more than
    ``days`` days before ``reference``, the longest silent first."""
    open_then = [row for row in rows if row.status not in _TERMINAL]
    threshold = reference - timedelta(days=days)
    silent = [row for row in open_then if row.last_event_on < threshold]
    silent.sort(key=lambda row: (row.last_event_on, row.project_id))
    return StaleProjects(reference, len(open_then), silent)


def _open_now(conn: Connection, portfolio_id: UUID) -> int:
    count = conn.execute(
        select(func.count())
        .select_from(t.projects)
        .where(t.projects.c.portfolio_id == str(portfolio_id))
        .where(t.projects.c.status.not_in(sorted(_TERMINAL)))
    ).scalar()
    return int(count or 0)
