"""A report adds the projects of one plan group at once (``Total.add_each``): the sum must be
the one adding each project alone gives, digit for digit, converted or not, and the rates
used the same (tracker/readmodel/reports.py, ``plan_groups``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from tracker.readmodel.fx import Rate, RateBook, RateSetRow, RatesInForce
from tracker.readmodel.totals import EXACT, Total

SET = RateSetRow("set-1", "Bench rates", False, datetime(2024, 1, 1, tzinfo=UTC))


def book() -> RateBook:
    # 3 does not divide the amounts: each conversion is rounded to 28 digits, so converting
    # the group's sum once would differ from the sum of the conversions.
    # The book's rows are what it makes its rates of: a rate has every column they need.
    rates = [
        Rate("KZT", day, units, SET.rate_set_id, SET.name, False, recorded_at=SET.recorded_at)
        for day, units in (
            (date(2024, 1, 1), Decimal("453.3")),
            (date(2024, 6, 1), Decimal("471.9")),
        )
    ]
    return RateBook([RatesInForce.of(SET, rates)])


def test_adding_a_group_at_once_is_adding_each_project() -> None:
    groups = [
        (Decimal("1000000.10"), "KZT", date(2024, 3, 5), 7),
        (Decimal("2500000"), "KZT", date(2024, 7, 1), 3),
        (Decimal("123.45"), "USD", date(2024, 7, 1), 4),
        (Decimal("99.5"), "EUR", date(2024, 7, 1), 6),  # no rate: left unconverted
        (Decimal("0.5"), "EUR", date(2024, 8, 1), 1),
    ]
    each_book, group_book = book(), book()
    each, at_once = Total("USD"), Total("USD")
    for amount, currency, day, n in groups:
        for _ in range(n):
            each.add(each_book, amount, currency, day, 1)
        at_once.add_each(group_book, amount, currency, day, n)
    assert at_once == each
    assert str(at_once.amount) == str(each.amount)
    assert at_once.unconverted["EUR"].amount == Decimal("597.5")
    assert at_once.unconverted["EUR"].count == 7
    assert group_book.used_rates() == each_book.used_rates()
    assert len(group_book.used_rates()) == 2
    # Converting the group's sum once would not do: it differs from the sum of each.
    one = group_book.convert(Decimal("1000000.10"), "KZT", date(2024, 3, 5), "USD")
    whole = group_book.convert(Decimal("7000000.70"), "KZT", date(2024, 3, 5), "USD")
    assert one is not None and whole is not None
    assert whole != EXACT.multiply(one, 7)
