"""A portfolio's indicators as of a day, as known at a moment: observations, target, progress.

- An indicator counts once it was defined by ``known_at``.
- An observation counts when its effective date (the day its figure was published, by
  default its period's end) is on or before ``as_of`` and it was recorded by ``known_at``,
  with the corrections and retractions recorded by then applied.
- The target in force is the latest statement effective by ``as_of`` among those recorded
  by ``known_at``.
- The latest value is the observation whose period ends last (of the longest such period);
  when the target is stated per a kind of period (``per``: an annual goal), only
  observations of that kind compare with it. Progress is the latest value over the target.
- A money indicator's values are converted into the report's currency (by default its
  own) with the portfolio's rate sets as known at ``known_at``: an observation at the rate
  of its period's end, a target at the rate of the day it was stated. A value no rate
  converts is listed as unconverted, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, or_, select

from tracker.domain.indicator import Period, PeriodKind
from tracker.readmodel import tables as t
from tracker.readmodel.database import naive_utc, stored_utc
from tracker.readmodel.fx import Rate, RateBook, RateSetRow


@dataclass(frozen=True)
class IndicatorDefinition:
    indicator_id: UUID
    portfolio_id: UUID
    name: str
    currency: str | None
    unit: str | None
    description: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class ObservedValue:
    period: Period
    amount: Decimal
    currency: str | None
    #: The amount in the report's currency (a count: the amount); ``None``: no rate.
    converted: Decimal | None
    effective_date: date
    source_title: str | None
    source_url: str | None
    recorded_at: datetime
    #: Why a correction recorded by ``known_at`` gave this value (``None``: as observed).
    correction_reason: str | None


@dataclass(frozen=True)
class StatedTarget:
    version: int
    amount: Decimal
    currency: str | None
    converted: Decimal | None
    target_date: date
    per: PeriodKind | None
    effective_date: date
    source_title: str | None
    source_url: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class IndicatorReport:
    definition: IndicatorDefinition
    #: The currency values are reported in (``None`` for a count).
    currency: str | None
    observations: list[ObservedValue]
    #: Every statement effective by ``as_of``, in the order they were stated.
    targets: list[StatedTarget]
    target: StatedTarget | None
    latest: ObservedValue | None
    progress: Decimal | None

    @property
    def unconverted(self) -> list[ObservedValue]:
        return [o for o in self.observations if o.converted is None]


@dataclass(frozen=True)
class IndicatorQuery:
    portfolio_id: UUID
    as_of: date | None = None
    known_at: datetime | None = None
    #: The report currency of money indicators; ``None``: each indicator's own.
    currency: str | None = None
    #: Only this indicator (``None``: every one of the portfolio).
    indicator_id: UUID | None = None


@dataclass(frozen=True)
class IndicatorsReport:
    query: IndicatorQuery
    indicators: list[IndicatorReport]
    rates_used: list[Rate] = field(default_factory=list)
    rate_sets: list[RateSetRow] = field(default_factory=list)


def portfolio_of_indicator(
    conn: Connection, indicator_id: UUID, known_at: datetime | None = None
) -> UUID | None:
    """The portfolio of an indicator defined by ``known_at`` (``None``: none was)."""
    query = select(t.indicators.c.portfolio_id).where(
        t.indicators.c.indicator_id == str(indicator_id)
    )
    if known_at is not None:
        query = query.where(t.indicators.c.recorded_at <= naive_utc(known_at))
    found = conn.execute(query).scalar_one_or_none()
    return None if found is None else UUID(found)


def indicator_ids(conn: Connection, portfolio_id: UUID) -> list[str]:
    """The ids of every indicator of the portfolio the read model holds, in the order they
    were defined (for an export)."""
    table = t.indicators
    query = select(table.c.indicator_id).where(table.c.portfolio_id == str(portfolio_id))
    return list(conn.execute(query.order_by(table.c.recorded_position)).scalars())


def indicators(conn: Connection, query: IndicatorQuery) -> IndicatorsReport:
    """The portfolio's indicators (or the one asked for) at the query's moment, by name."""
    definitions = _definitions(conn, query)
    ids = [str(d.indicator_id) for d in definitions]
    observations = _rows_by_indicator(conn, t.observations, ids, query)
    statements = _rows_by_indicator(conn, t.indicator_targets, ids, query)
    book = (
        RateBook.load(conn, query.portfolio_id, query.known_at)
        if any(d.currency for d in definitions)
        else None
    )
    reports = [
        _report(d, observations.get(str(d.indicator_id), []), statements, book, query)
        for d in definitions
    ]
    if book is None:
        return IndicatorsReport(query, reports)
    return IndicatorsReport(query, reports, book.used_rates(), book.sets)


def _definitions(conn: Connection, query: IndicatorQuery) -> list[IndicatorDefinition]:
    table = t.indicators
    select_rows = (
        select(table)
        .where(table.c.portfolio_id == str(query.portfolio_id))
        .order_by(table.c.name, table.c.indicator_id)
    )
    if query.indicator_id is not None:
        select_rows = select_rows.where(table.c.indicator_id == str(query.indicator_id))
    if query.known_at is not None:
        select_rows = select_rows.where(table.c.recorded_at <= naive_utc(query.known_at))
    return [
        IndicatorDefinition(
            UUID(r.indicator_id),
            UUID(r.portfolio_id),
            r.name,
            r.currency,
            r.unit,
            r.description,
            stored_utc(r.recorded_at),
        )
        for r in conn.execute(select_rows)
    ]


def _rows_by_indicator(
    conn: Connection, table: Any, ids: Sequence[str], query: IndicatorQuery
) -> dict[str, list[Any]]:
    """The rows of ``ids`` effective by ``as_of`` and believed at ``known_at``."""
    if not ids:
        return {}
    conditions = [table.c.indicator_id.in_(ids)]
    if query.as_of is not None:
        conditions.append(table.c.effective_date <= query.as_of)
    superseding = "superseded_at" in table.c
    if query.known_at is not None:
        moment = naive_utc(query.known_at)
        conditions.append(table.c.recorded_at <= moment)
        if superseding:
            conditions.append(or_(table.c.superseded_at.is_(None), table.c.superseded_at > moment))
    elif superseding:
        conditions.append(table.c.superseded_position.is_(None))
    order = (
        (table.c.period_end, table.c.period_start)
        if superseding
        else (table.c.effective_date, table.c.version)
    )
    found: dict[str, list[Any]] = {}
    for row in conn.execute(select(table).where(*conditions).order_by(*order)):
        found.setdefault(row.indicator_id, []).append(row)
    return found


def _report(
    definition: IndicatorDefinition,
    rows: list[Any],
    statements: dict[str, list[Any]],
    book: RateBook | None,
    query: IndicatorQuery,
) -> IndicatorReport:
    currency = (query.currency or definition.currency) if definition.currency else None

    def converted(amount: Decimal, of: str | None, on: date) -> Decimal | None:
        if book is None or currency is None or of is None:
            return amount
        return book.convert(amount, of, on, currency)

    observations = [
        ObservedValue(
            period=Period(r.period_start, r.period_end, PeriodKind(r.period_kind)),
            amount=r.amount,
            currency=r.currency,
            converted=converted(r.amount, r.currency, r.period_end),
            effective_date=r.effective_date,
            source_title=r.source_title,
            source_url=r.source_url,
            recorded_at=stored_utc(r.recorded_at),
            correction_reason=r.correction_reason,
        )
        for r in rows
    ]
    targets = [
        StatedTarget(
            version=r.version,
            amount=r.amount,
            currency=r.currency,
            converted=converted(r.amount, r.currency, r.effective_date),
            target_date=r.target_date,
            per=PeriodKind(r.per) if r.per else None,
            effective_date=r.effective_date,
            source_title=r.source_title,
            source_url=r.source_url,
            recorded_at=stored_utc(r.recorded_at),
        )
        for r in statements.get(str(definition.indicator_id), [])
    ]
    target = targets[-1] if targets else None
    latest = latest_comparable(observations, target.per if target else None)
    return IndicatorReport(
        definition=definition,
        currency=currency,
        observations=observations,
        targets=targets,
        target=target,
        latest=latest,
        progress=_progress(latest, target),
    )


def latest_comparable(
    observations: Sequence[ObservedValue], per: PeriodKind | None
) -> ObservedValue | None:
    """The observation that ends last (the longest of those ending that day), of the kind
    ``per`` when the target is stated for one."""
    candidates = [o for o in observations if per is None or o.period.kind is per]
    if not candidates:
        return None
    return max(candidates, key=lambda o: (o.period.end, -o.period.start.toordinal()))


def _progress(latest: ObservedValue | None, target: StatedTarget | None) -> Decimal | None:
    """The latest value over the target, to four places (``None``: nothing to compare)."""
    if latest is None or target is None or latest.converted is None or not target.converted:
        return None
    return (latest.converted / target.converted).quantize(Decimal("0.0001"))
