"""A read model stops when asked, whatever its threads were waiting for.

Found 2026-12-03: on PostgreSQL every app's shutdown took half a second, the listening
thread's wait for a notification (``POLL_INTERVAL``) that ``stop`` could not cut short;
the test suite spent a minute and a half of its time in it. Here the waits are an hour
long, so a thread that only ends when its wait does is still alive after ``stop``.
"""

from __future__ import annotations

import time

import psycopg
import pytest

from tracker.application import TrackerApplication
from tracker.readmodel import service
from tracker.readmodel.projector import position_channel
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings


def listening(settings: Settings, channel: str) -> None:
    """Wait until a connection listens on ``channel``, and a little longer, so that its
    thread waits for notifications when ``stop`` is called."""
    deadline = time.monotonic() + 10
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        while not conn.execute(
            "SELECT 1 FROM pg_stat_activity WHERE query = %s",
            (f'LISTEN "{channel}"',),
        ).fetchall():
            assert time.monotonic() < deadline, "the read model never listened"
            time.sleep(0.02)
    time.sleep(0.2)


@pytest.mark.parametrize("in_process", [True, False], ids=["projector", "watcher"])
def test_stop_ends_every_thread_of_the_read_model_at_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, in_process: bool
) -> None:
    monkeypatch.setattr(service, "POLL_INTERVAL", 3600.0)
    monkeypatch.setattr(service, "WATCH_INTERVAL", 3600.0)
    monkeypatch.setattr(service, "STOP_WAIT", 1.0)  # how long stop() waits for each thread
    tracker = TrackerApplication(settings)
    read_model = ReadModel(tracker, in_process=in_process)
    try:
        read_model.start()
        threads = list(read_model.threads)
        assert threads and all(thread.is_alive() for thread in threads)
        if settings.is_postgres:
            channel = (
                tracker.recorder.channel_name  # type: ignore[attr-defined]
                if in_process
                else position_channel(settings.db_schema)
            )
            listening(settings, channel)
        read_model.stop()
        assert [thread.name for thread in threads if thread.is_alive()] == []
    finally:
        tracker.close()
