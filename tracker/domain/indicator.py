"""The Indicator aggregate: a figure a portfolio follows beyond its projects, period by period.

Mutual trade turnover, additional exports: each indicator belongs to one portfolio and has a
unit, either a currency (a money indicator) or a plain unit of count ("goods"). It is
*observed* for periods (a month, a quarter, a year, or a period to date), each observation
an event with its source; an observation is *corrected* (a new value, with a reason) or
*retracted* (with a reason), never overwritten; and its *target* is restated over time, each
statement with the day it was made, the day it is due and its source.

When an observation counts (``as_of``): from its effective date, which is the day its figure
was published, or, when none is given, the last day of its period; never before the period
ended. A correction keeps the observation's effective date. A target counts from the day it
was stated (its effective date); the latest statement by ``as_of`` is in force.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from tracker.domain.base import TrackedAggregate, envelope_fields
from tracker.domain.errors import N_, Conflict, ValidationError
from tracker.domain.values import (
    Envelope,
    check_currency,
    check_effective_date,
    check_optional_text,
    check_planned_date,
    check_text,
)

#: The largest magnitude an indicator value may have: what the read model stores exactly
#: (NUMERIC(38, 6)) with room to spare, as for money amounts (18 digits, 6 places).
MAX_DIGITS = 18
MAX_PLACES = 6


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    TO_DATE = "to_date"


@dataclass(frozen=True)
class Period:
    """The days an observation covers, both included. A month, quarter or year is a whole
    calendar one; a period to date runs from any day to the day the figure was counted to."""

    start: date
    end: date
    kind: PeriodKind

    @property
    def key(self) -> str:
        """Two observations are of the same period when they cover the same days."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """``2024-03``, ``2024-Q1``, ``2024``, or ``2024-01-01 to 2024-08-31``."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def check_period(period: Period, *, prefix: str = "period.", today: date | None = None) -> Period:
    """A period whose days match its kind, that has ended (when ``today`` is known)."""
    start, end = period.start, period.end
    check_effective_date(start, field=f"{prefix}start")
    check_effective_date(end, field=f"{prefix}end", today=today)
    if start > end:
        raise ValidationError(
            N_("%(start)s is after the period's end %(end)s"),
            start=start,
            end=end,
            field=f"{prefix}start",
        )
    kind = period.kind
    if kind is PeriodKind.TO_DATE:
        return period
    if start.day != 1 or (kind is PeriodKind.QUARTER and start.month % 3 != 1):
        first = {"month": "the 1st of a month", "quarter": "1 Jan, 1 Apr, 1 Jul or 1 Oct"}
        raise ValidationError(
            N_("a %(kind)s starts on %(value)s, not %(start)s"),
            kind=kind,
            value=first.get(kind, "1 January"),
            start=start,
            field=f"{prefix}start",
        )
    if kind is PeriodKind.YEAR and start.month != 1:
        raise ValidationError(
            N_("a year starts on 1 January, not %(start)s"), start=start, field=f"{prefix}start"
        )
    months = {PeriodKind.MONTH: 0, PeriodKind.QUARTER: 2, PeriodKind.YEAR: 11}[kind]
    expected = _month_end(start.year, start.month + months)
    if end != expected:
        raise ValidationError(
            N_("the %(kind)s that starts on %(start)s ends on %(expected)s, not %(end)s"),
            kind=kind,
            start=start,
            expected=expected,
            end=end,
            field=f"{prefix}end",
        )
    return period


@dataclass(frozen=True)
class Quantity:
    """An exact value in an indicator's unit: ``currency`` for money, ``None`` for a count."""

    amount: Decimal
    currency: str | None = None


@dataclass(frozen=True)
class Observation:
    """What the indicator holds of one observed period: its value, when it counts from, and
    the version of the event that observed it."""

    period: Period
    value: Quantity
    effective_date: date
    version: int


