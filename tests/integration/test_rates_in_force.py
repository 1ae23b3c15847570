"""A process keeps each rate set's rates in force until an event changes them: a set of daily
rates holds thousands, and every report read and sorted all of them (issue 17: the progress
report cost 1.5–1.9× as much with daily rates as with monthly ones). Each report must still
convert with the rates in force when it runs, and a report known at a past moment with the
rates known then."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import Engine, event

from tests.rates import give_rates
from tests.unit.factories import plan
from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery, progress
from tracker.settings import Settings

DESK = Envelope("desk", date(2024, 1, 1))


@contextmanager
def rate_reads(engine: Engine) -> Iterator[list[str]]:
    """The statements that read ``rm_rates`` while inside."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "rm_rates" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def committed_usd(engine: Engine, portfolio: UUID, known_at: datetime | None = None) -> Decimal:
    with engine.connect() as conn:
        return progress(conn, ReportQuery(portfolio, known_at=known_at)).figures.committed.amount


def test_a_sets_rates_are_read_once_until_an_event_changes_them(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 1, 1), DESK).id
    rate_set = give_rates(tracker, portfolio, [("KZT", date(2024, 1, 1), Decimal(500))])
    project = tracker.announce_project(portfolio, plan(), DESK).id
    for day in (date(2024, 1, 10), date(2024, 2, 10)):
        tracker.record(project, CommitInvestment(Money(Decimal(1000), "KZT")), Envelope("d", day))
    projector = Projector(tracker, engine)
    projector.catch_up()

    def change(how: Any) -> datetime:
        before = datetime.now(UTC)
        tracker.change_rate_set(rate_set, how, DESK)
        projector.catch_up()
        return before

    with rate_reads(engine) as reads:
        assert committed_usd(engine, portfolio) == Decimal(4)
        assert committed_usd(engine, portfolio) == Decimal(4)
    assert len(reads) == 1, "the second report read the rates again"

    corrected = change(
        lambda s: s.correct(PublishedRate("KZT", date(2024, 1, 1), Decimal(250)), "typo", DESK)
    )
    with rate_reads(engine) as reads:
        assert committed_usd(engine, portfolio) == Decimal(8)
        assert committed_usd(engine, portfolio) == Decimal(8)
        assert committed_usd(engine, portfolio, known_at=corrected) == Decimal(4)
    assert len(reads) == 2, "a correction is read once, a past moment's rates apart"

    published = [PublishedRate("KZT", date(2024, 2, 1), Decimal(1000))]
    change(lambda s: s.publish(published, DESK))
    assert committed_usd(engine, portfolio) == Decimal(4) + Decimal(1)  # February's at 1000

    change(lambda s: s.withdraw("KZT", date(2024, 2, 1), "wrong", DESK))
    assert committed_usd(engine, portfolio) == Decimal(8)

    with engine.connect() as conn:
        stored = conn.execute(sa.select(t.rate_sets.c.rates_position)).scalar_one()
    assert stored == tracker.recorder.max_notification_id(), "the withdrawal's position"


def test_a_second_read_model_on_another_database_reads_its_own_rates(
    tracker: TrackerApplication, engine: Engine, settings: Settings
) -> None:
    """Rates kept for one database are never another's, though the sets and positions match."""
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 1, 1), DESK).id
    give_rates(tracker, portfolio, [("KZT", date(2024, 1, 1), Decimal(500))])
    project = tracker.announce_project(portfolio, plan(), DESK).id
    tracker.record(project, CommitInvestment(Money(Decimal(1000), "KZT")), DESK)
    Projector(tracker, engine).catch_up()
    assert committed_usd(engine, portfolio) == Decimal(2)

    with engine.begin() as conn:
        conn.execute(sa.update(t.rates).values(units_per_usd=Decimal(250)))
    other = create_readmodel_engine(settings, pool_size=1)
    try:
        assert committed_usd(other, portfolio) == Decimal(4)
    finally:
        other.dispose()


def test_revision_0021_gives_each_set_the_last_position_that_changed_its_rates(
    blank_settings: Settings,
) -> None:
    upgrade(blank_settings, "0020")
    engine = create_readmodel_engine(blank_settings, pool_size=1)
    schema = blank_settings.db_schema if blank_settings.is_postgres else None
    meta = sa.MetaData(schema=schema)
    sets = sa.Table("rm_rate_sets", meta, autoload_with=engine)
    rates = sa.Table("rm_rates", meta, autoload_with=engine)
    at = datetime(2024, 1, 2)

    def rate(set_id: str, day: date, position: int, closed_at: int | None = None) -> Any:
        return {
            "rate_set_id": set_id,
            "currency": "KZT",
            "rate_date": day,
            "units_per_usd": "500",
            "recorded_at": at,
            "recorded_position": position,
            "superseded_at": None if closed_at is None else at,
            "superseded_position": closed_at,
        }

    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(sets),
                [
                    {"rate_set_id": name, "name": name, "illustrative": False, "recorded_at": at}
                    for name in ("opened", "closed", "empty")
                ],
            )
            conn.execute(
                sa.insert(rates),
                [
                    rate("opened", date(2024, 1, 1), 7),
                    rate("opened", date(2024, 1, 2), 9),
                    rate("closed", date(2024, 1, 1), 3, closed_at=12),
                ],
            )
        upgrade(blank_settings)
        with engine.connect() as conn:
            columns = (t.rate_sets.c.rate_set_id, t.rate_sets.c.rates_position)
            found = dict(conn.execute(sa.select(*columns)).all())
    finally:
        engine.dispose()
    assert found == {"opened": 9, "closed": 12, "empty": 0}
