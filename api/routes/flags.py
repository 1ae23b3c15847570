"""Flags: the projects of a portfolio to look at twice, counted, at any moment."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from api.conditions import read_moment, today_utc
from api.params import AsOf, KnownAt, MinPosition, NoNewsDays, ReadModelDep, Tracker
from api.schemas.projects import FlaggedProjectOut, FlagsOut
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS
from tracker.readmodel.flags import count_flags, flags_of, rules_for
from tracker.readmodel.moments import Moment, projects_then


class FlagController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}"
    tags = ["reports"]

    @get("/flags", sync_to_thread=True, summary="Flagged projects, counted")
    def flags(
        self,
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> FlagsOut:
        """The projects announced by ``as_of`` (as recorded by ``known_at``), each judged as
        it was then: ``disbursed_above_committed`` (in US dollars at the portfolio's rates as
        known then; not judged while an amount has no rate), ``end_date_passed`` (planned end
        before ``as_of`` or today, not yet operational, closed or cancelled) and ``no_news``
        (open, no event effective in ``no_news_days`` days). Flagged projects by title."""
        as_of, known_at = read_moment(as_of, known_at)
        position = readmodel.wait_for(min_position)
        tracker.portfolio(portfolio_id)  # 404 for an unknown portfolio
        moment = Moment(as_of, known_at)
        rules = rules_for(moment, no_news_days, today_utc().date())

        with readmodel.report_budget(), readmodel.connection() as conn:
            rows = projects_then(conn, tracker, portfolio_id, moment)
            flags = flags_of(conn, tracker, rows, moment, rules)
        counted = count_flags(flags)
        by_id = {row.project_id: row for row in rows}
        items = sorted(
            (
                FlaggedProjectOut(UUID(pid), by_id[pid].title, by_id[pid].status, list(raised))
                for pid, raised in counted.flags.items()
            ),
            key=lambda item: (item.title, str(item.id)),
        )
        return FlagsOut(
            portfolio_id=portfolio_id,
            as_of=as_of,
            known_at=known_at,
            today=rules.reference,
            no_news_days=no_news_days,
            projects=counted.projects,
            flagged=counted.flagged,
            by_flag=counted.by_flag,
            items=items,
            position=position,
        )
