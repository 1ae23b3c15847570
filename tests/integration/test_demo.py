"""The demo portfolio: real restated targets, the projects and statements of the public record
with their sources, illustrative projects filling the rest of the 74 (located as the reported
country split has it), loaded once, and its own illustrative rate set."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from tracker.application import TrackerApplication
from tracker.demo import RATE_SET, SAMARKAND_FORUM, load_demo
from tracker.demo_illustrative import ILLUSTRATIVE
from tracker.demo_record import load_public_record
from tracker.readmodel import reports
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery
from tracker.settings import Settings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_the_demo_adds_up_to_the_pledge_and_loads_once(settings: Settings) -> None:
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=2)
    try:
        first = load_demo(tracker, NOW)
        head = tracker.recorder.max_notification_id()
        second = load_demo(tracker, NOW)
        assert first.events_recorded > 500
        assert second.events_recorded == 0
        assert second.events_replayed == first.events_recorded
        assert tracker.recorder.max_notification_id() == head

        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            count, planned, invented = conn.execute(
                select(
                    func.count(),
                    func.sum(t.projects.c.planned_jobs),
                    func.count().filter(t.projects.c.illustrative),
                )
            ).one()
            record = load_public_record()
            assert count == invented + len(record.projects) == 79  # 5 named after the forum
            assert planned == 14_600
            amounts = conn.execute(
                select(
                    t.projects.c.planned_investment,
                    t.projects.c.currency,
                    t.projects.c.title,
                    t.projects.c.illustrative,
                )
            ).all()
            usd = sum(a for a, currency, _, _ in amounts if currency == "USD")
            assert usd == Decimal(3_400_000_000)
            assert {c for _, c, _, _ in amounts} == {"USD", "KZT"}  # as reported, unconverted
            for _, _, title, illustrative in amounts:
                assert title.startswith(ILLUSTRATIVE) is illustrative
            statements = conn.execute(select(func.count()).select_from(t.statements)).scalar()
            assert statements == len(record.statements)
            restated = conn.execute(
                select(t.targets.c.projects).order_by(t.targets.c.effective_date)
            ).scalars()
            assert list(restated) == [42, 60, 69, 74]
            currencies = set(conn.execute(select(t.facts.c.currency).distinct()).scalars())
            assert {"USD", "KZT", "UZS"} <= currencies
            superseded = conn.execute(
                select(func.count()).where(t.facts.c.superseded_position.is_not(None))
            ).scalar_one()
            assert superseded > 0  # some corrections and retractions
            statuses = set(conn.execute(select(t.projects.c.status).distinct()).scalars())
            assert {"cancelled", "operational"} <= statuses

            report = reports.progress(conn, ReportQuery(first.portfolio_id))
        assert report.targets is not None
        assert (report.targets.projects, report.targets.jobs) == (74, 14_600)
        assert report.targets.investment == Decimal(3_400_000_000)
        # At the Samarkand forum the portfolio holds the 74 projects it announced; the first
        # 42 are located as reported in February 2023: 29 in Kazakhstan, 13 in Uzbekistan.
        with engine.connect() as conn:
            at_forum = reports.projects_as_of(
                conn, ReportQuery(first.portfolio_id, as_of=SAMARKAND_FORUM)
            )
            first_42 = reports.projects_as_of(
                conn, ReportQuery(first.portfolio_id, as_of=date(2023, 2, 1))
            )
        assert len(at_forum) == 74 and len(first_42) == 42
        located = Counter((p.regions or p.countries)[0][:2] for p in first_42.values())
        assert located == {"KZ": 29, "UZ": 13}
        # The demo brings its own rates: one illustrative set, which only it names, converts
        # every demo amount.
        assert [(s.name, s.illustrative) for s in report.rate_sets] == [(RATE_SET, True)]
        for total in (report.figures.pledged, report.figures.committed, report.figures.disbursed):
            assert total.unconverted == {}
        assert {rate.currency for rate in report.rates_used} == {"KZT", "UZS"}
        assert all(rate.illustrative for rate in report.rates_used)
        assert {rate.rate_set for rate in report.rates_used} == {RATE_SET}
    finally:
        engine.dispose()
        tracker.close()
