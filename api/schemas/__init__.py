"""Request and response bodies (msgspec structs); the OpenAPI document is built from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from msgspec import Meta, Struct, field

Amount = Annotated[
    str,
    Meta(
        pattern=r"^-?[0-9]{1,18}(\.[0-9]{1,6})?$",
        description="A decimal amount written as a JSON string; numbers are refused.",
        examples=["1500000.00"],
    ),
]
Currency = Annotated[
    str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["USD"])
]
Text = Annotated[str, Meta(min_length=1, max_length=500)]
#: An id in its one written form: lower-case hex with hyphens (``uuid.UUID`` would also take
#: upper case, braces, ``urn:uuid:`` and no hyphens).
CANONICAL_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
Id = Annotated[
    str,
    Meta(
        pattern=CANONICAL_ID,
        description="A UUID in lower case with hyphens",
        examples=["6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e"],
    ),
]
Count = Annotated[int, Meta(ge=0, le=1_000_000_000)]
Version = Annotated[int, Meta(ge=1, description="An event's version within its project")]
Region = Annotated[str, Meta(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$", examples=["KZ-61"])]
Country = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", examples=["KZ"])]


class MoneyIn(Struct, forbid_unknown_fields=True):
    amount: Amount
    currency: Currency


class SourceIn(Struct, forbid_unknown_fields=True):
    title: Text
    url: Annotated[str, Meta(pattern=r"^https?://", max_length=2000)] | None = None


class Recording(Struct, kw_only=True, forbid_unknown_fields=True):
    """What every write may say about the fact: when it happened and where it is written."""

    effective_date: date | None = field(default=None)
    source: SourceIn | None = None


class PortfolioIn(Recording, kw_only=True):
    name: Text
    forum: Text
    established_on: date
    illustrative: bool = False


class TargetsIn(Recording, kw_only=True):
    investment: MoneyIn
    jobs: Count
    projects: Count


class MoneyOut(Struct):
    amount: str
    currency: str


class SourceOut(Struct):
    title: str
    url: str | None


class RecordedOut(Struct):
    id: UUID
    version: int
    position: int


class TargetsOut(Struct):
    version: int
    effective_date: date
    investment: MoneyOut
    jobs: int
    projects: int
    source: SourceOut | None


class PortfolioOut(Struct):
    id: UUID
    name: str
    forum: str
    established_on: date
    illustrative: bool
    version: int
    targets: TargetsOut | None
    target_history: list[TargetsOut]
    rate_sets: list[UUID]
    as_of: date | None
    known_at: datetime | None


class JobsOut(Struct):
    permanent: int
    temporary: int
    total: int


class EventOut(Struct):
    type: str
    version: int
    position: int
    effective_date: date
    recorded_at: datetime
    actor: str
    source: SourceOut | None
    payload: dict[str, Any]
    corrected_by: list[int]
    retracted_by: int | None
    #: Recorded at a simulated time by the offline demo loader, not really then.
    recorded_at_simulated: bool = False


class HistoryOut(Struct):
    project_id: UUID
    events: list[EventOut]


class HealthOut(Struct):
    status: str
    detail: str | None = None


class TargetsInForceOut(Struct):
    version: int
    effective_date: date
    investment: MoneyOut
    investment_in_report_currency: str | None
    jobs: int
    projects: int
    source: SourceOut | None


class UnconvertedOut(Struct):
    currency: str
    amount: str
    count: int


class TotalOut(Struct):
    amount: str
    currency: str
    unconverted: list[UnconvertedOut]


class RatiosOut(Struct):
    committed_to_target: str | None
    disbursed_to_target: str | None
    jobs_to_target: str | None
    projects_to_target: str | None


class RateOut(Struct):
    """One rate of a rate set: units of ``currency`` per US dollar on ``date``."""

    currency: str
    date: date
    units_per_usd: str
    rate_set_id: UUID
    rate_set: str
    illustrative: bool
    source: SourceOut | None
    recorded_at: datetime | None


class RateSetSummaryOut(Struct):
    id: UUID
    name: str
    illustrative: bool
    recorded_at: datetime


class FiguresOut(Struct):
    pledged: TotalOut
    committed: TotalOut
    disbursed: TotalOut
    jobs_created: JobsOut
    #: The jobs the counted projects plan (cancelled ones excluded), as ``pledged`` is their
    #: investment.
    planned_jobs: int
    projects: int
    projects_by_status: dict[str, int]


class SharesOut(Struct):
    """Each figure as a share of what the counted projects plan (four places; null when
    they plan nothing), and the shortfall: plan minus actual (negative when ahead). Jobs are
    permanent and temporary together, against the planned jobs."""

    committed_to_plan: str | None
    disbursed_to_plan: str | None
    jobs_to_plan: str | None
    committed_shortfall: str
    disbursed_shortfall: str
    jobs_shortfall: int


class FiltersOut(Struct):
    """The projects a report was narrowed to (each as of ``as_of``); null: not narrowed."""

    sector: str | None = None
    region: str | None = None
    country: str | None = None
    status: str | None = None
    #: Only the projects carrying this flag at the report's moment (``any``: any flag) …
    flag: str | None = None
    #: … the silence, in days, after which an open project is flagged ``no_news``.
    no_news_days: int | None = None


class ProgressOut(Struct):
    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    currency: str
    targets: TargetsInForceOut | None
    pledged: TotalOut
    committed: TotalOut
    disbursed: TotalOut
    jobs_created: JobsOut
    #: The jobs the counted projects plan (cancelled ones excluded).
    planned_jobs: int
    projects: int
    projects_by_status: dict[str, int]
    ratios: RatiosOut
    shares_of_plan: SharesOut
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
    #: Which projects were counted: all, reported (from public reports) or illustrative.
    layer: str = "all"
    filters: FiltersOut | None = None


class SliceOut(Struct):
    key: str
    figures: FiguresOut
    shares_of_plan: SharesOut


class BreakdownOut(Struct):
    portfolio_id: UUID
    by: str
    as_of: date | None
    known_at: datetime | None
    currency: str
    slices: list[SliceOut]
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
    #: Which projects were counted: all, reported (from public reports) or illustrative.
    layer: str = "all"
    filters: FiltersOut | None = None
    #: The figure the slices are ordered by, and how (``key``, ``amount``, ``share``,
    #: ``shortfall``).
    figure: str = "committed"
    sort: str = "key"


class TimelinePointOut(Struct):
    period: str
    end: date
    figures: FiguresOut
    targets: TargetsInForceOut | None
    target_restated: bool


class TimelineOut(Struct):
    portfolio_id: UUID
    interval: str
    known_at: datetime | None
    currency: str
    points: list[TimelinePointOut]
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
    #: Which projects were counted: all, reported (from public reports) or illustrative.
    layer: str = "all"
    filters: FiltersOut | None = None
    #: Set when the portfolio's first fact lies further back than the timeline's 240 periods:
    #: the start of the first period it keeps.
    left_out_before: date | None = None


class PortfolioSummaryOut(Struct):
    """A portfolio as listed: what names it and when it was established and recorded."""

    id: UUID
    name: str
    forum: str
    established_on: date
    illustrative: bool
    recorded_at: datetime


class PortfolioPageOut(Struct):
    items: list[PortfolioSummaryOut]
    next_cursor: str | None
    position: int
    as_of: date | None = None
    known_at: datetime | None = None


class FeedEventOut(Struct):
    """One event of the global log, of any project or portfolio."""

    position: int
    aggregate_type: str
    aggregate_id: UUID
    type: str
    version: int
    effective_date: date
    recorded_at: datetime
    actor: str
    source: SourceOut | None
    payload: dict[str, Any]
    #: Recorded at a simulated time by the offline demo loader, not really then.
    recorded_at_simulated: bool = False


class FeedOut(Struct):
    items: list[FeedEventOut]
    next_after: int


class ImportedRowOut(Struct):
    line: int
    row_id: str
    type: str
    ref: str
    outcome: str


class FileReadOut(Struct):
    """How the file was read: found from it (encoding, separator, sheet) or as asked."""

    kind: str
    encoding: str | None
    separator: str | None
    sheet: str | None
    number_format: str
    date_format: str
    summary: str


class ImportOut(Struct):
    dry_run: bool
    rows_total: int
    new: int
    already_recorded: int
    events_recorded: int
    position: int | None
    seconds: float
    read_as: FileReadOut | None
    rows: list[ImportedRowOut]  # last: the answer streams it
