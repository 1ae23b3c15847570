"""A long PostgreSQL outage, behind a proxy: answered 503 all along, and the very first
request after it succeeds.

A real ``tracker serve`` reaches PostgreSQL through a TCP relay (``TRACKER_DB_TIMEOUT=2``)
under the same steady load as test_postgres_restart.py. The relay is cut, which drops every
connection and refuses new ones (a partition, or a database that is gone), for fifteen
seconds: long enough for connection pools to back off, and more than the ten seconds the
clients wait for an answer. The shared cluster itself is never touched.

While it is cut, every request is answered, with 503 problem+json and ``Retry-After``; none
may be a 500 and none may go unanswered for 10 s. (Left to itself, the event store's library
retried each call ten times and kept a request waiting some 22 s before its 503, and its pool
backed off so far that the API went on answering 503 for tens of seconds after the database
was back: see tracker/eventstore/postgres_recorder.py.) When the
relay is back, the very next write is recorded. Every acknowledged write is in the store,
once. Figures go to ``test-artifacts/reliability/postgres-outage.json``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.reliability.harness import (
    Server,
    SteadyLoad,
    TcpProxy,
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

OUTAGE_SECONDS = 15.0
DEADLINE = 90.0


@pytest.fixture
def relay(postgres_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.port or 5432, parts.hostname or "127.0.0.1")
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.cut()


def through(relay: TcpProxy, postgres_url: str) -> str:
    """The database URL, by way of the relay."""
    parts = urlsplit(postgres_url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{relay.port}" if credentials else f"127.0.0.1:{relay.port}"
    return parts._replace(netloc=netloc).geturl()


def test_a_long_outage_is_answered_503_and_the_first_request_after_it_succeeds(
    relay: TcpProxy, postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    env = server_env(through(relay, postgres_url), postgres_schema, TRACKER_DB_TIMEOUT="2")
    admin, recorder = prepare(env)
    server = Server(env, tmp_path / "server.log")
    server.start()
    started = time.monotonic()
    load: SteadyLoad | None = None
    try:
        with client(server, admin) as api:
            portfolio = create_portfolio(api)
            project = announce(api, portfolio, "Plant behind a relay")
        load = SteadyLoad(server, recorder, portfolio, project)
        worker = threading.Thread(target=load.run, args=(started + DEADLINE,), daemon=True)
        worker.start()
        assert wait_until(lambda: load is not None and load.ledger.acks() >= 10, timeout=30)

        load.stop.set()  # let the load settle its last write, then pause it
        worker.join(timeout=30)
        relay.cut()
        load.stop.clear()
        load.down.set()
        worker = threading.Thread(
            target=load.run, args=(started + DEADLINE,), kwargs={"settle": False}, daemon=True
        )
        worker.start()
        time.sleep(OUTAGE_SECONDS)
        load.stop.set()
        worker.join(timeout=30)
        load.down.clear()
        assert not worker.is_alive()

        relay.start()
        with client(server, recorder, timeout=10) as api:
            first = api.post(
                f"/api/v1/projects/{project}/events",
                json={"type": "milestone", "name": "Back online", "effective_date": "2025-03-01"},
            )
        load.stop.clear()
        worker = threading.Thread(target=load.run, args=(started + DEADLINE,), daemon=True)
        worker.start()
        acks = load.ledger.acks() + 10
        wait_until(lambda: load is not None and load.ledger.acks() >= acks, timeout=30)
        load.stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive()
        with client(server, admin, timeout=30) as api:
            stored = stored_requests(api, [project])
    finally:
        if load is not None:
            load.stop.set()
        server.stop()

    ledger = load.ledger
    lost = [r for r in ledger.acknowledged if r not in stored]
    duplicated = [r for r, events in stored.items() if len(events) > 1]
    refused_yet_stored = [r for r in ledger.refused if r in ledger.replayed]
    all_statuses = ledger.statuses + load.reads
    write_figures(
        "postgres-outage",
        {
            "outage_seconds": OUTAGE_SECONDS,
            "db_timeout_seconds": 2,
            "requests_sent": ledger.sent + sum(load.reads.values()) + 1,
            "answers_while_down": {str(k): v for k, v in sorted(load.answers_while_down.items())},
            "requests_without_answer_in_10_s": len(load.hung),
            "first_write_after_the_outage": first.status_code,
            "writes_acknowledged": len(ledger.acknowledged) + int(first.is_success),
            "found_afterwards": len(ledger.acknowledged) - len(lost),
            "lost": len(lost),
            "stored_twice": len(duplicated),
            "refused_yet_stored": len(refused_yet_stored),
            "answers_by_status": {str(k): v for k, v in sorted(all_statuses.items())},
            "server_starts": server.starts,
        },
    )

    assert not load.hung, load.hung[:5]
    assert set(load.answers_while_down) == {503}, load.answers_while_down
    assert 500 not in all_statuses, all_statuses
    assert not ledger.malformed and not load.bad_reads, (ledger.malformed, load.bad_reads[:5])
    assert not server.errors_logged()
    assert first.status_code == 201, first.text
    assert server.starts == 1
    assert not lost and not duplicated and not refused_yet_stored
    assert sorted(stored) == sorted(ledger.acknowledged)


def test_the_relay_really_cuts(relay: TcpProxy, postgres_url: str) -> None:
    """The outage above is real: through the cut relay, nothing reaches PostgreSQL."""
    with psycopg.connect(through(relay, postgres_url), connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        relay.cut()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(through(relay, postgres_url), connect_timeout=5)
