"""Portfolio reports: progress against the pledge, breakdowns and the timeline."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, get
from litestar.params import FromPath, QueryParameter

from api.conditions import read_moment, today_utc
from api.params import (
    AsOf,
    Currency,
    Fx,
    KnownAt,
    Layer,
    MinPosition,
    ReadModelDep,
    report_query,
)
from api.presenters.reports import breakdown_out, progress_out, timeline_out
from api.schemas import BreakdownOut, ProgressOut, TimelineOut
from api.single_flight import SingleFlight
from tracker.readmodel import reports


class ReportController(Controller):
    """Each handler takes one dependency (the read model, which holds the tracker): Litestar
    resolves two or more in a task group per request, a third of a cached answer's cost."""

    path = "/api/v1/portfolios/{portfolio_id:uuid}"
    tags = ["reports"]

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
        min_position: MinPosition = None,
        *,
        request: Request[Any, Any, Any],
    ) -> ProgressOut:
        """The most read figure: served from memory while nothing new was applied, so a
        busy dashboard costs no thread hop and no query per request; concurrent misses
        share one computation."""
        key = ("progress", portfolio_id, *read_moment(as_of, known_at), currency, fx, layer)
        cached = readmodel.cached_report(key, min_position)
        if isinstance(cached, ProgressOut):
            return cached

        def compute() -> ProgressOut:
            position = readmodel.wait_for(min_position)
            query = report_query(
                readmodel.tracker, portfolio_id, as_of, known_at, currency, fx, layer
            )
            report = progress_out(readmodel.report(lambda c: reports.progress(c, query)), position)
            readmodel.remember_report(key, position, report)
            return report

        if min_position is not None:  # it may need a later position than a shared answer
            return await anyio.to_thread.run_sync(compute)
        flights: SingleFlight = request.app.state.report_flights
        # Keyed by the applied position too: a request that comes after new events were
        # applied never shares a computation that started before them.
        return await flights.run((key, readmodel.projector.seen_position), compute)

    @get("/breakdown", sync_to_thread=True, summary="Figures by sector, region, country or status")
    def breakdown(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        by: Annotated[Literal["sector", "region", "country", "status"], QueryParameter()],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
        layer: Layer = "all",
        min_position: MinPosition = None,
    ) -> BreakdownOut:
        position = readmodel.wait_for(min_position)
        query = report_query(readmodel.tracker, portfolio_id, as_of, known_at, currency, fx, layer)
        return breakdown_out(readmodel.report(lambda c: reports.breakdown(c, query, by)), position)

    @get("/timeline", sync_to_thread=True, summary="Cumulative figures per month or quarter")
    def timeline(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        interval: Annotated[Literal["month", "quarter"], QueryParameter()] = "month",
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
        layer: Layer = "all",
        min_position: MinPosition = None,
    ) -> TimelineOut:
        position = readmodel.wait_for(min_position)
        query = report_query(readmodel.tracker, portfolio_id, as_of, known_at, currency, fx, layer)
        today = today_utc().date()
        report = readmodel.report(lambda c: reports.timeline(c, query, interval, today))
        return timeline_out(report, position)
