"""Translation between HTTP bodies and the domain's commands and aggregates."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from api import schemas as s
from tracker.application import RecordedEvent
from tracker.domain import commands as c
from tracker.domain.ledger import ProjectLedger
from tracker.domain.portfolio import Portfolio, Targets
from tracker.domain.status import IATI_ACTIVITY_STATUS
from tracker.domain.values import Envelope, Money, Source

_ENVELOPE_FIELDS = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "actor",
    "effective_date",
    "source",
    "idempotency_key",
    "command_digest",
}


def money(body: s.MoneyIn, field: str) -> Money:
    return Money.of(body.amount, body.currency, field=field)


def envelope(
    body: s.Recording,
    actor: str,
    *,
    today: date,
    idempotency_key: str | None,
    digest: str | None,
    default_date: date | None = None,
) -> Envelope:
    source = Source(body.source.title, body.source.url) if body.source else None
    effective = body.effective_date or default_date or today
    return Envelope(actor, effective, source, idempotency_key, digest, today=today)


def replacement(body: s.ReplacementIn) -> c.Replacement:
    def tup(values: list[str] | None) -> tuple[str, ...] | None:
        return None if values is None else tuple(values)

    return c.Replacement(
        amount=money(body.amount, "replacement.amount") if body.amount else None,
        effective_date=body.effective_date,
        permanent=body.permanent,
        temporary=body.temporary,
        name=body.name,
        title=body.title,
        sector=body.sector,
        regions=tup(body.regions),
        countries=tup(body.countries),
        parties=tup(body.parties),
        planned_investment=(
            money(body.planned_investment, "replacement.planned_investment")
            if body.planned_investment
            else None
        ),
        planned_jobs=body.planned_jobs,
        planned_start=body.planned_start,
        planned_end=body.planned_end,
    )


def command(body: s.ProjectEventIn) -> c.ProjectCommand:
    match body:
        case s.InvestmentCommittedIn():
            return c.CommitInvestment(money(body.amount, "amount"))
        case s.FundsDisbursedIn():
            return c.DisburseFunds(money(body.amount, "amount"))
        case s.JobsCreatedIn():
            return c.CreateJobs(body.permanent, body.temporary)
        case s.MilestoneIn():
            return c.ReachMilestone(body.name, body.description)
        case s.StatusChangedIn():
            return c.ChangeStatus(body.status, body.reason)
        case s.CompletedIn():
            return c.Complete(body.reason)
        case s.CancelledIn():
            return c.Cancel(body.reason)
        case s.CorrectedIn():
            return c.Correct(body.corrects, body.reason, replacement(body.replacement))
        case s.RetractedIn():
            return c.Retract(body.retracts, body.reason)
    raise TypeError(f"unknown event body {body!r}")  # pragma: no cover


def money_out(value: Money) -> s.MoneyOut:
    return s.MoneyOut(str(value.amount), value.currency)


def source_out(value: Source | None) -> s.SourceOut | None:
    return s.SourceOut(value.title, value.url) if value else None


def targets_out(t: Targets) -> s.TargetsOut:
    return s.TargetsOut(
        t.version,
        t.effective_date,
        money_out(t.investment),
        t.jobs,
        t.projects,
        source_out(t.source),
    )


def portfolio_out(p: Portfolio, as_of: date | None, known_at: datetime | None) -> s.PortfolioOut:
    in_force = p.targets_as_of(as_of)
    return s.PortfolioOut(
        id=p.id,
        name=p.name,
        forum=p.forum,
        established_on=p.established_on,
        illustrative=p.illustrative,
        version=p.version,
        targets=targets_out(in_force) if in_force else None,
        target_history=[targets_out(t) for t in p.targets],
        as_of=as_of,
        known_at=known_at,
    )


def project_out(
    ledger: ProjectLedger, as_of: date | None, known_at: datetime | None
) -> s.ProjectOut:
    """The project view, from the fold of its events (``tracker.project_ledger``)."""
    figures = ledger.figures_as_of(as_of)
    plan = ledger.plan
    return s.ProjectOut(
        id=ledger.id,
        portfolio_id=ledger.portfolio_id,
        title=plan.title,
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
        jobs_created=s.JobsOut(
            figures.jobs_permanent,
            figures.jobs_temporary,
            figures.jobs_permanent + figures.jobs_temporary,
        ),
        milestones=list(figures.milestones),
        announced_on=ledger.announced_on(),
        version=ledger.version,
        last_recorded_at=ledger.modified_on,
        as_of=as_of,
        known_at=known_at,
    )


def _plain(value: Any) -> Any:
    """Domain values as JSON-friendly data (amounts stay decimal strings)."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, c.Replacement):
        return {k: _plain(v) for k, v in value.given().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def event_payload(event: Any) -> dict[str, Any]:
    """Shared by a project's history and the global feed, so both show an event alike."""
    return {k: _plain(v) for k, v in vars(event).items() if k not in _ENVELOPE_FIELDS}


def event_out(recorded: RecordedEvent) -> s.EventOut:
    e = recorded.event
    payload = event_payload(e)
    return s.EventOut(
        type=type(e).KIND,
        version=e.originator_version,
        position=recorded.position,
        effective_date=e.effective_date,
        recorded_at=e.timestamp,
        actor=e.actor,
        source=source_out(e.source),
        payload=payload,
        corrected_by=list(recorded.corrected_by),
        retracted_by=recorded.retracted_by,
    )
