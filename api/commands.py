"""Request bodies to the domain's commands, and what every write carries with them.

A write's body becomes a command (or a plan, or rates) here; its envelope names the actor (the
key's name), the effective date, the source and the idempotency key; its scope is the
portfolio a scoped key may write to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request

from api import schemas as s
from api.auth import principal_of
from api.conditions import idempotency_key, request_digest, today_utc
from api.schemas import documents as document_schemas
from api.schemas import indicators as indicator_schemas
from api.schemas import projects as project_schemas
from api.schemas import rates as rates_schemas
from tracker.domain import commands as c
from tracker.domain.document import Amendment, Document, DocumentTerms
from tracker.domain.errors import N_, ValidationError
from tracker.domain.indicator import Period, PeriodKind, Quantity
from tracker.domain.plan import Plan
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money, Source, parse_amount


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


def write_envelope(
    request: Request[Any, Any, Any],
    body: s.Recording,
    key_header: str | None,
    **defaults: Any,
) -> Envelope:
    """The envelope of a write: its key's name is the actor, stored on the event."""
    key = idempotency_key(key_header)
    digest = request_digest(request.method, request.url.path, body) if key else None
    principal = principal_of(request)
    return envelope(
        body,
        principal.name if principal else "anonymous",
        today=today_utc().date(),
        idempotency_key=key,
        digest=digest,
        **defaults,
    )


def scope_of(request: Request[Any, Any, Any]) -> UUID | None:
    """The portfolio a scoped key may write to (``None``: any)."""
    principal = principal_of(request)
    return principal.portfolio_id if principal else None


def plan(body: project_schemas.ProjectIn) -> Plan:
    """What an announced project plans."""
    return Plan(
        title=body.title,
        sector=body.sector,
        regions=tuple(body.regions),
        countries=tuple(body.countries),
        parties=tuple(body.parties),
        planned_investment=money(body.planned_investment, "planned_investment"),
        planned_jobs=body.planned_jobs,
        planned_start=body.planned_start,
        planned_end=body.planned_end,
    )


def replacement(body: project_schemas.ReplacementIn) -> c.Replacement:
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


def command(body: project_schemas.ProjectEventIn) -> c.ProjectCommand:
    match body:
        case project_schemas.InvestmentCommittedIn():
            return c.CommitInvestment(money(body.amount, "amount"))
        case project_schemas.FundsDisbursedIn():
            return c.DisburseFunds(money(body.amount, "amount"))
        case project_schemas.JobsCreatedIn():
            return c.CreateJobs(body.permanent, body.temporary)
        case project_schemas.MilestoneIn():
            return c.ReachMilestone(body.name, body.description)
        case project_schemas.StatusChangedIn():
            return c.ChangeStatus(body.status, body.reason)
        case project_schemas.CompletedIn():
            return c.Complete(body.reason)
        case project_schemas.CancelledIn():
            return c.Cancel(body.reason)
        case project_schemas.CorrectedIn():
            return c.Correct(body.corrects, body.reason, replacement(body.replacement))
        case project_schemas.RetractedIn():
            return c.Retract(body.retracts, body.reason)
    raise TypeError(f"unknown event body {body!r}")  # pragma: no cover


def title_translation(body: project_schemas.TitleIn) -> c.TranslateTitle:
    return c.TranslateTitle(body.language, body.title)


def published_rate(
    body: rates_schemas.RateIn | rates_schemas.RateCorrectionIn, prefix: str = ""
) -> PublishedRate:
    units = parse_amount(body.units_per_usd, field=f"{prefix}units_per_usd")
    return PublishedRate(body.currency, body.date, units)


def published_rates(body: rates_schemas.RatesIn) -> list[PublishedRate]:
    """The rates of a publication (the rate set checks them all before any is recorded)."""
    return [published_rate(rate, f"rates[{index}].") for index, rate in enumerate(body.rates)]


def document_terms(body: document_schemas.DocumentIn) -> DocumentTerms:
    """What a signed document says; its effective date is the day it was signed."""
    if body.effective_date is not None and body.effective_date != body.signed_on:
        raise ValidationError(
            N_(
                "a document's effective date is the day it was signed: leave it out, or give "
                "signed_on"
            ),
            field="effective_date",
        )
    return DocumentTerms(
        title=body.title,
        kind=body.kind,
        forum=body.forum,
        parties=tuple(body.parties),
        value=money(body.value, "value") if body.value else None,
        projects=tuple(UUID(p) for p in body.projects),
    )


DocumentChange = Callable[[Document, Envelope], None]


def document_change(
    body: document_schemas.DocumentEventIn,
) -> tuple[DocumentChange, tuple[UUID, ...]]:
    """What an event body does to a document, and the projects it links (an amendment's)."""
    match body:
        case document_schemas.EnteredIntoForceIn():
            return (lambda d, e: d.enter_into_force(e)), ()
        case document_schemas.FulfilledIn():
            return (lambda d, e: d.fulfil(e)), ()
        case document_schemas.LapsedIn():
            reason = body.reason
            return (lambda d, e: d.lapse(reason, e)), ()
        case document_schemas.WithdrawnIn():
            reason = body.reason
            return (lambda d, e: d.withdraw(reason, e)), ()
        case document_schemas.DocumentAmendedIn():
            linked = None if body.projects is None else tuple(UUID(p) for p in body.projects)
            amendment = Amendment(
                reason=body.reason,
                title=body.title,
                parties=None if body.parties is None else tuple(body.parties),
                value=money(body.value, "value") if body.value else None,
                projects=linked,
            )
            return (lambda d, e: d.amend(amendment, e)), linked or ()
    raise TypeError(f"unknown document event body {body!r}")  # pragma: no cover


def period(body: indicator_schemas.PeriodIn) -> Period:
    return Period(body.start, body.end, PeriodKind(body.kind))


def quantity(body: indicator_schemas.QuantityIn, field: str = "value") -> Quantity:
    """An indicator's value; the indicator checks its unit (currency or none)."""
    return Quantity(parse_amount(body.amount, field=f"{field}.amount"), body.currency)
