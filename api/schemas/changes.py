"""What changed between two moments: the headline figures at each and what moved them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from msgspec import Struct

from api.schemas import FiltersOut, RateOut, SourceOut


class MomentOut(Struct):
    """One end of the comparison: effective ``as_of`` (none: every fact) and ``known_at``
    (none: everything recorded when the answer was computed)."""

    as_of: date | None
    known_at: datetime | None


class RateMoveOut(Struct):
    """The rate one currency converted with on a value date, as known at each moment."""

    currency: str
    start: RateOut | None
    end: RateOut | None


class CauseOut(Struct):
    """What moved a figure.

    ``project``: the project's events between the moments (``positions``, global positions
    in the log: each is listed in ``events`` when recorded between the two ``known_at``, and
    readable at ``GET /api/v1/events?after=<position - 1>&limit=1``); ``rates``: the same
    amounts converted with other rates (``rates``); ``targets``: the targets restated
    (``positions``); ``others``: the smaller contributions not listed, ``count`` of them.
    """

    kind: Literal["project", "rates", "targets", "others"]
    project_id: UUID | None = None
    project_title: str | None = None
    positions: list[int] = []
    rates: list[RateMoveOut] = []
    count: int | None = None


class ContributionOut(Struct):
    cause: CauseOut
    amount: str


class FigureChangeOut(Struct):
    """One headline figure at both moments, and what moved it.

    ``figure``: ``pledged``, ``committed``, ``disbursed`` (in ``unit``, the report
    currency; or, with ``unconverted``, the amounts of that currency left unconverted, and
    ``counting``: how many they are), ``jobs_permanent``, ``jobs_temporary``, ``projects``,
    ``projects.<status>``, ``target_investment``, ``target_jobs``, ``target_projects``.
    Money is rounded to cents, and the contributions are rounded so that they add up to
    ``difference`` exactly (largest remainders); counts are exact.
    """

    figure: str
    unit: str
    start: str
    end: str
    difference: str
    contributions: list[ContributionOut]
    unconverted: str | None = None
    counting: bool = False


class ChangedEventOut(Struct):
    """An event recorded between the two ``known_at``."""

    position: int
    aggregate_type: str
    aggregate_id: UUID
    type: str
    summary: str
    effective_date: date
    recorded_at: datetime
    actor: str
    source: SourceOut | None
    project_id: UUID | None = None
    project_title: str | None = None
    recorded_at_simulated: bool = False


class ChangesOut(Struct):
    portfolio_id: UUID
    currency: str
    layer: str
    start: MomentOut
    end: MomentOut
    figures: list[FigureChangeOut]
    #: Recorded between the two ``known_at`` (none when both are the present), newest first.
    events: list[ChangedEventOut]
    #: Pass as ``cursor`` for the next page of ``events``; none on the last page.
    next_cursor: str | None
    position: int
    #: The projects both moments were narrowed to (each judged at its moment); null: not
    #: narrowed.
    filters: FiltersOut | None = None
