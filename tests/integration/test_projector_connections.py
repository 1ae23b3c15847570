"""The projector's batches run on pooled connections with settings of their own (they need
not wait for the disk; a rebuild's, on SQLite, a larger page cache: tracker/readmodel/
projector.py ``Projector.transaction``), and give the connections back to the pool as they
found them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from tests.integration.busy_history import busy_history, establish
from tracker.application import TrackerApplication
from tracker.readmodel import projector as projector_module
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild

SETTINGS = {
    "sqlite": ("PRAGMA synchronous", "PRAGMA cache_size"),
    "postgresql": ("SHOW synchronous_commit",),
}


def settings(conn: Connection) -> tuple[Any, ...]:
    return tuple(conn.exec_driver_sql(query).scalar_one() for query in SETTINGS[conn.dialect.name])


def pooled_settings(engine: Engine) -> list[tuple[Any, ...]]:
    """The pool's connections' settings, each as it was made."""
    pooled = []
    for _ in range(2):
        with engine.connect() as conn:
            pooled.append(settings(conn))
    return pooled


def watch_batches(monkeypatch: pytest.MonkeyPatch, rebuilding: bool) -> list[tuple[Any, ...]]:
    """The settings of each batch's connection, as the live projector or a rebuild applies it."""
    seen: list[tuple[Any, ...]] = []
    apply = Projector.apply

    def watched(self: Projector, conn: Connection, notifications: Sequence[Any]) -> None:
        if self.rebuilding == rebuilding:
            seen.append(settings(conn))
        apply(self, conn, notifications)

    monkeypatch.setattr(projector_module.Projector, "apply", watched)
    return seen


def test_the_live_views_batches_do_not_wait_for_the_disk_and_give_connections_back(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view is made from durable events and moves its position with its rows: its own
    commits need not wait for the disk (a write's durable commit, done before the batch is
    applied, is what an acknowledgement promises)."""
    projector = Projector(tracker, engine)
    pooled = pooled_settings(engine)
    seen = watch_batches(monkeypatch, rebuilding=False)

    busy_history(tracker, establish(tracker), 0, 2)
    projector.catch_up()

    if engine.dialect.name == "sqlite":  # NORMAL, and the pool's own cache size
        assert seen and {s[0] for s in seen} == {1}
        assert {s[1] for s in seen} <= {p[1] for p in pooled}
    else:
        assert seen and set(seen) == {("off",)}
    assert pooled_settings(engine) == pooled


def test_a_rebuilds_batches_take_their_settings_and_give_connections_back_as_they_were(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(tracker, establish(tracker), 0, 2)
    projector = Projector(tracker, engine)
    projector.catch_up()
    pooled = pooled_settings(engine)
    seen = watch_batches(monkeypatch, rebuilding=True)

    rebuild(projector)

    if engine.dialect.name == "sqlite":  # NORMAL, and the cache in KiB (negative)
        assert seen and set(seen) == {(1, -projector_module.REBUILD_CACHE_KIB)}
    else:
        assert seen and set(seen) == {("off",)}
    for _ in range(2):
        with engine.connect() as conn:
            assert settings(conn) in pooled
