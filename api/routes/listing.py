"""Listing projects and finding the stale ones, from the read model's current state."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.conditions import today_utc
from api.report_views import CENT
from api.routes.common import MinPosition, ReadModelDep, Tracker
from api.schemas import MoneyOut, ProjectPageOut, ProjectSummaryOut, StaleOut, StaleProjectOut
from tracker.domain.status import Status
from tracker.readmodel import queries
from tracker.readmodel.queries import ProjectFilter, ProjectRow, SortKey
from tracker.readmodel.service import ReadModel

MAX_LIMIT = 500

Sort = Annotated[
    SortKey,
    QueryParameter(
        description="Order of the list; `-` for descending. Ties are broken by project id. "
        "`planned_investment` orders by currency, then amount (amounts are not converted).",
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Projects per page.")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=2000,
        description="The `next_cursor` of the previous page, with the same filters and sort.",
    ),
]
Sector = Annotated[str | None, QueryParameter(max_length=100, description="Exact sector.")]
PortfolioFilter = Annotated[UUID | None, QueryParameter(description="Projects of this portfolio.")]
StatusFilter = Annotated[Status | None, QueryParameter(description="Projects in this status.")]
TitlePart = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=200, description="Part of the title, in any case."),
]
RegionCode = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$",
        description="Projects in this ISO 3166-2 region.",
    ),
]
CountryCode = Annotated[
    str | None,
    QueryParameter(pattern=r"^[A-Z]{2}$", description="Projects in this ISO 3166-1 country."),
]


def amount_text(amount: Decimal) -> str:
    """The same text on both databases: PostgreSQL hands back six places, SQLite what was
    written. At least cents, and no trailing zeros beyond them."""
    cents = amount.quantize(CENT)
    return str(cents) if cents == amount else format(amount.normalize(), "f")


def _summary(row: ProjectRow) -> dict[str, Any]:
    return {
        "id": UUID(row.project_id),
        "portfolio_id": UUID(row.portfolio_id),
        "title": row.title,
        "sector": row.sector,
        "regions": list(row.regions),
        "countries": list(row.countries),
        "status": row.status,
        "planned_investment": MoneyOut(amount_text(row.planned_investment), row.currency),
        "planned_jobs": row.planned_jobs,
        "illustrative": row.illustrative,
        "announced_on": row.announced_on,
        "last_event_on": row.last_event_on,
        "version": row.version,
    }


def summary_out(row: ProjectRow) -> ProjectSummaryOut:
    return ProjectSummaryOut(**_summary(row))


def stale_out(row: ProjectRow, today: date) -> StaleProjectOut:
    return StaleProjectOut(**_summary(row), days_since_last_event=(today - row.last_event_on).days)


def project_page(
    readmodel: ReadModel,
    filters: ProjectFilter,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    min_position: int | None,
) -> ProjectPageOut:
    """The body of ``GET /api/v1/projects``. The handler itself sits in ``ProjectController``:
    Litestar 2.25 refuses a second controller on the same path (both would add OPTIONS)."""
    position = readmodel.wait_for(min_position)
    page = readmodel.query(
        lambda c: queries.list_projects(c, filters, sort=sort, limit=limit, cursor=cursor)
    )
    return ProjectPageOut([summary_out(r) for r in page.rows], page.next_cursor, position)


class StaleController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}"
    tags = ["reports"]

    @get("/stale", sync_to_thread=True, summary="Open projects with no recent event")
    def stale(
        self,
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        days: Annotated[
            int,
            QueryParameter(
                ge=1,
                le=36_500,
                description="Silent for more than this many days (by effective date).",
            ),
        ] = 90,
        min_position: MinPosition = None,
    ) -> StaleOut:
        """Projects neither closed nor cancelled whose latest event took effect more than
        ``days`` days before today (UTC): the ones to chase for news. Longest silent first."""
        position = readmodel.wait_for(min_position)
        tracker.portfolio(portfolio_id)  # 404 for an unknown portfolio
        today = today_utc().date()
        rows = readmodel.query(
            lambda c: queries.stale_projects(c, portfolio_id, days=days, today=today)
        )
        return StaleOut(portfolio_id, days, today, [stale_out(r, today) for r in rows], position)
