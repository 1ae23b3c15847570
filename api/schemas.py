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
    projects: int
    projects_by_status: dict[str, int]


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
    projects: int
    projects_by_status: dict[str, int]
    ratios: RatiosOut
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
    #: Which projects were counted: all, reported (from public reports) or illustrative.
    layer: str = "all"


class SliceOut(Struct):
    key: str
    figures: FiguresOut


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
    #: Set when the portfolio's first fact lies further back than the timeline's 240 periods:
    #: the start of the first period it keeps.
    left_out_before: date | None = None


class RateIn(Struct, forbid_unknown_fields=True):
    date: date
    currency: Currency
    units_per_usd: Amount


class RateSetIn(Recording, kw_only=True):
    name: Text
    illustrative: bool = False


class RatesIn(Recording, kw_only=True):
    rates: Annotated[list[RateIn], Meta(min_length=1, max_length=50_000)]


class RateCorrectionIn(Recording, kw_only=True):
    date: date
    currency: Currency
    units_per_usd: Amount
    reason: Text


class RateWithdrawalIn(Recording, kw_only=True):
    date: date
    currency: Currency
    reason: Text


class RateSetChoiceIn(Recording, kw_only=True):
    """The rate sets a portfolio converts with, the first with a rate for a currency winning."""

    rate_sets: Annotated[list[UUID], Meta(max_length=10)]


class RateSetOut(Struct):
    id: UUID
    name: str
    illustrative: bool
    version: int
    known_at: datetime | None
    rates: list[RateOut]


class RateImportOut(Struct):
    id: UUID
    version: int
    position: int
    rates_in_file: int
    rates_new: int


class RateSetsOut(Struct):
    items: list[RateSetSummaryOut]


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


class ImportOut(Struct):
    dry_run: bool
    rows_total: int
    new: int
    already_recorded: int
    events_recorded: int
    position: int | None
    seconds: float
    rows: list[ImportedRowOut]


StatementMeasure = Literal[
    "portfolio",
    "completed",
    "under_implementation",
    "in_development",
    "documents_signed",
    "agreed",
    "launched",
    "programme",
    "other",
]


class StatementIn(Recording, kw_only=True):
    """What an official said of the whole portfolio; ``source`` is required."""

    measure: StatementMeasure
    summary: Annotated[str, Meta(min_length=1, max_length=1000)]
    count: Count | None = None
    amount: MoneyIn | None = None
    jobs: Count | None = None


class TrackedOut(Struct):
    """What the tracker held for the statement's measure on its day."""

    projects: int
    planned: TotalOut
    planned_jobs: int


class ItemisedOut(Struct):
    """What the register of documents itemised by the statement's day."""

    documents: int
    value: TotalOut


class StatementOut(Struct):
    version: int
    effective_date: date
    measure: str
    summary: str
    count: int | None
    amount: MoneyOut | None
    amount_in_report_currency: str | None
    jobs: int | None
    source: SourceOut | None
    tracked: TrackedOut | None
    itemised: ItemisedOut | None = None


class StatementsOut(Struct):
    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    currency: str
    items: list[StatementOut]


# Documents: the register of signed documents (docs/documents.md)

DocumentKindName = Literal["agreement", "memorandum", "contract", "roadmap", "action_plan", "other"]
DocumentStatusName = Literal["signed", "in_force", "fulfilled", "lapsed", "withdrawn"]
Parties = Annotated[list[Text], Meta(max_length=50)]
LinkedProjects = Annotated[list[Id], Meta(max_length=500)]


class DocumentIn(Recording, kw_only=True):
    """A document signed on ``signed_on`` (its effective date) at a forum or meeting."""

    portfolio_id: Id
    title: Text
    kind: DocumentKindName
    signed_on: date
    forum: Text | None = None
    parties: Parties = []
    value: MoneyIn | None = None
    projects: LinkedProjects = []


class EnteredIntoForceIn(Recording, kw_only=True, tag_field="type", tag="entered_into_force"):
    pass


class FulfilledIn(Recording, kw_only=True, tag_field="type", tag="fulfilled"):
    pass


class DocumentAmendedIn(Recording, kw_only=True, tag_field="type", tag="amended"):
    """Give only what changes: a new value, title, parties or linked projects."""

    reason: Text
    title: Text | None = None
    parties: Parties | None = None
    value: MoneyIn | None = None
    projects: LinkedProjects | None = None


