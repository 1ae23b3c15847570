"""What changed in a portfolio between two moments: figures, their causes, the events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.params import (
    CountryCode,
    Currency,
    FlagFilter,
    Layer,
    MinPosition,
    NoNewsDays,
    ReadModelDep,
    RegionCode,
    Sector,
    StatusFilter,
    Tracker,
    changes_moments,
    report_filters,
    report_query,
)
from api.presenters.changes import changed_event_out, changes_out
from api.schemas.changes import ChangesOut
from tracker.readmodel.activity import MAX_PAGE, what_changed
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS

MAX_CONTRIBUTIONS = 500

KnownFrom = Annotated[
    datetime | None,
    QueryParameter(
        description="The start's `known_at` (RFC 3339): what had been recorded by then. "
        "With it, `events` lists what was recorded after it."
    ),
]
KnownTo = Annotated[
    datetime | None,
    QueryParameter(
        description="The end's `known_at` (RFC 3339); without it, now. Needs `known_from`."
    ),
]
AsOfFrom = Annotated[
    date | None,
    QueryParameter(description="The start's `as_of`: facts effective by that day."),
]
AsOfTo = Annotated[
    date | None,
    QueryParameter(
        description="The end's `as_of`; without it, every fact (the latest). Needs `as_of_from`."
    ),
]


class ChangesController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}"
    tags = ["reports"]

    @get("/changes", sync_to_thread=True, summary="What changed between two moments")
    def changes(
        self,
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        known_from: KnownFrom = None,
        known_to: KnownTo = None,
        as_of_from: AsOfFrom = None,
        as_of_to: AsOfTo = None,
        currency: Currency = "USD",
        layer: Layer = "all",
        sector: Sector = None,
        region: RegionCode = None,
        country: CountryCode = None,
        status: StatusFilter = None,
        flag: FlagFilter = None,
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
        contributions: Annotated[
            int,
            QueryParameter(
                ge=1,
                le=MAX_CONTRIBUTIONS,
                description="List at most this many contributions per figure, the largest "
                "first; the rest are summed into one of kind `others`.",
            ),
        ] = 20,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
        cursor: Annotated[
            str | None, QueryParameter(max_length=200, description="`next_cursor` as given.")
        ] = None,
        min_position: MinPosition = None,
    ) -> ChangesOut:
        """Every headline figure of the progress report at two moments, each difference
        explained by what caused it, and the events recorded in between.

        A moment is a `known_at` (what had been recorded by then) and an `as_of` day (facts
        effective by then), as for every report. Compare two **known-at moments**
        (`known_from`, `known_to`: what was recorded in between, and how it moved the
        figures), two **days** (`as_of_from`, `as_of_to`: how the figures moved between them,
        as known now), or both at once. A missing end is the latest; the end may not come
        before the start on either axis.

        Each figure's `contributions` add up to its `difference` exactly. A contribution's
        cause is a project (the events that changed its facts, plan or status between the
        moments), a move of exchange rates (a rate corrected, published or withdrawn, or
        the portfolio's choice of rate sets: the same amounts converted otherwise, with the
        rate known at each moment), or the targets restated. `events` lists the events
        recorded between the two `known_at`, newest first, a page at a time.

        The filters (`layer`, `sector`, `region`, `country`, `status`, `flag`) are those of
        the progress report, judged at each moment: a project counted at one moment and
        not the other (its status changed, it became flagged) contributes all it counted,
        as a cause of its own; `events` then lists only the events of the projects
        counted at either moment, besides the portfolio's own."""
        start, end = changes_moments((known_from, known_to), (as_of_from, as_of_to))
        position = readmodel.wait_for(min_position)
        scope = report_filters(layer, sector, region, country, status, flag, no_news_days)
        first = report_query(tracker, portfolio_id, *start, currency, "latest", scope)
        last = replace(first, as_of=end[0], known_at=end[1])
        found = readmodel.report(
            lambda conn: what_changed(
                conn, first, last, limit=limit, cursor=cursor, contributions=contributions
            )
        )
        entries = found.page.entries if found.page else []
        events = tracker.events_at_positions(e.position for e in entries)
        listed = [changed_event_out(e, events[e.position], found.titles) for e in entries]
        return changes_out(
            found.changes,
            listed,
            found.page.next_cursor if found.page else None,
            limit=contributions,
            titles=found.titles,
            position=position,
        )
