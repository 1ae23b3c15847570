"""The queries the dashboard's pages make besides the API's reports and lists.

Which portfolios there are, whether a portfolio holds illustrative projects, the timeline a
page draws, and a portfolio's project table as of any moment, in the order
``GET /api/v1/projects`` lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from sqlalchemy import Connection, exists, select

from tracker.readmodel import tables as t
from tracker.readmodel.queries import ProjectFilter, ProjectRow, list_projects
from tracker.readmodel.reports import ProjectAsOf, ReportQuery, Timeline, projects_as_of, timeline

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


def project_table(
    conn: Connection, filters: ProjectFilter, sort: str, query: ReportQuery
) -> list[ProjectRow]:
    """The projects ``filters`` select, sorted, as ``GET /api/v1/projects`` lists them.

    For a past moment (``query.as_of`` or ``query.known_at``) the list is the same, restricted
    to the projects announced by then and showing their status and plan as they were (the
    filters apply to those values).
    """
    latest = query.as_of is None and query.known_at is None
    # For a past moment the values as they were are filtered below instead.
    listed = filters if latest else ProjectFilter(portfolio_id=filters.portfolio_id, q=filters.q)
    rows: list[ProjectRow] = []
    cursor = None
    while True:  # every match, in the API's order
        page = list_projects(conn, listed, sort=sort, limit=500, cursor=cursor)
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None or len(rows) >= MAX_TABLE_PROJECTS:
            break
    if latest:
        return rows
    then = projects_as_of(conn, query)
    rows = [_as_then(row, then[row.project_id]) for row in rows if row.project_id in then]
    rows = [row for row in rows if _matches(row, filters)]
    if sort.lstrip("-") == "planned_investment":
        sign = -1 if sort.startswith("-") else 1
        rows.sort(key=lambda row: (row.currency, sign * row.planned_investment))
    return rows


def _as_then(row: ProjectRow, then: ProjectAsOf) -> ProjectRow:
    return replace(
        row,
        sector=then.sector,
        regions=then.regions,
        countries=then.countries,
        status=then.status,
        planned_investment=then.planned_investment,
        currency=then.currency,
        planned_jobs=then.planned_jobs,
    )


def _matches(row: ProjectRow, filters: ProjectFilter) -> bool:
    return (
        (filters.sector is None or row.sector == filters.sector)
        and (filters.region is None or filters.region in row.regions)
        and (filters.country is None or filters.country in row.countries)
        and (filters.status is None or row.status == filters.status)
    )
