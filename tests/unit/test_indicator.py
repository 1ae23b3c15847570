"""The Indicator aggregate: periods that match their kind, one observation per period,
corrections and retractions that name it, restated targets, exact values in the unit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.domain import Snapshot

from tests.unit.factories import on
from tracker.domain.errors import Conflict, ValidationError
from tracker.domain.indicator import Indicator, Period, PeriodKind, Quantity
from tracker.eventstore.encoding import MsgspecMapper

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31), PeriodKind.YEAR)
JAN_AUG_2024 = Period(date(2024, 1, 1), date(2024, 8, 31), PeriodKind.TO_DATE)


def usd(amount: str) -> Quantity:
    return Quantity(Decimal(amount), "USD")


def trade() -> Indicator:
    return Indicator.define(
        uuid4(), "Mutual trade turnover", on("2024-10-22"), currency="USD", description="KZ–UZ"
    )


def goods() -> Indicator:
    return Indicator.define(uuid4(), "Goods exported additionally", on("2024-10-22"), unit="goods")


def test_observations_corrections_and_retractions_name_the_period() -> None:
    indicator = trade()
    indicator.observe(YEAR_2023, usd("4400000000"), on("2024-02-15"))
    indicator.observe(JAN_AUG_2024, usd("2500000000"), on("2024-10-22"))
    indicator.correct(YEAR_2023, usd("4410000000.50"), "final customs figures", on("2024-11-01"))
    assert indicator.observations[YEAR_2023.key].value == usd("4410000000.50")
    # The correction keeps the day the observation counts from.
    assert indicator.observations[YEAR_2023.key].effective_date == date(2024, 2, 15)
    indicator.retract(JAN_AUG_2024, "preliminary", on("2024-11-02"))
    assert list(indicator.observations) == [YEAR_2023.key]
    # A retracted period may be observed again.
    indicator.observe(JAN_AUG_2024, usd("2600000000"), on("2024-11-03"))
    assert [type(e).KIND for e in indicator.collect_events()] == [
        "defined",
        "observed",
        "observed",
        "observation_corrected",
        "observation_retracted",
        "observed",
    ]


def test_a_period_is_observed_once_then_corrected() -> None:
    indicator = trade()
    indicator.observe(YEAR_2023, usd("4400000000"), on("2024-02-15"))
    with pytest.raises(Conflict) as caught:
        indicator.observe(YEAR_2023, usd("1"), on("2024-03-01"))
    assert caught.value.field == "period"
    with pytest.raises(Conflict) as same:
        indicator.correct(YEAR_2023, usd("4400000000.00"), "no change", on("2024-03-01"))
    assert same.value.field == "value"
    with pytest.raises(Conflict) as unknown:
        indicator.retract(JAN_AUG_2024, "never observed", on("2024-11-01"))
    assert unknown.value.field == "period"


@pytest.mark.parametrize(
    ("start", "end", "kind", "field"),
    [
        ("2024-02-01", "2024-02-28", "month", "period.end"),  # 2024 is a leap year
        ("2024-02-02", "2024-02-29", "month", "period.start"),
        ("2024-02-01", "2024-04-30", "quarter", "period.start"),
        ("2024-04-01", "2024-07-31", "quarter", "period.end"),
        ("2024-07-01", "2025-06-30", "year", "period.start"),
        ("2023-01-01", "2023-12-30", "year", "period.end"),
        ("2024-09-01", "2024-08-31", "to_date", "period.start"),
        ("1949-01-01", "1949-12-31", "year", "period.start"),
        ("2024-01-01", "2099-12-31", "to_date", "period.end"),  # not over yet
    ],
)
def test_a_period_matches_its_kind(start: str, end: str, kind: str, field: str) -> None:
    period = Period(date.fromisoformat(start), date.fromisoformat(end), PeriodKind(kind))
    with pytest.raises(ValidationError) as caught:
        trade().observe(period, usd("1"), on("2025-12-31", today=date(2025, 12, 31)))
    assert caught.value.field == field


def test_whole_months_quarters_and_years_are_accepted() -> None:
    indicator = goods()
    for start, end, kind in (
        ("2024-02-01", "2024-02-29", "month"),
        ("2024-10-01", "2024-12-31", "quarter"),
        ("2024-01-01", "2024-12-31", "year"),
        ("2024-03-15", "2024-03-15", "to_date"),
    ):
        period = Period(date.fromisoformat(start), date.fromisoformat(end), PeriodKind(kind))
        indicator.observe(period, Quantity(Decimal(40)), on("2025-01-01"))
    assert [o.period.label for o in indicator.observations.values()] == [
        "2024-02",
        "2024-Q4",
        "2024",
        "2024-03-15 to 2024-03-15",
    ]


def test_a_figure_is_not_published_before_its_period_ended() -> None:
    with pytest.raises(ValidationError) as caught:
        trade().observe(YEAR_2023, usd("1"), on("2023-12-30"))
    assert caught.value.field == "effective_date"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (Quantity(Decimal("40")), "value.currency"),
        (Quantity(Decimal("40"), "XYZ"), "value.currency"),
        (usd("0.0000001"), "value.amount"),
        (usd("1000000000000000000"), "value.amount"),
        (Quantity(Decimal("NaN"), "USD"), "value.amount"),
    ],
)
def test_a_money_value_is_exact_and_in_a_currency(value: Quantity, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        trade().observe(YEAR_2023, value, on("2024-02-15"))
    assert caught.value.field == field


def test_a_count_has_no_currency_and_an_indicator_one_unit() -> None:
    with pytest.raises(ValidationError) as caught:
        goods().observe(YEAR_2023, usd("40"), on("2024-02-15"))
    assert caught.value.field == "value.currency"
    for kwargs in ({}, {"currency": "USD", "unit": "goods"}):
        with pytest.raises(ValidationError) as both:
            Indicator.define(uuid4(), "x", on("2024-01-01"), **kwargs)  # type: ignore[arg-type]
        assert both.value.field == "unit"
    with pytest.raises(ValidationError) as blank:
        Indicator.define(uuid4(), " ", on("2024-01-01"), unit="goods")
    assert blank.value.field == "name"


def test_a_target_is_due_by_a_planned_date() -> None:
    indicator = trade()
    indicator.restate_target(usd("10000000000"), date(2030, 12, 31), on("2025-11-15"))
    with pytest.raises(ValidationError) as caught:
        indicator.restate_target(usd("1"), date(2200, 1, 1), on("2025-11-15"))
    assert caught.value.field == "target_date"


def test_events_and_snapshots_round_trip_exactly() -> None:
    indicator = trade()
    indicator.observe(YEAR_2023, usd("4400000000.125"), on("2024-02-15"))
    indicator.restate_target(
        usd("10000000000"), date(2030, 12, 31), on("2025-11-15"), per=PeriodKind.YEAR
    )
    mapper = MsgspecMapper()
    for event in indicator.collect_events():
        again = mapper.to_domain_event(mapper.to_stored_event(event))
        assert vars(again) == vars(event)
    snapshot = Snapshot.take(indicator)
    restored = mapper.to_domain_event(mapper.to_stored_event(snapshot)).mutate(None)
    assert restored.observations == indicator.observations
    assert restored.currency == "USD" and restored.name == "Mutual trade turnover"