class LapsedIn(Recording, kw_only=True, tag_field="type", tag="lapsed"):
    reason: Text


class WithdrawnIn(Recording, kw_only=True, tag_field="type", tag="withdrawn"):
    reason: Text


DocumentEventIn = EnteredIntoForceIn | FulfilledIn | DocumentAmendedIn | LapsedIn | WithdrawnIn


class DocumentOut(Struct):
    """A document as it was at the moment asked for (its latest version then)."""

    id: UUID
    portfolio_id: UUID
    title: str
    kind: str
    signed_on: date
    forum: str | None
    parties: list[str]
    value: MoneyOut | None
    #: When the value was stated: on signing, or by the amendment that set it.
    value_date: date | None
    projects: list[UUID]
    status: str
    version: int
    last_event_on: date
    source: SourceOut | None
    recorded_at: datetime
    as_of: date | None = None
    known_at: datetime | None = None


class DocumentPageOut(Struct):
    items: list[DocumentOut]
    next_cursor: str | None
    position: int
    as_of: date | None = None
    known_at: datetime | None = None


class DocumentHistoryOut(Struct):
    document_id: UUID
    events: list[EventOut]


class DocumentRegisterOut(Struct):
    """A portfolio's register: documents signed by ``as_of`` as known at ``known_at``, and
    the sum of the values they state. Not investment delivered: counted apart from projects."""

    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    currency: str
    documents: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    documents_with_value: int
    total_value: TotalOut
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int


# Indicators (issue 14): figures a portfolio follows beyond its projects

PeriodKindName = Literal["month", "quarter", "year", "to_date"]


class PeriodIn(Struct, forbid_unknown_fields=True):
    """The days a figure covers, both included: a whole calendar month, quarter or year, or
    a period to date (any first day to the day the figure was counted to)."""

    start: date
    end: date
    kind: PeriodKindName


class QuantityIn(Struct, forbid_unknown_fields=True):
    """A value in the indicator's unit: with a currency for a money indicator, without one
    for a count."""

    amount: Amount
    currency: Currency | None = None


class IndicatorIn(Recording, kw_only=True):
    """A money indicator names its ``currency``; a counted one its ``unit`` ("goods")."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    currency: Currency | None = None
    unit: Annotated[str, Meta(min_length=1, max_length=50)] | None = None
    description: Annotated[str, Meta(min_length=1, max_length=2000)] | None = None


class ObservationIn(Recording, kw_only=True):
    """``effective_date``: the day the figure was published (default: the period's end)."""

    period: PeriodIn
    value: QuantityIn


class ObservationCorrectionIn(Recording, kw_only=True):
    period: PeriodIn
    value: QuantityIn
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class ObservationRetractionIn(Recording, kw_only=True):
    period: PeriodIn
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class IndicatorTargetIn(Recording, kw_only=True):
    """``effective_date``: the day the target was stated; ``per``: the kind of period the
    value is for (``year``: an annual figure), when only such observations compare."""

    value: QuantityIn
    target_date: date
    per: PeriodKindName | None = None


class PeriodOut(Struct):
    start: date
    end: date
    kind: str
    label: str


class QuantityOut(Struct):
    amount: str
    currency: str | None


class ObservationOut(Struct):
    period: PeriodOut
    value: QuantityOut
    #: In the report's currency (a count: the value); ``None``: no rate converts it.
    value_in_report_currency: str | None
    effective_date: date
    source: SourceOut | None
    recorded_at: datetime
    correction_reason: str | None


class IndicatorTargetOut(Struct):
    version: int
    value: QuantityOut
    value_in_report_currency: str | None
    target_date: date
    per: str | None
    effective_date: date
    source: SourceOut | None
    recorded_at: datetime


class IndicatorOut(Struct):
    id: UUID
    portfolio_id: UUID
    name: str
    currency: str | None
    unit: str | None
    description: str | None
    #: The currency values are reported in (``None`` for a count).
    report_currency: str | None
    observations: list[ObservationOut]
    target: IndicatorTargetOut | None
    target_history: list[IndicatorTargetOut]
    #: The observation progress is measured with: the one that ends last (of the target's
    #: kind of period, when it names one).
    latest: ObservationOut | None
    progress_to_target: str | None
    unconverted: list[ObservationOut]


class IndicatorsOut(Struct):
    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    items: list[IndicatorOut]
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int


class IndicatorReportOut(Struct):
    indicator: IndicatorOut
    version: int
    as_of: date | None
    known_at: datetime | None
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
