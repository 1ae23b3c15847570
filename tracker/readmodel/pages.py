"""The queries the dashboard's pages make besides the API's reports and lists.

Which portfolios there are, whether a portfolio holds illustrative projects, the timeline a
page draws, and a portfolio's projects at any moment: its table, in the order
``GET /api/v1/projects`` lists it, and its stale projects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Connection, exists, select

from tracker.readmodel import tables as t
from tracker.readmodel.flags import flagged, flags_of, rules_for
from tracker.readmodel.moments import (
    Moment,
    StaleProjects,
    in_order,
    matching,
    projects_then,
    stale_among,
    stale_then,
)
from tracker.readmodel.queries import ProjectFilter, ProjectRow, list_projects
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.timeline import Timeline, timeline
from tracker.readmodel.titles import in_language

if TYPE_CHECKING:
    from tracker.application import TrackerApplication

#: The most portfolios a page links to.
MAX_PORTFOLIO_LINKS = 200
#: The most projects a table reads (portfolios are tens or hundreds of projects).
MAX_TABLE_PROJECTS = 5000
#: A timeline with fewer quarters than this is drawn by month instead.
MIN_QUARTERS = 8


@dataclass(frozen=True)
class PortfolioLink:
    id: str
    name: str
    illustrative: bool


def portfolio_links(conn: Connection) -> list[PortfolioLink]:
    """Every portfolio, the first established first (that one is the default)."""
    rows = conn.execute(
        select(t.portfolios.c.portfolio_id, t.portfolios.c.name, t.portfolios.c.illustrative)
        .order_by(
            t.portfolios.c.established_on, t.portfolios.c.recorded_at, t.portfolios.c.portfolio_id
        )
        .limit(MAX_PORTFOLIO_LINKS)
    )
    return [PortfolioLink(r.portfolio_id, r.name, r.illustrative) for r in rows]


def has_illustrative_projects(conn: Connection, portfolio_id: UUID) -> bool:
    query = select(
        exists().where(
            t.projects.c.portfolio_id == str(portfolio_id), t.projects.c.illustrative.is_(True)
        )
    )
    return bool(conn.execute(query).scalar())


def quarterly_or_monthly_timeline(conn: Connection, query: ReportQuery, today: date) -> Timeline:
    """Quarters, or months for a portfolio younger than two years (quarters would be few)."""
    quarterly = timeline(conn, query, "quarter", today)
    if len(quarterly.points) >= MIN_QUARTERS:
        return quarterly
    return timeline(conn, query, "month", today)


@dataclass(frozen=True)
class PortfolioProjects:
    """What the portfolio page shows of its projects at a moment."""

    table: list[ProjectRow]  # those the filters select, in the order asked for
    stale: StaleProjects
    illustrative: bool  # whether any of them (filters aside) is illustrative
    flags: dict[str, tuple[str, ...]]  # every project's flags (filters aside), by id


def portfolio_projects(
    conn: Connection,
    tracker: TrackerApplication,
    filters: ProjectFilter,
    sort: str,
    moment: Moment,
    *,
    stale_days: int,
    today: date,
    flag: str | None = None,
    language: str | None = None,
) -> PortfolioProjects:
    """The project table, the stale projects, the flags and the illustrative mark, all for
    the moment; ``flag`` keeps only the projects carrying it in the table.

    For a past moment the projects are those announced by ``as_of`` as recorded by
    ``known_at``, each as it was then (``moments.projects_then``); the filters and the order
    apply to those values. A project is flagged ``no_news`` after ``stale_days`` days.
    With a ``language``, titles are shown in it where one was given (``titles``), and a table
    sorted by title is sorted by the titles shown.
    """
    assert filters.portfolio_id is not None
    portfolio_id = filters.portfolio_id
    then = projects_then(conn, tracker, portfolio_id, moment)
    flags = flags_of(conn, tracker, then, moment, rules_for(moment, stale_days, today))
    if flag is not None:
        filters = replace(filters, ids=flagged(flags, flag))
    if moment.is_present:
        found = PortfolioProjects(
            project_table(conn, filters, sort),
            stale_then(conn, tracker, portfolio_id, moment, days=stale_days, today=today),
            has_illustrative_projects(conn, portfolio_id),
            flags,
        )
    else:
        found = PortfolioProjects(
            in_order(matching(then, filters), sort),
            stale_among(then, stale_days, moment.as_of or today),
            any(row.illustrative for row in then),
            flags,
        )
    if language is None:
        return found
    table = in_language(conn, found.table, language, moment.known_at)
    silent = in_language(conn, found.stale.silent, language, moment.known_at)
    return replace(
        found,
        table=in_order(table, sort) if sort.lstrip("-") == "title" else table,
        stale=replace(found.stale, silent=silent),
    )


def project_table(conn: Connection, filters: ProjectFilter, sort: str) -> list[ProjectRow]:
    """The projects ``filters`` select now, sorted, as ``GET /api/v1/projects`` lists them."""
    rows: list[ProjectRow] = []
    cursor = None
    while True:  # every match, in the API's order
        page = list_projects(conn, filters, sort=sort, limit=500, cursor=cursor)
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None or len(rows) >= MAX_TABLE_PROJECTS:
            return rows
