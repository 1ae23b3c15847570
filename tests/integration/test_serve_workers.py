"""``tracker serve --workers 2`` starts workers that start slowly.

Each worker is a new interpreter that imports the whole app before it answers uvicorn's health
check. On a busy machine that took longer than uvicorn's default of five seconds, and uvicorn
killed every worker while it was still importing and started another, forever: the server
never answered (found by `make bench`'s two-worker figure, api.server.WORKER_HEALTHCHECK_SECONDS).
Here each worker is made to start slowly on purpose, whatever the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.reliability.harness import Server, server_env, tracker_cli

#: Seconds each worker waits before it imports anything: past uvicorn's default check.
SLOW_START = 6


def test_workers_that_start_slowly_are_waited_for(tmp_path: Path) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import sys, time\n"
        "if '--multiprocessing-fork' in sys.argv:  # a worker, not the server itself\n"
        f"    time.sleep({SLOW_START})\n"
    )
    path = os.pathsep.join(p for p in (str(slow), os.environ.get("PYTHONPATH", "")) if p)
    env = server_env(f"sqlite:///{tmp_path}/tracker.db", PYTHONPATH=path)
    tracker_cli(env, "migrate")
    server = Server(env, tmp_path / "server.log", options=("--workers", "2"))
    server.start()  # waits for /ready, at most harness.STARTUP_TIMEOUT
    try:
        assert httpx.get(f"{server.base_url}/health", timeout=10).status_code == 200
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "died" not in log, log
