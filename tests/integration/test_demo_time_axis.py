"""The demo shows how knowledge changed: its events carry simulated recording times.

Before, the demo's events were all recorded within seconds, so a report "as known at" any
past day equalled today's. Now the offline loader records each event when a desk would have
(late reports, corrections months later, a rate corrected after the Samarkand forum), in
log order, and marks every such event as simulated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.application import TrackerApplication
from tracker.demo import MISPUBLISHED, load_demo
from tracker.demo_clock import MARGIN
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery, progress
from tracker.settings import Settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
AT_THE_FORUM = datetime(2024, 10, 22, 23, 59, tzinfo=UTC)


def test_the_demo_is_recorded_along_a_simulated_clock(settings: Settings) -> None:
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=1)
    try:
        result = load_demo(tracker, NOW)
        events = [
            tracker.mapper.to_domain_event(n)
            for n in tracker.recorder.select_notifications(1, 10_000)
        ]
        times = [e.timestamp for e in events]
        assert len(events) == result.events_recorded
        assert all(e.simulated for e in events)
        assert times == sorted(times), "the log's order agrees with the recording times"
        assert times[0] < datetime(2023, 1, 1, tzinfo=UTC)
        assert times[-1] <= NOW - MARGIN
        # Reports are late: many events were recorded weeks or months after they happened.
        lags = [e.timestamp.date() - e.effective_date for e in events]
        assert sum(lag > timedelta(days=60) for lag in lags) > 20

        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            then = progress(conn, ReportQuery(result.portfolio_id, known_at=AT_THE_FORUM))
            today = progress(conn, ReportQuery(result.portfolio_id))
        assert then.figures.committed.amount < today.figures.committed.amount
        assert then.targets is not None and then.targets.projects == 74
        [(key, wrong)] = MISPUBLISHED.items()
        used_then = {(r.currency, r.rate_date): r.units_per_usd for r in then.rates_used}
        used_now = {(r.currency, r.rate_date): r.units_per_usd for r in today.rates_used}
        assert used_then[key] == wrong.units_per_usd
        assert used_now[key] != wrong.units_per_usd

        # Loading again records nothing, whatever the time.
        again = load_demo(tracker, NOW + timedelta(days=3))
        assert again.events_recorded == 0 and again.events_replayed == result.events_recorded
    finally:
        engine.dispose()
        tracker.close()
