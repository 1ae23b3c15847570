"""A rebuild's batches run on pooled connections with settings of their own (they need not
wait for the disk; on SQLite a larger page cache: tracker/readmodel/projector.py
``Projector.transaction``), and give the connections back to the pool as they found them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from tests.integration.test_projector_crash import busy_history, establish
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


def test_a_rebuilds_batches_take_their_settings_and_give_connections_back_as_they_were(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_history(tracker, establish(tracker), 0, 2)
    projector = Projector(tracker, engine)
    projector.catch_up()
    pooled = []
    for _ in range(2):  # the pool's connections, each as it was made
        with engine.connect() as conn:
            pooled.append(settings(conn))
    seen: list[tuple[Any, ...]] = []
    apply = Projector.apply

    def watched(self: Projector, conn: Connection, notifications: Sequence[Any]) -> None:
        if self.rebuilding:
            seen.append(settings(conn))
        apply(self, conn, notifications)

    monkeypatch.setattr(projector_module.Projector, "apply", watched)

    rebuild(projector)

    if engine.dialect.name == "sqlite":  # NORMAL, and the cache in KiB (negative)
        assert seen and set(seen) == {(1, -projector_module.REBUILD_CACHE_KIB)}
    else:
        assert seen and set(seen) == {("off",)}
    for _ in range(2):
        with engine.connect() as conn:
            assert settings(conn) in pooled
