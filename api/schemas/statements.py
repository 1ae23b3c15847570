"""Portfolio-level statements and what the tracker held beside them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta, Struct

from api.schemas import Count, MoneyIn, MoneyOut, Recording, SourceOut, TotalOut

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
