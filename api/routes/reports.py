"""Portfolio reports: progress against the pledge, breakdowns and the timeline."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import anyio.to_thread
from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath, QueryParameter
from litestar.serialization import encode_json

from api.conditions import read_moment, today_utc
from api.params import (
    AsOf,
    CountryCode,
    Currency,
    FlagFilter,
    Fx,
    KnownAt,
    Layer,
    MinPosition,
    NoNewsDays,
    ReadModelDep,
    RegionCode,
    Sector,
    StatusFilter,
    report_filters,
    report_query,
)
from api.presenters.reports import breakdown_out, progress_out, timeline_out
from api.schemas import BreakdownOut, ProgressOut, TimelineOut
from api.shortcut import Answer, Encoded, shortcut, shortcuts_of
from api.single_flight import SingleFlight
from tracker.readmodel import reports, timeline
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS, Filters
from tracker.readmodel.service import ReadModel
from tracker.readmodel.shares import FIGURES, ORDERS

Report = TypeVar("Report", ProgressOut, BreakdownOut, TimelineOut)
Figure = Annotated[
    Literal["committed", "disbursed", "jobs"],
    QueryParameter(description="The figure the slices are ordered by: " + ", ".join(FIGURES)),
]
Order = Annotated[
    Literal["key", "amount", "share", "shortfall"],
    QueryParameter(
        description="`key` (A–Z, the default), `amount` (largest first), `share` (lowest "
        "share of plan first: what lags; slices that plan nothing last) or `shortfall` "
        "(plan minus actual, largest first). Orders: " + ", ".join(ORDERS)
    ),
]


class ReportController(Controller):
    """Each handler takes one dependency (the read model, which holds the tracker): Litestar
    resolves two or more in a task group per request, a third of a cached answer's cost."""

    path = "/api/v1/portfolios/{portfolio_id:uuid}"
    tags = ["reports"]
    middleware = [shortcut]

    @get("/progress", summary="Progress against the pledge")
    async def progress(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
        layer: Layer = "all",
        sector: Sector = None,
        region: RegionCode = None,
        country: CountryCode = None,
        status: StatusFilter = None,
        flag: FlagFilter = None,
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
        min_position: MinPosition = None,
        *,
        request: Request[Any, Any, Any],
    ) -> Response[ProgressOut]:
        filters = report_filters(layer, sector, region, country, status, flag, no_news_days)
        moment = read_moment(as_of, known_at)
        key = ("progress", portfolio_id, *moment, currency, fx, filters, _judged_on(filters))

        def build(position: int) -> ProgressOut:
            query = report_query(
                readmodel.tracker, portfolio_id, as_of, known_at, currency, fx, filters
            )
            return progress_out(readmodel.report(lambda c: reports.progress(c, query)), position)

        return await _served(request, readmodel, key, min_position, ProgressOut, build)

    @get("/breakdown", summary="Figures by sector, region, country or status")
    async def breakdown(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        by: Annotated[Literal["sector", "region", "country", "status"], QueryParameter()],
        figure: Figure = "committed",
        sort: Order = "key",
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
        layer: Layer = "all",
        sector: Sector = None,
        region: RegionCode = None,
        country: CountryCode = None,
        status: StatusFilter = None,
        flag: FlagFilter = None,
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
        min_position: MinPosition = None,
        *,
        request: Request[Any, Any, Any],
    ) -> Response[BreakdownOut]:
        filters = report_filters(layer, sector, region, country, status, flag, no_news_days)
        moment = read_moment(as_of, known_at)
        key = (
            "breakdown",
            portfolio_id,
            by,
            figure,
            sort,
            *moment,
            currency,
            fx,
            filters,
            _judged_on(filters),
        )

        def build(position: int) -> BreakdownOut:
            query = report_query(
                readmodel.tracker, portfolio_id, as_of, known_at, currency, fx, filters
            )
            report = readmodel.report(
                lambda c: reports.breakdown(c, query, by, figure=figure, order=sort)
            )
            return breakdown_out(report, position)

        return await _served(request, readmodel, key, min_position, BreakdownOut, build)

    @get("/timeline", summary="Cumulative figures per month or quarter")
    async def timeline(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        interval: Annotated[Literal["month", "quarter"], QueryParameter()] = "month",
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
        layer: Layer = "all",
        sector: Sector = None,
        region: RegionCode = None,
        country: CountryCode = None,
        status: StatusFilter = None,
        flag: FlagFilter = None,
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
        min_position: MinPosition = None,
        *,
        request: Request[Any, Any, Any],
    ) -> Response[TimelineOut]:
        today = today_utc().date()
        moment = read_moment(as_of, known_at)
        filters = report_filters(layer, sector, region, country, status, flag, no_news_days)
        key = ("timeline", portfolio_id, interval, *moment, currency, fx, filters, today)

        def build(position: int) -> TimelineOut:
            query = report_query(
                readmodel.tracker, portfolio_id, as_of, known_at, currency, fx, filters
            )
            report = readmodel.report(lambda c: timeline.timeline(c, query, interval, today))
            return timeline_out(report, position)

        return await _served(request, readmodel, key, min_position, TimelineOut, build)


def _judged_on(filters: Filters) -> date | None:
    """The day a flag filter's silence ends when no ``as_of`` says it: part of what a report
    remembered in memory answers for (tomorrow, a project may have been silent too long)."""
    return today_utc().date() if filters.flag is not None else None


async def _served(
    request: Request[Any, Any, Any],
    readmodel: ReadModel,
    key: Hashable,
    min_position: int | None,
    kind: type[Report],
    build: Callable[[int], Report],
) -> Response[Any]:
    """A report served from memory while nothing new was applied, so a busy dashboard costs
    no thread hop, no query and no encoding per request; concurrent misses share one
    computation. Remembered as its JSON body (as Litestar would encode the report), which the
    read model keeps under a key of its own kind."""
    cached = readmodel.cached_report(key, min_position)
    if isinstance(cached, Encoded) and cached.kind is kind and not readmodel.claim_refresh(key):
        body = cached.body
    elif min_position is not None:  # it may need a later position than a shared answer
        body = await anyio.to_thread.run_sync(_compute, readmodel, key, min_position, kind, build)
    else:
        flights: SingleFlight = request.app.state.report_flights
        # Keyed by the applied position too: a request that comes after new events were
        # applied never shares a computation that started before them.
        body = await flights.run(
            (key, readmodel.projector.seen_position),
            lambda: _compute(readmodel, key, min_position, kind, build),
        )
    if min_position is None:  # the next such request is answered before the handler
        shortcuts_of(request.scope).remember(request.scope, _Recall(readmodel, key))
    return Response(body, media_type=MediaType.JSON)


class _Recall:
    """The report under a key while the read model gives it without a request computing it
    again (``api/shortcut.py``): one request of a report due to be computed again goes on to
    the handler, which computes it; the others are answered from memory meanwhile."""

    __slots__ = ("key", "readmodel")

    def __init__(self, readmodel: ReadModel, key: Hashable) -> None:
        self.readmodel, self.key = readmodel, key

    def __call__(self) -> Answer | None:
        encoded = self.readmodel.cached_report(self.key, None, due_too=False)
        return encoded if isinstance(encoded, Encoded) else None


def _compute(
    readmodel: ReadModel,
    key: Hashable,
    min_position: int | None,
    kind: type[Report],
    build: Callable[[int], Report],
) -> bytes:
    position = readmodel.wait_for(min_position)
    body = encode_json(build(position))
    readmodel.remember_report(key, position, Encoded(kind, body))
    return body
