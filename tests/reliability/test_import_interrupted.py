"""An import killed with SIGKILL while it records leaves a prefix of the file recorded, whole
batches of it; ``tracker import --status`` says how far it got, and importing the file again
records the rest, every row exactly once.

``tracker import`` runs as an operator would run it, on a SQLite file and on a fresh
PostgreSQL schema; the kill comes once the first batches are in the store and before the
last one is.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.generated_rows import generate
from tests.reliability.conftest import Backend
from tests.reliability.harness import (
    ROOT,
    STARTUP_TIMEOUT,
    TRACKER,
    server_env,
    tracker_cli,
    wait_until,
)
from tracker.application import TrackerApplication
from tracker.settings import Settings
from tracker.transfer.importer import BATCH_EVENTS

PROJECTS, EVENTS_PER_PROJECT = 300, 50
ROWS = 2 + PROJECTS * (EVENTS_PER_PROJECT + 1)  # 15,302: about 16 batches
STATUS = re.compile(
    r": (?P<rows>\d+) rows; (?P<recorded>\d+) recorded, (?P<left>\d+) not recorded"
    r"(?: \(the first on line (?P<line>\d+)\))?"
)


def head(tracker: TrackerApplication) -> int:
    return tracker.recorder.max_notification_id() or 0


@pytest.mark.slow
def test_an_import_killed_midway_is_completed_exactly_once_by_a_rerun(
    backend: Backend, tmp_path: Path
) -> None:
    env = server_env(backend.url, backend.schema)
    tracker_cli(env, "migrate")
    path = tmp_path / "bulk.csv"
    path.write_text(generate(PROJECTS, EVENTS_PER_PROJECT))
    store = TrackerApplication(
        Settings(database_url=backend.url, db_schema=backend.schema or "public")
    )
    try:
        process = subprocess.Popen(
            [str(TRACKER), "import", str(path)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert wait_until(
                lambda: head(store) >= BATCH_EVENTS or process.poll() is not None,
                STARTUP_TIMEOUT,
                interval=0.005,
            )
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(30)
        killed_at = head(store)
        assert process.returncode == -signal.SIGKILL, "the import ended before it was killed"
        assert 0 < killed_at < ROWS
        assert killed_at % BATCH_EVENTS == 0  # whole batches: one transaction each

        status = STATUS.search(tracker_cli(env, "import", "--status", str(path)))
        assert status is not None
        assert int(status["rows"]) == ROWS
        assert (int(status["recorded"]), int(status["left"])) == (killed_at, ROWS - killed_at)
        assert int(status["line"]) == killed_at + 2  # a prefix: the header is line 1

        rerun = tracker_cli(env, "import", str(path))
        assert f"{ROWS - killed_at} events recorded, {killed_at} rows already recorded" in rerun
        assert head(store) == ROWS
        notifications = store.recorder.select_notifications(0, ROWS + 10)
        keys = Counter(store.mapper.to_domain_event(n).idempotency_key for n in notifications)
        assert len(keys) == ROWS and set(keys.values()) == {1}  # every row exactly once
        done = STATUS.search(tracker_cli(env, "import", "--status", str(path)))
        assert done is not None and (done["recorded"], done["left"]) == (str(ROWS), "0")
    finally:
        store.close()
