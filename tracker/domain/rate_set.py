"""The RateSet aggregate: a named source of exchange rates, and what it published when.

A rate says how many units of a currency one US dollar bought on a date. A set publishes
rates, corrects one it published, or withdraws one; each is an event with its actor, source
and recorded time, so a report known at a past moment converts with the rates known then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from tracker.domain.base import TrackedAggregate, envelope_fields
from tracker.domain.errors import N_, Conflict, ValidationError
from tracker.domain.values import (
    Envelope,
    check_currency,
    check_effective_date,
    check_text,
)

USD = "USD"
#: One file or request publishes at most this many rates.
MAX_RATES_PER_PUBLICATION = 50_000


@dataclass(frozen=True)
class PublishedRate:
    """Units of ``currency`` per US dollar on ``rate_date``."""

    currency: str
    rate_date: date
    units_per_usd: Decimal

    @property
    def key(self) -> tuple[str, date]:
        return self.currency, self.rate_date


def check_rate(rate: PublishedRate, *, prefix: str = "", today: date | None = None) -> None:
    """A rate of a known currency other than USD, for a date that has come, above zero;
    ``prefix`` names where it was given (``rates[3].``)."""
    check_currency(rate.currency, field=f"{prefix}currency")
    if rate.currency == USD:
        raise ValidationError(
            N_("USD is the reference currency: its rate is always 1"), field=f"{prefix}currency"
        )
    check_effective_date(rate.rate_date, field=f"{prefix}date", today=today)
    if rate.units_per_usd <= 0:
        raise ValidationError(N_("must be more than zero"), field=f"{prefix}units_per_usd")


class RateSet(TrackedAggregate):
    TOPIC: ClassVar[str] = "tracker:RateSet"

    name: str
    illustrative: bool
    #: The rates in force, as "CUR YYYY-MM-DD" → units per USD (withdrawn ones removed).
    rates: dict[str, Decimal]

    def __init__(self) -> None:
        """State is set by the ``Established`` event; annotations type the snapshots."""

    class Event(TrackedAggregate.Event):
        TOPIC: ClassVar[str] = "tracker:RateSet.Event"
        KIND: ClassVar[str] = ""

    class Established(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = "tracker:RateSet.Established"
        KIND: ClassVar[str] = "established"
        name: str
        illustrative: bool

        def fold_into(self, rate_set: RateSet) -> None:
            rate_set.name = self.name
            rate_set.illustrative = self.illustrative
            rate_set.rates = {}

    class RatesPublished(Event):
        TOPIC: ClassVar[str] = "tracker:RateSet.RatesPublished"
        KIND: ClassVar[str] = "rates_published"
        rates: tuple[PublishedRate, ...]

        def fold_into(self, rate_set: RateSet) -> None:
            for rate in self.rates:
                rate_set.rates[_key(rate.currency, rate.rate_date)] = rate.units_per_usd

    class RateCorrected(Event):
        TOPIC: ClassVar[str] = "tracker:RateSet.RateCorrected"
        KIND: ClassVar[str] = "rate_corrected"
        rate: PublishedRate
        reason: str

        def fold_into(self, rate_set: RateSet) -> None:
            rate_set.rates[_key(self.rate.currency, self.rate.rate_date)] = self.rate.units_per_usd

    class RateWithdrawn(Event):
        TOPIC: ClassVar[str] = "tracker:RateSet.RateWithdrawn"
        KIND: ClassVar[str] = "rate_withdrawn"
        currency: str
        rate_date: date
        reason: str

        def fold_into(self, rate_set: RateSet) -> None:
            del rate_set.rates[_key(self.currency, self.rate_date)]

    @classmethod
    def establish(
        cls,
        name: str,
        envelope: Envelope,
        *,
        illustrative: bool = False,
        rate_set_id: UUID | None = None,
    ) -> RateSet:
        return cls._create(
            cls.Established,
            id=rate_set_id or uuid4(),
            name=check_text(name, field="name", max_length=200),
            illustrative=illustrative,
            **envelope_fields(envelope),
        )

    def rate_on(self, currency: str, rate_date: date) -> Decimal | None:
        """The rate in force for exactly that currency and date, if one was published."""
        return self.rates.get(_key(currency, rate_date))

    def publish(self, rates: list[PublishedRate], envelope: Envelope) -> int:
        """Publish new rates; return how many were new.

        A rate the set already publishes with the same value is left as it is, so the same
        official file can be loaded twice; with another value it is refused: that is a
        correction, which needs a reason. Nothing is published unless every rate is valid.
        """
        if not rates:
            raise ValidationError(N_("must hold at least one rate"), field="rates")
        if len(rates) > MAX_RATES_PER_PUBLICATION:
            raise ValidationError(
                N_("must hold at most %(max_rates_per_publication)s rates"),
                max_rates_per_publication=MAX_RATES_PER_PUBLICATION,
                field="rates",
            )
        new: dict[tuple[str, date], PublishedRate] = {}
        given: set[tuple[str, date]] = set()
        for index, rate in enumerate(rates):
            field = f"rates[{index}]"
            check_rate(rate, prefix=f"{field}.", today=envelope.today)
            if rate.key in given:
                raise ValidationError(
                    N_("%(currency)s on %(rate_date)s is given twice"),
                    currency=rate.currency,
                    rate_date=rate.rate_date,
                    field=field,
                )
            given.add(rate.key)
            known = self.rate_on(*rate.key)
            if known is not None and known != rate.units_per_usd:
                raise Conflict(
                    N_(
                        "%(currency)s on %(rate_date)s is already published as %(known)s; "
                        "correct it (with a reason) instead"
                    ),
                    currency=rate.currency,
                    rate_date=rate.rate_date,
                    known=known,
                    field=field,
                )
            if known is None:
                new[rate.key] = rate
        if new:
            self.emit(self.RatesPublished, envelope, rates=tuple(new.values()))
        return len(new)

    def correct(self, rate: PublishedRate, reason: str, envelope: Envelope) -> None:
        check_rate(rate, today=envelope.today)
        known = self._published(rate.currency, rate.rate_date)
        if known == rate.units_per_usd:
            raise Conflict(
                N_("%(currency)s on %(rate_date)s is already %(known)s"),
                currency=rate.currency,
                rate_date=rate.rate_date,
                known=known,
                field="units_per_usd",
            )
        self.emit(
            self.RateCorrected,
            envelope,
            rate=rate,
            reason=check_text(reason, field="reason", free=True, max_length=2000),
        )

    def withdraw(self, currency: str, rate_date: date, reason: str, envelope: Envelope) -> None:
        self._published(currency, rate_date)
        self.emit(
            self.RateWithdrawn,
            envelope,
            currency=currency,
            rate_date=rate_date,
            reason=check_text(reason, field="reason", free=True, max_length=2000),
        )

    def _published(self, currency: str, rate_date: date) -> Decimal:
        known = self.rate_on(currency, rate_date)
        if known is None:
            raise Conflict(
                N_("%(name)r publishes no %(currency)s rate for %(rate_date)s"),
                name=self.name,
                currency=currency,
                rate_date=rate_date,
                field="date",
            )
        return known


def _key(currency: str, rate_date: date) -> str:
    return f"{currency} {rate_date.isoformat()}"
