"""Request bodies and answers of the project endpoints: announce, record, list, read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta, Struct

from api.schemas import (
    Count,
    Country,
    Id,
    JobsOut,
    MoneyIn,
    MoneyOut,
    Recording,
    Region,
    Text,
    Version,
)


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


class TitleIn(Recording, kw_only=True):
    """The project's title in one reader's language (Uzbek in the Latin script); a later one
    for the same language replaces it, the title as entered stays."""

    language: Literal["en", "ru", "kk", "uz"]
    title: Text


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


class ProjectOut(Struct):
    id: UUID
    portfolio_id: UUID
    #: As entered; ``titles`` holds it in the readers' languages it was given in.
    title: str
    titles: dict[str, str]
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
