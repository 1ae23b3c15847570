"""PostgreSQL stops and starts again under load: the API says 503, never 500, and recovers
by itself.

A real ``tracker serve`` on PostgreSQL (``TRACKER_DB_TIMEOUT=2``) takes a light, steady load of
writes and reads (a project and its history without a key, as the public reads them, and with
one; the portfolio's progress; the project list). The PostgreSQL cluster is stopped
(``pg_ctlcluster stop``, fast mode: every connection is cut), held down for five seconds, and
started again; the API is never restarted.

While the database is down every answer must be 503 ``application/problem+json`` with a
``Retry-After``; no answer may be a 500, and none may keep the client waiting past its 10 s
timeout. Once it is back, writes succeed again without anyone touching the API. A write
answered 503 or not at all is retried with its ``Idempotency-Key``, as a client should: in the
end each write is stored exactly once and every acknowledged one is in the store. PostgreSQL
is started again whatever happens. Figures go to
``test-artifacts/reliability/postgres-restart.json``.

This stops the shared test cluster for a few seconds: it is skipped without
``pg_ctlcluster`` (and fails instead under ``TRACKER_REQUIRE_POSTGRES=1``). A longer outage
is in test_postgres_outage.py, behind a proxy, without stopping the cluster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.reliability.harness import (
    Server,
    SteadyLoad,
    announce,
    client,
    create_portfolio,
    prepare,
    server_env,
    stored_requests,
    wait_until,
    write_figures,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DOWN_SECONDS = 5.0
DEADLINE = 90.0


def cluster_of(postgres_url: str) -> tuple[str, str] | str:
    """The (version, name) of the local cluster serving the URL, or why there is none."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return "pg_ctlcluster is not installed"
    port = str(urlsplit(postgres_url).port or 5432)
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30, check=False
    )
    for line in listed.stdout.splitlines():
        columns = line.split()
        if len(columns) >= 3 and columns[2] == port:
            return columns[0], columns[1]
    return f"no local cluster listens on port {port}"


def pg_ctl(cluster: tuple[str, str], action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
        capture_output=True,
        timeout=60,
        check=True,
    )


def pg_ready(postgres_url: str) -> bool:
    parts = urlsplit(postgres_url)
    done = subprocess.run(
        ["pg_isready", "-q", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)],
        timeout=10,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def cluster(postgres_url: str) -> Iterator[tuple[str, str]]:
    found = cluster_of(postgres_url)
    if isinstance(found, str):
        if os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"TRACKER_REQUIRE_POSTGRES=1 but {found}")
        pytest.skip(found)
    try:
        yield found
    finally:
        # Whatever happened, leave PostgreSQL running for everyone else.
        if not pg_ready(postgres_url):
            pg_ctl(found, "start")
        assert wait_until(lambda: pg_ready(postgres_url), timeout=60, interval=0.5)


def test_postgres_restart_is_answered_503_and_the_api_recovers_by_itself(
    cluster: tuple[str, str], postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    env = server_env(postgres_url, postgres_schema, TRACKER_DB_TIMEOUT="2")
    admin, recorder = prepare(env)
    server = Server(env, tmp_path / "server.log")
    server.start()
    started = time.monotonic()
    try:
        with client(server, admin) as api:
            portfolio = create_portfolio(api)
            project = announce(api, portfolio, "Plant under load")
        load = SteadyLoad(server, recorder, portfolio, project)
        worker = threading.Thread(target=load.run, args=(started + DEADLINE,), daemon=True)
        worker.start()
        assert wait_until(lambda: load.ledger.acks() >= 20, timeout=30)

        stopped_at = time.monotonic()
        pg_ctl(cluster, "stop")
        load.down.set()
        time.sleep(DOWN_SECONDS)
        load.down.clear()
        pg_ctl(cluster, "start")
        load.restarted_at = time.monotonic()
        assert wait_until(lambda: pg_ready(postgres_url), timeout=60, interval=0.2)

        recovered = wait_until(lambda: load.first_ack_after_restart is not None, timeout=30)
        acks_after = load.ledger.acks() + 20
        wait_until(lambda: load.ledger.acks() >= acks_after, timeout=30)
        load.stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive()

        with client(server, admin, timeout=30) as api:
            stored = stored_requests(api, [project])
            ready = api.get("/ready")
    finally:
        load_stop = locals().get("load")
        if load_stop is not None:
            load_stop.stop.set()
        server.stop()

    ledger = load.ledger
    lost = [r for r in ledger.acknowledged if r not in stored]
    duplicated = [r for r, events in stored.items() if len(events) > 1]
    # A write answered 503 must have recorded nothing: its retry records it, never replays it.
    refused_yet_stored = [r for r in ledger.refused if r in ledger.replayed]
    all_statuses = ledger.statuses + load.reads
    write_figures(
        "postgres-restart",
        {
            "database_down_seconds": DOWN_SECONDS,
            "db_timeout_seconds": 2,
            "requests_sent": ledger.sent + sum(load.reads.values()),
            "writes_sent": ledger.sent,
            "writes_acknowledged": len(ledger.acknowledged),
            "found_afterwards": len(ledger.acknowledged) - len(lost),
            "lost": len(lost),
            "stored_twice": len(duplicated),
            "writes_refused_then_retried": len(ledger.refused),
            "writes_unanswered_then_retried": len(ledger.interrupted),
            "retries_answered_as_replays": len(ledger.replayed),
            "refused_yet_stored": len(refused_yet_stored),
            "answers_while_down": {str(k): v for k, v in sorted(load.answers_while_down.items())},
            "requests_without_answer_in_10_s": len(load.hung),
            "answers_by_status": {str(k): v for k, v in sorted(all_statuses.items())},
            "seconds_from_restart_to_first_write": (
                round(load.first_ack_after_restart - load.restarted_at, 1)
                if load.first_ack_after_restart and load.restarted_at
                else None
            ),
            "seconds": round(time.monotonic() - started, 1),
            "server_starts": server.starts,
            "stopped_after_seconds": round(stopped_at - started, 1),
        },
    )

    assert 500 not in all_statuses, all_statuses
    assert not [s for s in all_statuses if s > 500 and s != 503], all_statuses
    assert load.answers_while_down[503] > 0, load.answers_while_down
    assert not ledger.malformed and not load.bad_reads, (ledger.malformed, load.bad_reads[:5])
    assert not load.hung, load.hung[:5]
    assert not server.errors_logged(), server.errors_logged()[:3]
    assert recovered, "no write succeeded within 30 s of PostgreSQL being back"
    assert server.starts == 1, "the API was never restarted"
    assert ready.status_code == 200
    assert not lost, lost
    assert not duplicated, duplicated
    assert not refused_yet_stored, refused_yet_stored
    assert sorted(stored) == sorted(ledger.acknowledged)
