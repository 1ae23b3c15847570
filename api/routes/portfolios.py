"""Portfolios: what was pledged at a forum, and the restated targets."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from api.commands import money, scope_of, write_envelope
from api.conditions import expected_version, read_moment
from api.params import AsOf, IdempotencyKey, IfMatch, KnownAt, MinPosition, ReadModelDep, Tracker
from api.presenters.portfolios import portfolio_out, portfolio_page_out
from api.responses import created, paged, tagged
from api.schemas import PortfolioIn, PortfolioOut, PortfolioPageOut, RecordedOut, TargetsIn
from tracker.readmodel import portfolio_list

MAX_LIMIT = 500
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Portfolios per page.")]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=2000, description="The `next_cursor` of the previous page."),
]

PORTFOLIO_EXAMPLE = {
    "name": "Kazakhstan–Uzbekistan industrial cooperation",
    "forum": "4th Kazakhstan–Uzbekistan interregional forum, Samarkand",
    "established_on": "2024-10-22",
    "source": {"title": "Astana Times, 22 Oct 2024", "url": "https://astanatimes.com/2024/10/"},
}
TARGETS_EXAMPLE = {
    "investment": {"amount": "3400000000.00", "currency": "USD"},
    "jobs": 14600,
    "projects": 74,
    "effective_date": "2024-10-22",
    "source": {"title": "Astana Times, 22 Oct 2024"},
}


class PortfolioController(Controller):
    path = "/api/v1/portfolios"
    tags = ["portfolios"]

    @post(
        "/",
        sync_to_thread=True,
        summary="Establish a portfolio",
        status_code=201,
    )
    def establish(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        data: Annotated[PortfolioIn, Body(examples=[Example(value=PORTFOLIO_EXAMPLE)])],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        envelope = write_envelope(request, data, idempotency_key, default_date=data.established_on)
        recorded = tracker.establish_portfolio(
            data.name,
            data.forum,
            data.established_on,
            envelope,
            illustrative=data.illustrative,
            scope=scope_of(request),
        )
        return created(recorded, f"/api/v1/portfolios/{recorded.id}")

    @get("/{portfolio_id:uuid}", sync_to_thread=True, summary="A portfolio and its targets")
    def show(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        portfolio_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
    ) -> Response[PortfolioOut]:
        as_of, known_at = read_moment(as_of, known_at)
        portfolio = tracker.portfolio(portfolio_id, known_at=known_at)
        return tagged(portfolio_out(portfolio, as_of, known_at), portfolio.version, request)

    @post(
        "/{portfolio_id:uuid}/targets",
        sync_to_thread=True,
        summary="Restate the portfolio's targets",
        status_code=201,
    )
    def restate_targets(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        portfolio_id: FromPath[UUID],
        data: Annotated[TargetsIn, Body(examples=[Example(value=TARGETS_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.restate_targets(
            portfolio_id,
            money(data.investment, "investment"),
            data.jobs,
            data.projects,
            envelope,
            expected_version=expected_version(if_match),
            scope=scope_of(request),
        )
        return created(recorded, f"/api/v1/portfolios/{portfolio_id}")

    @get("/", sync_to_thread=True, summary="List portfolios (at any moment, keyset pages)")
    def list_portfolios(
        self,
        request: Request[Any, Any, Any],
        readmodel: ReadModelDep,
        limit: Limit = 50,
        cursor: Cursor = None,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response[PortfolioPageOut]:
        """The first established first. Pass ``next_cursor`` back until it is null. With
        ``as_of``/``known_at``: the portfolios established by ``as_of`` as recorded by
        ``known_at``."""
        as_of, known_at = read_moment(as_of, known_at)
        position = readmodel.wait_for(min_position)
        page = readmodel.query(
            lambda c: portfolio_list.list_portfolios(
                c, as_of=as_of, known_at=known_at, limit=limit, cursor=cursor
            )
        )
        return paged(request, portfolio_page_out(page, position, as_of, known_at))
