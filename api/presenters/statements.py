"""Portfolio-level statements with the tracked figures of their day."""

from __future__ import annotations

from api import schemas as s
from api.presenters.reports import total_out
from api.presenters.values import exact_amount, in_cents
from api.schemas import statements as statement_schemas
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.statements import StatementRow


def statements_out(query: ReportQuery, rows: list[StatementRow]) -> statement_schemas.StatementsOut:
    return statement_schemas.StatementsOut(
        portfolio_id=query.portfolio_id,
        as_of=query.as_of,
        known_at=query.known_at,
        currency=query.currency,
        items=[statement_out(row) for row in rows],
    )


def statement_out(row: StatementRow) -> statement_schemas.StatementOut:
    tracked = row.tracked
    return statement_schemas.StatementOut(
        version=row.version,
        effective_date=row.effective_date,
        measure=row.measure,
        summary=row.summary,
        count=row.count,
        amount=(
            s.MoneyOut(exact_amount(row.amount), row.currency)
            if row.amount is not None and row.currency
            else None
        ),
        amount_in_report_currency=(
            in_cents(row.amount_converted) if row.amount_converted is not None else None
        ),
        jobs=row.jobs,
        source=s.SourceOut(row.source_title, row.source_url) if row.source_title else None,
        tracked=(
            statement_schemas.TrackedOut(
                tracked.projects, total_out(tracked.planned), tracked.planned_jobs
            )
            if tracked
            else None
        ),
        itemised=(
            statement_schemas.ItemisedOut(row.itemised.documents, total_out(row.itemised.value))
            if row.itemised
            else None
        ),
    )
