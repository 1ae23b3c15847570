"""Request and response bodies (msgspec structs); the OpenAPI document is built from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
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


class ProjectIn(Recording, kw_only=True):
    portfolio_id: Id
    title: Text
    sector: Annotated[str, Meta(min_length=1, max_length=100)]
    regions: list[Region] = []
    countries: list[Country] = []
    parties: list[Text] = []
    planned_investment: MoneyIn
    planned_jobs: Count = 0
    planned_start: date | None = None
    planned_end: date | None = None
    illustrative: bool = False


class ReplacementIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """Replacement values; give only those that change."""

    amount: MoneyIn | None = None
    effective_date: date | None = None
    permanent: Count | None = None
    temporary: Count | None = None
    name: Text | None = None
    title: Text | None = None
    sector: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    regions: list[Region] | None = None
    countries: list[Country] | None = None
    parties: list[Text] | None = None
    planned_investment: MoneyIn | None = None
    planned_jobs: Count | None = None
    planned_start: date | None = None
    planned_end: date | None = None


class InvestmentCommittedIn(Recording, kw_only=True, tag_field="type", tag="committed"):
    amount: MoneyIn


class FundsDisbursedIn(Recording, kw_only=True, tag_field="type", tag="disbursed"):
    amount: MoneyIn


class JobsCreatedIn(Recording, kw_only=True, tag_field="type", tag="jobs_created"):
    permanent: Count = 0
    temporary: Count = 0


class MilestoneIn(Recording, kw_only=True, tag_field="type", tag="milestone"):
    name: Text
    description: Annotated[str, Meta(max_length=5000)] | None = None


class StatusChangedIn(Recording, kw_only=True, tag_field="type", tag="status_changed"):
    status: Literal[
        "agreed", "in_preparation", "under_implementation", "operational", "suspended", "resumed"
    ]
    reason: Text | None = None


class CompletedIn(Recording, kw_only=True, tag_field="type", tag="completed"):
    reason: Text | None = None


class CancelledIn(Recording, kw_only=True, tag_field="type", tag="cancelled"):
    reason: Text


class CorrectedIn(Recording, kw_only=True, tag_field="type", tag="corrected"):
    corrects: Version
    reason: Text
    replacement: ReplacementIn


class RetractedIn(Recording, kw_only=True, tag_field="type", tag="retracted"):
    retracts: Version
    reason: Text


ProjectEventIn = (
    InvestmentCommittedIn
    | FundsDisbursedIn
    | JobsCreatedIn
    | MilestoneIn
    | StatusChangedIn
    | CompletedIn
    | CancelledIn
    | CorrectedIn
    | RetractedIn
)


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


class ProjectOut(Struct):
    id: UUID
    portfolio_id: UUID
    title: str
    sector: str
    regions: list[str]
    countries: list[str]
    parties: list[str]
    illustrative: bool
    status: str
    iati_activity_status: int
    planned_investment: MoneyOut
    planned_jobs: int
    planned_start: date | None
    planned_end: date | None
    committed: list[MoneyOut]
    disbursed: list[MoneyOut]
    jobs_created: JobsOut
    milestones: list[str]
    announced_on: date
    version: int
    last_recorded_at: datetime
    #: What to look at twice at the moment (``disbursed_above_committed``, ``end_date_passed``,
    #: ``no_news``); see ``GET /api/v1/portfolios/{id}/flags``.
    flags: list[str]
    as_of: date | None
    known_at: datetime | None


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


class ProjectSummaryOut(Struct):
    """A project as listed: its current state in the read model."""

    id: UUID
    portfolio_id: UUID
    title: str
    sector: str
    regions: list[str]
    countries: list[str]
    status: str
    planned_investment: MoneyOut
    planned_jobs: int
    illustrative: bool
    announced_on: date
    last_event_on: date
    version: int


class ProjectPageOut(Struct):
    items: list[ProjectSummaryOut]
    next_cursor: str | None
    position: int
    as_of: date | None = None
    known_at: datetime | None = None


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


class StaleProjectOut(ProjectSummaryOut):
    days_since_last_event: int


class StaleOut(Struct):
    portfolio_id: UUID
    days: int
    today: date  # the day silence is counted to: ``as_of`` when asked, else today (UTC)
    items: list[StaleProjectOut]
    position: int
    as_of: date | None = None
    known_at: datetime | None = None
    open_projects: int | None = None  # how many projects were open at the moment


class FlaggedProjectOut(Struct):
    id: UUID
    title: str
    status: str
    flags: list[str]


class FlagsOut(Struct):
    """How many of a portfolio's projects are flagged at a moment, and which."""

    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    today: date  # the day end dates and silence are judged on: ``as_of`` when asked, else today
    no_news_days: int
    projects: int  # the projects announced by then
    flagged: int  # of them, those with at least one flag
    by_flag: dict[str, int]
    items: list[FlaggedProjectOut]
    position: int


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
