"""A rebuild reads and decodes the batch after the one it applies in a thread of its own
(tracker/readmodel/rebuild.py ``ReadAhead``): the batches are the same as read one after the
other, so the rebuilt view is too, and an event that cannot be decoded is still set aside
with its reason. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.integration.test_projector_crash import (
    assert_applied_exactly_once,
    busy_history,
    busy_project,
    establish,
    view_rows,
)
from tests.integration.test_stored_facts import stored_fact
from tracker.application import TrackerApplication
from tracker.readmodel import rebuild as rebuild_module
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild


def test_batches_read_ahead_rebuild_the_view_the_live_projector_made(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(tracker, establish(tracker), 0, 3)
    projector = Projector(tracker, engine)
    projector.catch_up()
    live = view_rows(engine)
    monkeypatch.setattr(rebuild_module, "REBUILD_BATCH", 7)  # many batches, some short ones
    recorder = tracker.recorder
    select = recorder.select_notifications
    readers: list[str] = []

    def noted(*args: Any, **kwargs: Any) -> Any:
        readers.append(threading.current_thread().name)
        return select(*args, **kwargs)

    monkeypatch.setattr(recorder, "select_notifications", noted)

    assert rebuild(projector) == recorder.max_notification_id()

    read_ahead = [name for name in readers if name.startswith("rebuild-read-ahead")]
    assert len(read_ahead) >= len(readers) // 2  # every batch but the first, and the swap's
    assert view_rows(engine) == live
    assert_applied_exactly_once(tracker, engine)


def test_an_event_read_ahead_that_cannot_be_decoded_is_set_aside(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio = establish(tracker)
    first = busy_project(tracker, portfolio, 1)
    undecodable = stored_fact(
        tracker, first, {"amount": "a lot"}, tracker.project(first).version + 1
    )
    busy_project(tracker, portfolio, 2)
    projector = Projector(tracker, engine)
    projector.catch_up()
    assert {failure.position for failure in projector.set_aside()} == {undecodable}
    live = view_rows(engine)
    monkeypatch.setattr(rebuild_module, "REBUILD_BATCH", 5)

    rebuild(projector)

    failures = projector.set_aside()
    assert [failure.position for failure in failures] == [undecodable]
    assert failures[0].error.startswith("MapperDeserialisationError: cannot decode")
    rebuilt = view_rows(engine)
    assert {name: rows for name, rows in rebuilt.items() if name != "rm_failures"} == {
        name: rows for name, rows in live.items() if name != "rm_failures"
    }
