"""A project: its figures from the fold of its events, and its row in lists of projects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api import schemas as s
from api.presenters.values import exact_amount, jobs_out, money_out
from api.schemas import projects as project_schemas
from tracker.domain.ledger import ProjectLedger
from tracker.domain.status import IATI_ACTIVITY_STATUS
from tracker.readmodel.queries import ProjectRow


def project_out(
    ledger: ProjectLedger,
    as_of: date | None,
    known_at: datetime | None,
    flags: Sequence[str] = (),
) -> project_schemas.ProjectOut:
    """The project view, from the fold of its events (``tracker.project_ledger``), with
    the flags the read model raised on it at the same moment."""
    figures = ledger.figures_as_of(as_of)
    plan = ledger.plan
    return project_schemas.ProjectOut(
        id=ledger.id,
        portfolio_id=ledger.portfolio_id,
        title=plan.title,
        titles=dict(ledger.titles),
        sector=plan.sector,
        regions=list(plan.regions),
        countries=list(plan.countries),
        parties=list(plan.parties),
        illustrative=ledger.illustrative,
        status=figures.status.value,
        iati_activity_status=IATI_ACTIVITY_STATUS[figures.status],
        planned_investment=money_out(plan.planned_investment),
        planned_jobs=plan.planned_jobs,
        planned_start=plan.planned_start,
        planned_end=plan.planned_end,
        committed=[money_out(m) for m in figures.committed],
        disbursed=[money_out(m) for m in figures.disbursed],
        jobs_created=jobs_out(figures.jobs_permanent, figures.jobs_temporary),
        milestones=list(figures.milestones),
        announced_on=ledger.announced_on(),
        version=ledger.version,
        last_recorded_at=ledger.modified_on,
        flags=list(flags),
        as_of=as_of,
        known_at=known_at,
    )


def _summary(row: ProjectRow) -> dict[str, Any]:
    return {
        "id": UUID(row.project_id),
        "portfolio_id": UUID(row.portfolio_id),
        "title": row.title,
        "sector": row.sector,
        "regions": list(row.regions),
        "countries": list(row.countries),
        "status": row.status,
        "planned_investment": s.MoneyOut(exact_amount(row.planned_investment), row.currency),
        "planned_jobs": row.planned_jobs,
        "illustrative": row.illustrative,
        "announced_on": row.announced_on,
        "last_event_on": row.last_event_on,
        "version": row.version,
    }


def summary_out(row: ProjectRow) -> project_schemas.ProjectSummaryOut:
    """A project in a list, as the read model currently holds it."""
    return project_schemas.ProjectSummaryOut(**_summary(row))


def stale_out(row: ProjectRow, today: date) -> project_schemas.StaleProjectOut:
    return project_schemas.StaleProjectOut(
        **_summary(row), days_since_last_event=(today - row.last_event_on).days
    )
