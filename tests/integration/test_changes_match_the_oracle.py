"""What changed between two moments equals the oracle's figures at each, and is explained.

For random histories (the strategies of ``random_history``, as
``test_reports_match_the_oracle`` uses them: corrections and retractions, backdated facts,
status moves, restated targets, rates published, corrected and withdrawn, the choice of rate
sets changed) and two random moments, the start no later than the end on either axis, and no
filter or one (a layer, a sector, a region, a country, a status or a flag, judged at each
moment), ``changes`` must give, for every headline figure, the oracle's value at each
moment, and contributions that add up exactly (Decimal, no rounding) to the difference of
the oracle's two values. Rates are exact (powers of 2 and 5), so the oracle's sum of
conversions is exact too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
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
from tests.oracle.known import Selection
from tests.oracle.reports import Oracle
from tests.oracle_projects import judging
from tracker.domain.status import Status
from tracker.readmodel import filters
from tracker.readmodel.changes import Changes, Measure, changes
from tracker.readmodel.filters import ANY, FLAGS
from tracker.readmodel.flags import FlagJudge
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.totals import EXACT
from tracker.settings import Settings


def name_of(measure: Measure) -> str:
    """The oracle's name for a measure."""
    if measure.counting:
        return f"{measure.name}.count.{measure.unconverted}"
    if measure.unconverted:
        return f"{measure.name}.unconverted.{measure.unconverted}"
    return measure.name


def ordered_pair(history: History, values: st.SearchStrategy[Any], label: str) -> tuple[Any, Any]:
    """Two values, the first no later than the second; ``None`` is the latest."""
    first = history.draw(st.one_of(st.none(), values), f"{label} start")
    if first is None:
        return None, None
    second = history.draw(st.one_of(st.none(), values), f"{label} end")
    if second is None or second >= first:
        return first, second
    return second, first


def assert_changes_explained(found: Changes, start: dict[str, Decimal], end: dict[str, Decimal]):
    figures = {name_of(f.measure): f for f in found.figures}
    for name in set(start) | set(end):
        before, after = start.get(name, Decimal(0)), end.get(name, Decimal(0))
        if before == after == 0 and name not in figures:
            continue
        figure = figures[name]
        assert (figure.start, figure.end) == (before, after), name
        total = Decimal(0)
        for contribution in figure.contributions:
            total = EXACT.add(total, contribution.amount)
        assert total == EXACT.subtract(after, before), (name, figure.contributions)
    for name, figure in figures.items():  # nothing explained that the oracle lacks
        assert figure.start == start.get(name, Decimal(0)), name
        assert figure.end == end.get(name, Decimal(0)), name


#: The day flags count silence up to when a moment has no ``as_of`` (one per run).
TODAY = datetime.now(UTC).date()


def draw_selection(history: History, known: dict[str, list[str]]) -> Selection:
    """No filter (half the time), or one: a layer, a sector, a region, a country or a
    status the portfolio's projects have had, or a flag (with a silence of 30 or 180 days)."""
    kind = history.draw(
        st.sampled_from(["none", "none", "layer", "sector", "region", "country", "status", "flag"]),
        "filter",
    )
    if kind == "layer":
        return Selection(layer=history.draw(st.sampled_from(["reported", "illustrative"]), kind))
    if kind in ("sector", "region", "country") and known[kind]:
        return Selection(**{kind: history.draw(st.sampled_from(known[kind]), kind)})
    if kind == "status":
        return Selection(status=history.draw(st.sampled_from([s.value for s in Status]), kind))
    if kind == "flag":
        flag = history.draw(st.sampled_from([ANY, *FLAGS]), kind)
        return Selection(flag=flag, no_news_days=history.draw(st.sampled_from([30, 180]), "days"))
    return Selection()


def check_changes(fresh: Settings, data: st.DataObject) -> None:
    with opened(fresh) as (tracker, engine):
        history = History(tracker, engine, data)
        make_history(history)
        Projector(tracker, engine).catch_up()
        oracle = Oracle.read(tracker)
        moments = st.one_of(
            st.sampled_from(history.checkpoints), st.sampled_from(oracle.timestamps())
        )
        days = st.dates(FIRST_DAY - timedelta(days=30), LAST_DAY)
        for index in range(data.draw(st.integers(2, 4), label="pairs")):
            known: tuple[datetime | None, datetime | None] = ordered_pair(history, moments, "known")
            as_of: tuple[date | None, date | None] = ordered_pair(history, days, "as_of")
            currency = history.draw(st.sampled_from(["USD", "USD", "KZT", "UZS"]), "currency")
            with engine.connect() as conn:
                known_values = filters.known_values(conn, history.portfolio)
            selection = draw_selection(history, known_values)
            scope = filters.Filters(
                selection.layer,
                selection.sector,
                selection.region,
                selection.country,
                selection.status,
                selection.flag,
                selection.no_news_days,
            )
            judge = FlagJudge(tracker, TODAY)
            start = ReportQuery(history.portfolio, as_of[0], known[0], currency, None, scope, judge)
            end = ReportQuery(history.portfolio, as_of[1], known[1], currency, None, scope, judge)
            with engine.connect() as conn:
                found = changes(conn, start, end)
            judged = [
                judging(selection, oracle, history.portfolio, TODAY, moment) for moment in known
            ]
            assert_changes_explained(
                found,
                oracle.headline(
                    history.portfolio,
                    as_of=as_of[0],
                    known_at=known[0],
                    currency=currency,
                    selection=judged[0],
                ),
                oracle.headline(
                    history.portfolio,
                    as_of=as_of[1],
                    known_at=known[1],
                    currency=currency,
                    selection=judged[1],
                ),
            )
            del index


@PROPERTY
@given(data=st.data())
def test_changes_on_sqlite_match_the_oracle_and_add_up(
    migrated_sqlite: Path, data: st.DataObject
) -> None:
    with fresh_sqlite(migrated_sqlite) as fresh:
        check_changes(fresh, data)


@pytest.mark.postgres
@PROPERTY
@given(data=st.data())
def test_changes_on_postgres_match_the_oracle_and_add_up(
    postgres_url: str, migration_script: MigrationScript, data: st.DataObject
) -> None:
    with fresh_postgres(postgres_url, migration_script) as fresh:
        check_changes(fresh, data)
