"""The projector applies every event exactly once: across a crash, and with rivals.

(a) A projector process is killed inside its transaction, after it wrote the view and before
    it committed (before or after moving its position, or halfway through the batch); a fresh
    projector then catches up and every figure equals the oracle, nothing counted twice.
(b) Several projectors (threads, and separate processes) catch up at the same time with small
    batches; each event is applied once: the view holds the rows one projector alone writes.

Each runs on a SQLite file and on PostgreSQL. "The rows one projector alone writes" are
obtained with ``rebuild()``, and checked independently by counting the events that make rows
(tests/integration/projected_view.py).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.busy_history import busy_history, establish
from tests.integration.projected_view import (
    assert_applied_exactly_once,
    assert_reports_equal_the_oracle,
    view_rows,
)
from tracker.application import TrackerApplication
from tracker.readmodel import projector as projector_module
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.settings import Settings

REPO = Path(__file__).resolve().parents[2]


SMALL_BATCH = 7


# (a) a projector killed inside its transaction

CHILD = """
import os, signal, sys
from sqlalchemy import event, func, select
from tracker.application import TrackerApplication
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.settings import Settings

url, schema, moment = sys.argv[1:4]
settings = Settings(database_url=url, db_schema=schema)
tracker = TrackerApplication(settings)
engine = create_readmodel_engine(settings, pool_size=1)

def die():
    sys.stdout.flush()
    if moment == "after_view_write":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(1)

class Dying(Projector):
    def apply(self, conn, notifications):
        half = notifications[: len(notifications) // 2]
        super().apply(conn, half if moment == "halfway" else notifications)
        rows = conn.execute(select(func.count()).select_from(t.facts)).scalar_one()
        print(f"wrote {rows} ledger rows", flush=True)
        conn.info["view_written"] = True
        if moment in ("after_view_write", "halfway"):
            die()

@event.listens_for(engine, "begin")
def begin(conn):
    conn.info["view_written"] = False

@event.listens_for(engine, "after_cursor_execute")
def after_execute(conn, cursor, statement, parameters, context, executemany):
    conn.info["last_statement"] = " ".join(statement.split())

@event.listens_for(engine, "commit")
def before_commit(conn):
    if moment == "before_commit" and conn.info["view_written"]:
        print(f"dying before COMMIT, after: {conn.info['last_statement']}", flush=True)
        die()

Dying(tracker, engine).catch_up()
print("survived", flush=True)
sys.exit(3)
"""


def run_child(settings: Settings, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, settings.database_url, settings.db_schema, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ledger_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.facts)).scalar_one())


@pytest.mark.parametrize("moment", ["after_view_write", "before_commit", "halfway"])
def test_a_projector_killed_inside_its_transaction_leaves_nothing_behind(
    settings: Settings, tracker: TrackerApplication, engine: Engine, moment: str
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 2)
    committed = Projector(tracker, engine).catch_up()
    rows_before = ledger_rows(engine)
    busy_history(tracker, portfolio, 2, 3)

    child = run_child(settings, CHILD, moment)

    expected_code = -signal.SIGKILL if moment == "after_view_write" else 1
    assert child.returncode == expected_code, (child.stdout, child.stderr)
    written = int(child.stdout.split("wrote ")[1].split()[0])
    assert written > rows_before, "the child wrote view rows before it died"
    if moment == "before_commit":
        last = child.stdout.split("dying before COMMIT, after: ")[1]
        # The guarded move of the position (not the lock taken before the batch).
        assert re.match(r"UPDATE (\w+\.)?rm_position SET position=\S+ WHERE .+ AND ", last), last
    assert Projector(tracker, engine).applied_position() == committed
    assert ledger_rows(engine) == rows_before, "nothing of the dead transaction remains"

    assert Projector(tracker, engine).catch_up() == tracker.recorder.max_notification_id()
    assert_applied_exactly_once(tracker, engine)
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


# (b) rival projectors


def test_projectors_in_threads_apply_each_event_once(
    settings: Settings,
    tracker: TrackerApplication,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 6)
    monkeypatch.setattr(projector_module, "BATCH", SMALL_BATCH)
    rivals = 3
    engines = [create_readmodel_engine(settings, pool_size=2) for _ in range(rivals)]
    start = threading.Barrier(rivals)

    def catch_up(rival_engine: Engine) -> int:
        projector = Projector(tracker, rival_engine)
        start.wait(timeout=30)
        return projector.catch_up()

    try:
        with ThreadPoolExecutor(rivals) as pool:
            positions = list(pool.map(catch_up, engines))  # re-raises a rival's error
    finally:
        for rival_engine in engines:
            rival_engine.dispose()

    head = tracker.recorder.max_notification_id()
    assert positions == [head] * rivals
    assert_applied_exactly_once(tracker, engine)
    together = view_rows(engine)
    rebuild(Projector(tracker, engine))
    assert view_rows(engine) == together, "rivals wrote what one projector alone writes"
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


RIVAL = """
import sys
from tracker.application import TrackerApplication
from tracker.readmodel import projector
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings

url, schema, batch = sys.argv[1:4]
projector.BATCH = int(batch)
settings = Settings(database_url=url, db_schema=schema)
tracker = TrackerApplication(settings)
print(projector.Projector(tracker, create_readmodel_engine(settings, pool_size=1)).catch_up())
"""


def test_projector_processes_apply_each_event_once(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 6)
    command = [sys.executable, "-c", RIVAL, settings.database_url, settings.db_schema]
    rivals = [
        subprocess.Popen(
            [*command, str(SMALL_BATCH)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [rival.communicate(timeout=120) for rival in rivals]

    head = tracker.recorder.max_notification_id()
    for rival, (stdout, stderr) in zip(rivals, outcomes, strict=True):
        assert rival.returncode == 0, stderr
        assert int(stdout) == head
    assert_applied_exactly_once(tracker, engine)
    together = view_rows(engine)
    rebuild(Projector(tracker, engine))
    assert view_rows(engine) == together
    assert_reports_equal_the_oracle(tracker, engine, portfolio)
