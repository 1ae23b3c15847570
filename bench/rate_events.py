"""Rate sets as events: the progress report's cost after many more rate events, next to the
same report before them (the issue's "report cost flat in the number of rate events").

Two kinds of rate events are measured apart, on the serving data set (its portfolio
converts with the monthly rates of :func:`bench.data.rates`): corrections, which change
rates already published (the report's work stays what it was), and publications of a rate
for each day between the monthly ones, which give each value date a rate of its own (the
report then converts each day's amounts apart: what a daily official rate asks for).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from bench import data
from bench.databases import Database, Opened, analyze
from bench.figures import Figure, Run
from bench.measure import median_seconds
from tracker.domain.rate_set import PublishedRate
from tracker.readmodel import reports
from tracker.readmodel.reports import ReportQuery

#: Rate events of each kind added to the rate set.
EVENTS = 1000
#: Runs of the report whose median is each side of a figure.
REPEAT = 25


def measure_rate_events(
    run: Run, db: Database, handle: Opened, portfolio: UUID, rate_set: UUID
) -> None:
    query = ReportQuery(portfolio)

    def report_ms() -> float:
        def once() -> None:
            with handle.engine.connect() as conn:
                reports.progress(conn, query)

        once()  # the statements compiled, the pages cached
        return median_seconds(once, repeat=REPEAT, budget=15) * 1000

    before = report_ms()
    on = data.FIRST_DAY + timedelta(days=data.DAYS)  # after every rate date: corrections' day
    monthly = data.rates()
    for n in range(EVENTS):
        rate = monthly[n % len(monthly)]
        changed = PublishedRate(rate.currency, rate.rate_date, rate.units_per_usd + 1 + n)
        _correct(handle, rate_set, changed, on)
    _caught_up(db, handle)
    corrected = report_ms()
    published_days = _publish_daily(handle, rate_set)
    _caught_up(db, handle)
    published = report_ms()
    note = f"{EVENTS:,} events; report medians of {REPEAT}, in-process"
    run.add(
        Figure(
            "rate events",
            db.label,
            f"progress after {EVENTS:,} rate corrections",
            corrected,
            "ms",
            "the same report before them",
            before,
            ("≤", 1.2),
            note=f"{note}; the corrections change the monthly rates' values",
        )
    )
    run.add(
        Figure(
            "rate events",
            db.label,
            f"progress after {EVENTS:,} daily rate publications",
            published,
            "ms",
            "the same report with monthly rates",
            corrected,
            ("≤", 1.2),
            note=f"{note}; rates for {published_days:,} more days: each value date "
            "converts at a rate of its own",
        )
    )


def _correct(handle: Opened, rate_set: UUID, rate: PublishedRate, on: date) -> None:
    envelope = data.envelope(on)
    handle.tracker.change_rate_set(rate_set, lambda s: s.correct(rate, "bench", envelope), envelope)


def _publish(handle: Opened, rate_set: UUID, rates: list[PublishedRate], on: date) -> None:
    envelope = data.envelope(on)
    handle.tracker.change_rate_set(rate_set, lambda s: s.publish(rates, envelope), envelope)


def _publish_daily(handle: Opened, rate_set: UUID) -> int:
    """A publication a day for the days between the monthly rates, until :data:`EVENTS`."""
    days = [data.FIRST_DAY + timedelta(days=d) for d in range(data.DAYS) if d % 30][:EVENTS]
    for index, day in enumerate(days):
        rates = [
            PublishedRate("KZT", day, Decimal(450) + Decimal(index % 97) / 10),
            PublishedRate("UZS", day, Decimal(11000 + index % 500)),
            PublishedRate("EUR", day, Decimal("0.9") + Decimal(index % 9) / 100),
        ]
        _publish(handle, rate_set, rates, day)
    return len(days)


def _caught_up(db: Database, handle: Opened) -> None:
    handle.projector.catch_up()
    if db.settings.is_postgres:
        analyze(db, handle.engine)
