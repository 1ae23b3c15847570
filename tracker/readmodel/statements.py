"""Portfolio-level statements beside the figures the tracker holds for the same measure.

A statement ("60 projects, 11 of them done worth USD 144 M", 3 May 2024) is shown, never
added to anything. For the measures the tracker can count itself, each statement comes with
the tracked figure for the same day, as known at the report's ``known_at``: the projects in
the stated stage and their planned investment, or for documents signed, what the register
of documents itemised by that day. The other measures stand alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from tracker.domain.status import Status
from tracker.readmodel import tables as t
from tracker.readmodel.database import known_rows
from tracker.readmodel.documents import document_register
from tracker.readmodel.fx import RateBook
from tracker.readmodel.reports import ReportQuery, projects_as_of
from tracker.readmodel.totals import Total

#: The statuses each measure counts (the rest are not compared with projects).
STAGES: dict[str, frozenset[str]] = {
    "portfolio": frozenset(s.value for s in Status) - {Status.CANCELLED.value},
    "completed": frozenset({Status.OPERATIONAL.value, Status.CLOSED.value}),
    "under_implementation": frozenset({Status.UNDER_IMPLEMENTATION.value}),
    "in_development": frozenset(
        {Status.ANNOUNCED.value, Status.AGREED.value, Status.IN_PREPARATION.value}
    ),
}


@dataclass(frozen=True)
class Tracked:
    """What the tracker holds for a statement's measure on its day."""

    projects: int
    planned: Total
    planned_jobs: int


@dataclass(frozen=True)
class Itemised:
    """What the register of documents itemised by a ``documents_signed`` statement's day."""

    documents: int
    value: Total


@dataclass(frozen=True)
class StatementRow:
    version: int
    effective_date: date
    measure: str
    summary: str
    count: int | None
    amount: Decimal | None
    currency: str | None
    amount_converted: Decimal | None
    jobs: int | None
    source_title: str | None
    source_url: str | None
    tracked: Tracked | None
    itemised: Itemised | None = None


def statements(conn: Connection, query: ReportQuery) -> list[StatementRow]:
    """The statements made by ``as_of`` and recorded by ``known_at``, oldest first, each with
    the tracked figures of its day (as known at ``known_at``)."""
    table = t.statements
    conditions: list[Any] = [table.c.portfolio_id == str(query.portfolio_id)]
    conditions += known_rows(table, query.known_at)
    if query.as_of is not None:
        conditions.append(table.c.effective_date <= query.as_of)
    rows = conn.execute(
        select(table).where(*conditions).order_by(table.c.effective_date, table.c.version)
    ).all()
    if not rows:
        return []
    book = RateBook.load(conn, query.portfolio_id, query.known_at, query.fx_date)
    found = []
    for row in rows:
        converted = (
            book.convert(row.amount, row.currency, row.effective_date, query.currency)
            if row.amount is not None
            else None
        )
        itemised = None
        if row.measure == "documents_signed":
            register = document_register(
                conn,
                query.portfolio_id,
                row.effective_date,
                query.known_at,
                query.currency,
                query.fx_date,
            )
            itemised = Itemised(register.count, register.total)
        stages = STAGES.get(row.measure)
        tracked = (
            _tracked(conn, replace(query, as_of=row.effective_date), book, stages)
            if stages
            else None
        )
        found.append(
            StatementRow(
                version=row.version,
                effective_date=row.effective_date,
                measure=row.measure,
                summary=row.summary,
                count=row._mapping["count"],
                amount=row.amount,
                currency=row.currency,
                amount_converted=converted,
                jobs=row.jobs,
                source_title=row.source_title,
                source_url=row.source_url,
                tracked=tracked,
                itemised=itemised,
            )
        )
    return found


def _tracked(
    conn: Connection, query: ReportQuery, book: RateBook, stages: frozenset[str]
) -> Tracked:
    planned = Total(query.currency)
    projects = jobs = 0
    for project in projects_as_of(conn, query).values():
        if project.status not in stages:
            continue
        projects += 1
        jobs += project.planned_jobs
        planned.add(book, project.planned_investment, project.currency, project.announced_on, 1)
    return Tracked(projects, planned, jobs)
