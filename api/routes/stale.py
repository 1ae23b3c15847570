"""The stale projects of a portfolio: open, and silent for too long."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.conditions import today_utc
from api.params import MinPosition, ReadModelDep, Tracker
from api.presenters.projects import stale_out
from api.schemas import StaleOut
from tracker.readmodel import queries


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