class Indicator(TrackedAggregate):
    TOPIC: ClassVar[str] = "tracker:Indicator"

    portfolio_id: UUID
    name: str
    #: The currency of a money indicator, or ``None``.
    currency: str | None
    #: The unit of a counted indicator ("goods", "tonnes"), or ``None``.
    unit: str | None
    description: str | None
    #: The observations in force, by their period's key (retracted ones removed).
    observations: dict[str, Observation]

    def __init__(self) -> None:
        """State is set by the ``Defined`` event; annotations type the snapshots."""

    class Event(TrackedAggregate.Event):
        TOPIC: ClassVar[str] = "tracker:Indicator.Event"
        KIND: ClassVar[str] = ""

    class Defined(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = "tracker:Indicator.Defined"
        KIND: ClassVar[str] = "defined"
        portfolio_id: UUID
        name: str
        currency: str | None
        unit: str | None
        description: str | None

        def fold_into(self, indicator: Indicator) -> None:
            indicator.portfolio_id = self.portfolio_id
            indicator.name = self.name
            indicator.currency = self.currency
            indicator.unit = self.unit
            indicator.description = self.description
            indicator.observations = {}

    class Observed(Event):
        TOPIC: ClassVar[str] = "tracker:Indicator.Observed"
        KIND: ClassVar[str] = "observed"
        period: Period
        value: Quantity

        def fold_into(self, indicator: Indicator) -> None:
            indicator.observations[self.period.key] = Observation(
                self.period, self.value, self.effective_date, self.originator_version
            )

    class ObservationCorrected(Event):
        TOPIC: ClassVar[str] = "tracker:Indicator.ObservationCorrected"
        KIND: ClassVar[str] = "observation_corrected"
        period: Period
        value: Quantity
        reason: str

        def fold_into(self, indicator: Indicator) -> None:
            old = indicator.observations[self.period.key]
            indicator.observations[self.period.key] = Observation(
                old.period, self.value, old.effective_date, old.version
            )

    class ObservationRetracted(Event):
        TOPIC: ClassVar[str] = "tracker:Indicator.ObservationRetracted"
        KIND: ClassVar[str] = "observation_retracted"
        period: Period
        reason: str

        def fold_into(self, indicator: Indicator) -> None:
            del indicator.observations[self.period.key]

    class TargetRestated(Event):
        TOPIC: ClassVar[str] = "tracker:Indicator.TargetRestated"
        KIND: ClassVar[str] = "target_restated"
        value: Quantity
        #: The day the target is to be reached by.
        target_date: date
        #: The kind of period the target is a value for (``year``: an annual figure), or
        #: ``None`` when any observation compares with it.
        per: PeriodKind | None

    @classmethod
    def define(
        cls,
        portfolio_id: UUID,
        name: str,
        envelope: Envelope,
        *,
        currency: str | None = None,
        unit: str | None = None,
        description: str | None = None,
        indicator_id: UUID | None = None,
    ) -> Indicator:
        """A money indicator names its ``currency``; a counted one its ``unit``; not both."""
        if (currency is None) == (unit is None):
            raise ValidationError(
                N_("give either a currency (a money indicator) or a unit (a count), not both")
                if currency
                else N_(
                    "give either a currency (a money indicator) or a unit (a count), not neither"
                ),
                field="unit",
            )
        return cls._create(
            cls.Defined,
            id=indicator_id or uuid4(),
            portfolio_id=portfolio_id,
            name=check_text(name, field="name", max_length=200),
            currency=None if currency is None else check_currency(currency, field="currency"),
            unit=None if unit is None else check_text(unit, field="unit", max_length=50),
            description=check_optional_text(
                description, field="description", max_length=2000, free=True
            ),
            **envelope_fields(envelope),
        )

    # Commands

    def observe(self, period: Period, value: Quantity, envelope: Envelope) -> None:
        """Record the value of a period not observed yet (an observed one is corrected).

        The envelope's effective date is the day the figure was published; it may not lie
        before the period ended (give the period's end when the publication day is unknown).
        """
        check_period(period, today=envelope.today)
        value = self._checked(value, "value")
        if envelope.effective_date < period.end:
            raise ValidationError(
                N_("a figure for %(label)s cannot be published before the period ended (%(end)s)"),
                label=period.label,
                end=period.end,
                field="effective_date",
            )
        if period.key in self.observations:
            raise Conflict(
                N_("%(label)s is already observed; correct it (with a reason) instead"),
                label=period.label,
                field="period",
            )
        self.emit(self.Observed, envelope, period=period, value=value)

    def correct(self, period: Period, value: Quantity, reason: str, envelope: Envelope) -> None:
        """Give an observed period a new value; the observation keeps its effective date."""
        value = self._checked(value, "value")
        old = self._observed(period)
        if value == old.value:
            raise Conflict(
                N_("%(label)s is already %(text)s"),
                label=period.label,
                text=_text(value),
                field="value",
            )
        self.emit(
            self.ObservationCorrected,
            envelope,
            period=old.period,
            value=value,
            reason=check_text(reason, field="reason", free=True, max_length=2000),
        )

    def retract(self, period: Period, reason: str, envelope: Envelope) -> None:
        """Withdraw an observation (the period may then be observed again)."""
        old = self._observed(period)
        self.emit(
            self.ObservationRetracted,
            envelope,
            period=old.period,
            reason=check_text(reason, field="reason", free=True, max_length=2000),
        )

    def restate_target(
        self,
        value: Quantity,
        target_date: date,
        envelope: Envelope,
        *,
        per: PeriodKind | None = None,
    ) -> None:
        """State the target in force from the envelope's effective date (the statement's
        day), to be reached by ``target_date``."""
        check_planned_date(target_date, field="target_date")
        self.emit(
            self.TargetRestated,
            envelope,
            value=self._checked(value, "value"),
            target_date=target_date,
            per=per,
        )

    # Rules

    def _observed(self, period: Period) -> Observation:
        found = self.observations.get(period.key)
        if found is None:
            raise Conflict(
                N_("%(name)r has no observation for %(label)s"),
                name=self.name,
                label=period.label,
                field="period",
            )
        return found

    def _checked(self, value: Quantity, field: str) -> Quantity:
        """A value in the indicator's unit, exact to six places and at most 18 digits."""
        if self.currency is None and value.currency is not None:
            raise ValidationError(
                N_("%(name)r counts %(unit)s: its values have no currency"),
                name=self.name,
                unit=self.unit,
                field=f"{field}.currency",
            )
        if self.currency is not None:
            if value.currency is None:
                raise ValidationError(
                    N_("%(name)r is money: give a currency"),
                    name=self.name,
                    field=f"{field}.currency",
                )
            check_currency(value.currency, field=f"{field}.currency")
        amount = value.amount
        if not amount.is_finite():
            raise ValidationError(N_("must be a finite decimal"), field=f"{field}.amount")
        exponent = amount.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > MAX_PLACES or abs(amount) >= Decimal(10) ** MAX_DIGITS:
            raise ValidationError(
                N_(
                    "must have at most %(max_digits)s digits before the point and %(max_places)s "
                    "after"
                ),
                max_digits=MAX_DIGITS,
                max_places=MAX_PLACES,
                field=f"{field}.amount",
            )
        return value


def _text(value: Quantity) -> str:
    return f"{value.amount} {value.currency}" if value.currency else str(value.amount)
