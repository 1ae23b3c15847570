"""The SQL reports equal a plain fold over the events, for random portfolios and histories.

Hypothesis builds a portfolio of several projects and drives a random history through
``TrackerApplication``: commitments and disbursements (decreases too) in USD, KZT, UZS and EUR
(which has no rate, so some amounts stay unconverted), jobs, milestones, every status move
(suspension and resumption, completion, cancellation), corrections of amounts, dates and
plans, retractions (some long after the fact), restated targets, and a second portfolio whose
figures must not leak in. The portfolio converts with two rate sets of random rates, a
preferred one and a fallback; along the history rates are published, corrected and withdrawn
and the portfolio's choice of sets changes, while the second portfolio's own rate set (which
has a EUR rate) must not leak in either. Then, for random ``as_of`` days and ``known_at``
moments (taken between commands, or exactly at an event's recorded time), ``progress``,
every ``breakdown`` and a ``timeline`` from the projected tables must equal ``tests.oracle``.

Rates are products of powers of 2 and 5 (e.g. 512 KZT, 12 800 UZS per USD), so every
conversion is an exact decimal and the sums cannot differ by the order they were added in;
amounts are compared to the cent, unconverted amounts exactly.

The random histories: tests/integration/random_history.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.databases import MigrationScript
from tests.integration.random_history import (
    FIRST_DAY,
    LAST_DAY,
    PROPERTY,
    History,
    fresh_postgres,
    fresh_sqlite,
    make_history,
    opened,
)
from tests.oracle.reports import Oracle
from tests.oracle.views import view_of_breakdown, view_of_progress, view_of_timeline
from tracker.readmodel import reports, timeline
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery
from tracker.settings import Settings

DIMENSIONS = ("sector", "region", "country", "status")


# The comparison


@dataclass(frozen=True)
class Point:
    as_of: date | None
    known_at: datetime | None
    currency: str
    fx_date: date | None
    interval: str


def query_point(history: History, oracle: Oracle, label: str) -> Point:
    as_of = history.draw(
        st.one_of(st.none(), st.dates(FIRST_DAY - timedelta(days=30), LAST_DAY)), f"{label} as_of"
    )
    known_at = history.draw(
        st.one_of(
            st.none(),
            st.sampled_from(history.checkpoints),
            st.sampled_from(oracle.timestamps()),  # exactly when an event was recorded
        ),
        f"{label} known_at",
    )
    currency = history.draw(st.sampled_from(["USD", "USD", "KZT", "UZS"]), f"{label} currency")
    fx_date = history.draw(
        st.one_of(st.none(), st.none(), st.dates(FIRST_DAY, LAST_DAY)), f"{label} fx"
    )
    interval = history.draw(st.sampled_from(["quarter", "month"]), f"{label} interval")
    return Point(as_of, known_at, currency, fx_date, interval)


def assert_reports_match(
    history: History, oracle: Oracle, point: Point, with_timeline: bool
) -> None:
    query = ReportQuery(
        history.portfolio, point.as_of, point.known_at, point.currency, point.fx_date
    )
    asked: dict[str, Any] = {
        "as_of": point.as_of,
        "known_at": point.known_at,
        "currency": point.currency,
        "fx_date": point.fx_date,
    }
    with history.engine.connect() as conn:
        assert view_of_progress(reports.progress(conn, query)) == oracle.progress(
            history.portfolio, **asked
        ), point
        for by in DIMENSIONS:
            sql = view_of_breakdown(reports.breakdown(conn, query, by))
            expected = oracle.breakdown(history.portfolio, by, **asked)
            assert [key for key, _ in sql.slices] == [key for key, _ in expected.slices], by
            for (key, figures), (_, figures_expected) in zip(
                sql.slices, expected.slices, strict=True
            ):
                assert figures == figures_expected, (by, key, point)
            assert sql.rates_used == expected.rates_used, (by, point)
        if timeline:
            today = LAST_DAY + timedelta(days=40)
            line = view_of_timeline(timeline.timeline(conn, query, point.interval, today))
            expected_line = oracle.timeline(history.portfolio, point.interval, today, **asked)
            assert [p.period for p in line.points] == [p.period for p in expected_line.points]
            for got, want in zip(line.points, expected_line.points, strict=True):
                assert got == want, point
            assert line.rates_used == expected_line.rates_used, point


def check_random_history(fresh: Settings, data: st.DataObject) -> None:
    with opened(fresh) as (tracker, engine):
        history = History(tracker, engine, data)
        make_history(history)
        Projector(tracker, engine).catch_up()
        oracle = Oracle.read(tracker)
        head = tracker.recorder.max_notification_id()
        assert oracle.events and Projector(tracker, engine).applied_position() == head
        points = data.draw(st.integers(3, 6), label="points")
        for index in range(points):
            point = query_point(history, oracle, f"point {index}")
            assert_reports_match(history, oracle, point, with_timeline=index < 2)


@PROPERTY
@given(data=st.data())
def test_sqlite_reports_match_the_oracle(migrated_sqlite: Path, data: st.DataObject) -> None:
    with fresh_sqlite(migrated_sqlite) as fresh:
        check_random_history(fresh, data)


@pytest.mark.postgres
@PROPERTY
@given(data=st.data())
def test_postgres_reports_match_the_oracle(
    postgres_url: str, migration_script: MigrationScript, data: st.DataObject
) -> None:
    with fresh_postgres(postgres_url, migration_script) as fresh:
        check_random_history(fresh, data)
