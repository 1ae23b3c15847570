"""The stale projects of a portfolio: open, and silent for too long, at any moment."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.conditions import read_moment, today_utc
from api.params import AsOf, KnownAt, MinPosition, ReadModelDep, Tracker
from api.presenters.projects import stale_out
from api.schemas.projects import StaleOut
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS
from tracker.readmodel.moments import Moment, stale_then


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
        ] = DEFAULT_NO_NEWS_DAYS,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> StaleOut:
        """Projects neither closed nor cancelled whose latest event took effect more than
        ``days`` days before today (UTC): the ones to chase for news. Longest silent first.

        For a moment: the projects open on ``as_of`` as known at ``known_at``, their latest
        event effective by ``as_of`` among those recorded by ``known_at``, and the days counted
        to ``as_of`` (``today`` is then that day)."""
        as_of, known_at = read_moment(as_of, known_at)
        position = readmodel.wait_for(min_position)
        tracker.portfolio(portfolio_id)  # 404 for an unknown portfolio
        moment = Moment(as_of, known_at)
        today = today_utc().date()
        stale = readmodel.query(
            lambda c: stale_then(c, tracker, portfolio_id, moment, days=days, today=today)
        )
        day = stale.reference_day
        return StaleOut(
            portfolio_id,
            days,
            day,
            [stale_out(r, day) for r in stale.silent],
            position,
            as_of=as_of,
            known_at=known_at,
            open_projects=stale.open_projects,
        )
