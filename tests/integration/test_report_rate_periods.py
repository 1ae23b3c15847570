"""An unfiltered report adds the facts up per period of the rates it converts with (a value
date matters only through the rate it picks): the same figures as adding them up per value
date, from far fewer groups."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event

from tests.rates import give_rates
from tests.unit.factories import plan
from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment, CreateJobs
from tracker.domain.values import Envelope, Money
from tracker.readmodel import fx
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery, portfolio_fact_groups, progress, rate_book

DESK = Envelope("desk", date(2024, 1, 1))


def test_facts_of_one_rate_period_are_added_up_once_and_convert_alike(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 1, 1), DESK).id
    give_rates(
        tracker,
        portfolio,
        [("KZT", date(2024, 1, 1), Decimal(450)), ("KZT", date(2024, 3, 1), Decimal(500))],
    )
    project = tracker.announce_project(portfolio, plan(), DESK).id
    for amount, currency, day in [
        ("900", "KZT", date(2024, 1, 10)),
        ("4500", "KZT", date(2024, 2, 10)),  # the same rate as the one before
        ("5000", "KZT", date(2024, 3, 10)),  # the next rate
        ("7", "EUR", date(2024, 2, 1)),  # no rate: counted apart
        ("8", "EUR", date(2024, 3, 5)),
    ]:
        commitment = CommitInvestment(Money(Decimal(amount), currency))
        tracker.record(project, commitment, Envelope("desk", day))
    Projector(tracker, engine).catch_up()

    for query in (
        ReportQuery(portfolio),
        ReportQuery(portfolio, known_at=datetime.now(UTC)),
    ):
        with engine.connect() as conn:
            book = rate_book(conn, query)
            per_date = portfolio_fact_groups(conn, query)
            per_period = portfolio_fact_groups(conn, query, book=book)
            report = progress(conn, query)
            by_date = progress(conn, query, facts=per_date)

        kzt = [g for g in per_period if g.currency == "KZT"]
        assert [(g.effective_date, g.amount, g.count) for g in kzt] == [
            (date(2024, 1, 10), Decimal("5400"), 2),
            (date(2024, 3, 10), Decimal("5000"), 1),
        ]
        assert len([g for g in per_date if g.currency == "KZT"]) == 3
        committed = report.figures.committed
        assert committed.amount == Decimal(2 + 10 + 10)
        assert [(u.currency, u.amount, u.count) for u in committed.unconverted.values()] == [
            ("EUR", Decimal("15"), 2)
        ]
        assert committed == by_date.figures.committed
        assert report.rates_used == by_date.rates_used


def test_past_the_limit_only_the_currencies_with_the_most_rate_dates_go_per_day(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_RATE_DATES`` (a daily rate: 1,000 rate events in the bench made a report
    3.5x dearer) the report told every amount apart per value date, the report currency's
    and the jobs too; now only the amounts in the currency with the most dates are, the
    others keep their periods, and the figures are those of adding up per value date."""
    monkeypatch.setattr(fx, "MAX_RATE_DATES", 2)
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 1, 1), DESK).id
    daily = [("KZT", date(2024, 1, d), Decimal(440 + d)) for d in (1, 2, 3)]
    give_rates(tracker, portfolio, [*daily, ("EUR", date(2024, 1, 1), Decimal("0.9"))])
    project = tracker.announce_project(portfolio, plan(), DESK).id
    for amount, currency, day in [
        ("441", "KZT", date(2024, 1, 1)),
        ("442", "KZT", date(2024, 1, 2)),
        ("886", "KZT", date(2024, 1, 3)),
        ("9", "EUR", date(2024, 1, 2)),
        ("18", "EUR", date(2024, 1, 3)),
        ("5", "USD", date(2024, 1, 2)),
        ("6", "USD", date(2024, 1, 3)),
    ]:
        commitment = CommitInvestment(Money(Decimal(amount), currency))
        tracker.record(project, commitment, Envelope("desk", day))
    tracker.record(project, CreateJobs(3, 1), Envelope("desk", date(2024, 1, 2)))
    tracker.record(project, CreateJobs(4, 0), Envelope("desk", date(2024, 1, 3)))
    Projector(tracker, engine).catch_up()

    for query in (ReportQuery(portfolio), ReportQuery(portfolio, known_at=datetime.now(UTC))):
        with engine.connect() as conn:
            book = rate_book(conn, query)
            per_period = portfolio_fact_groups(conn, query, book=book)
            report = progress(conn, query)
            by_date = progress(conn, query, facts=portfolio_fact_groups(conn, query))

        counted = Counter((g.kind, g.currency) for g in per_period)
        assert counted == {
            ("committed", "KZT"): 3,
            ("committed", "EUR"): 1,
            ("committed", "USD"): 1,
            ("jobs_created", None): 1,
        }
        assert report.figures.committed.amount == Decimal(1 + 1 + 2 + 10 + 20 + 5 + 6)
        assert report.figures == by_date.figures
        assert report.rates_used == by_date.rates_used


def test_the_rate_periods_are_written_once_not_bound_per_rate_date(
    tracker: TrackerApplication, engine: Engine
) -> None:
    """Built as an expression for each report, the periods' comparisons (one per rate date,
    each with its bound date) cost a report with monthly rates more than its whole query
    (issue 17: 13-15 ms against 5 on SQLite). They are SQL text written once per set of
    dates: a report's statements bind no parameter per rate date, and the figures are
    those of adding up per value date."""
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 1, 1), DESK).id
    monthly = [("KZT", date(2024, m, 1), Decimal(440 + m)) for m in range(1, 13)]
    give_rates(tracker, portfolio, monthly)
    project = tracker.announce_project(portfolio, plan(), DESK).id
    for month in range(1, 13):
        commitment = CommitInvestment(Money(Decimal(1000 * month), "KZT"))
        tracker.record(project, commitment, Envelope("desk", date(2024, month, 15)))
    Projector(tracker, engine).catch_up()
    bound: list[int] = []

    def note(
        _conn: object, _cursor: object, statement: str, parameters: object, *_: object
    ) -> None:
        if "CASE" in statement:
            bound.append(len(parameters) if isinstance(parameters, (tuple, list, dict)) else 0)

    query = ReportQuery(portfolio)
    event.listen(engine, "before_cursor_execute", note)
    try:
        with engine.connect() as conn:
            report = progress(conn, query)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    with engine.connect() as conn:
        by_date = progress(conn, query, facts=portfolio_fact_groups(conn, query))

    assert bound, "the report grouped no amounts per rate period"
    assert max(bound) < len(monthly), f"parameters bound: {bound}"
    assert report.figures == by_date.figures
    assert report.rates_used == by_date.rates_used
