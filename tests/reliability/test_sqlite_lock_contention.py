"""Another process fights the API for the SQLite file: 503 at worst, never 500, nothing lost.

A real ``tracker serve`` on a SQLite file (``TRACKER_DB_TIMEOUT=1``) takes writes from three
client threads while a second process, on the same file, first holds the write lock for
longer than the API will wait (twice), then hammers it with short write transactions. The API
may answer 503 (problem+json, ``Retry-After``) or 409 when it cannot get the lock in time;
a client retries those with the same ``Idempotency-Key``.

No answer may be a 500; a write answered 503 must not have been recorded (its retry records
it; a replay would mean the 503 lied); every acknowledged write is stored, once; versions run
1..n; and the read model converges on the log. Figures go to
``test-artifacts/reliability/sqlite-lock-contention.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.reliability.harness import (
    Ledger,
    Server,
    announce,
    client,
    create_portfolio,
    history,
    prepare,
    server_env,
    stored_requests,
    wait_until,
    write_figures,
)

WRITERS = 3
DB_TIMEOUT = 1
#: The rival holds the write lock this long, twice: longer than the API waits for it.
HOLD_SECONDS = 2.5
HAMMER_SECONDS = 4.0
DEADLINE = 60.0

# The rival: plain sqlite3 in another process, on the same file, in its own table.
RIVAL = """
import json, sqlite3, sys, time
path, hold, hammer = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
conn = sqlite3.connect(path, timeout=30, isolation_level=None)
conn.execute("CREATE TABLE IF NOT EXISTS lock_rival (n INTEGER)")
held = transactions = 0
for _ in range(2):
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO lock_rival VALUES (0)")
    print("holding", flush=True)
    time.sleep(hold)
    conn.execute("COMMIT")
    held += 1
    time.sleep(0.5)
end = time.monotonic() + hammer
while time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO lock_rival VALUES (?)", (transactions,))
    time.sleep(0.02)
    conn.execute("COMMIT")
    transactions += 1
print(json.dumps({"holds": held, "short_transactions": transactions}), flush=True)
"""


def writer(
    server: Server,
    token: str,
    projects: list[str],
    number: int,
    ledger: Ledger,
    stop: threading.Event,
    deadline: float,
) -> None:
    pending: tuple[str, str] | None = None
    sequence = 0
    with client(server, token, timeout=15) as api:
        while (not stop.is_set() or pending) and time.monotonic() < deadline:
            if pending is None:
                pending = (f"req-{number}-{sequence}", projects[sequence % len(projects)])
                sequence += 1
            request_id, project = pending
            ledger.count_sent()
            try:
                response = api.post(
                    f"/api/v1/projects/{project}/events",
                    json={
                        "type": "disbursed",
                        "amount": {"amount": f"{sequence}.50", "currency": "USD"},
                        "effective_date": "2025-03-01",
                        "source": {"title": request_id},
                    },
                    headers={"Idempotency-Key": request_id},
                )
            except httpx.TransportError:
                ledger.no_answer(request_id)
                time.sleep(0.1)
                continue
            ledger.answer(request_id, project, response)
            if response.is_success:
                pending = None
            else:
                time.sleep(0.1)  # 503 or 409: retry the same request, as a client should
            time.sleep(0.01)


@pytest.mark.slow
def test_a_rival_process_on_the_sqlite_file_costs_503s_not_500s_nor_writes(
    tmp_path: Path,
) -> None:
    database = tmp_path / "tracker.db"
    env = server_env(f"sqlite:///{database}", TRACKER_DB_TIMEOUT=str(DB_TIMEOUT))
    admin, recorder = prepare(env)
    server = Server(env, tmp_path / "server.log")
    server.start()
    started = time.monotonic()
    ledger = Ledger()
    stop = threading.Event()
    rival: subprocess.Popen[str] | None = None
    try:
        with client(server, admin) as api:
            portfolio = create_portfolio(api)
            projects = [announce(api, portfolio, f"Plant {n}") for n in range(2)]
        threads = [
            threading.Thread(
                target=writer,
                args=(server, recorder, projects, n, ledger, stop, started + DEADLINE),
                daemon=True,
            )
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        assert wait_until(lambda: ledger.acks() >= 20, timeout=20)
        rival = subprocess.Popen(
            [sys.executable, "-c", RIVAL, str(database), str(HOLD_SECONDS), str(HAMMER_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        rival_out, _ = rival.communicate(timeout=60)
        assert rival.returncode == 0, rival_out
        acks_after = ledger.acks() + 20
        assert wait_until(lambda: ledger.acks() >= acks_after, timeout=20)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)
        with client(server, admin, timeout=30) as api:
            stored = stored_requests(api, projects)
            histories = {p: history(api, p) for p in projects}
            head = max(e["position"] for events in histories.values() for e in events)
            progress = api.get(
                f"/api/v1/portfolios/{portfolio}/progress", params={"min_position": head}
            ).json()
    finally:
        stop.set()
        if rival is not None and rival.poll() is None:
            rival.kill()
        server.stop()

    rival_figures = json.loads(rival_out.strip().splitlines()[-1])
    lost = [r for r in ledger.acknowledged if r not in stored]
    duplicated = [r for r, events in stored.items() if len(events) > 1]
    refused_yet_stored = [r for r in ledger.refused if r in ledger.replayed]
    stored_total = sum(
        Decimal(e["payload"]["amount"]["amount"]) for events in stored.values() for e in events
    )
    write_figures(
        "sqlite-lock-contention",
        {
            "db_timeout_seconds": DB_TIMEOUT,
            "rival_holds_of_seconds": [HOLD_SECONDS] * rival_figures["holds"],
            "rival_short_transactions": rival_figures["short_transactions"],
            "writes_sent": ledger.sent,
            "acknowledged": len(ledger.acknowledged),
            "found_afterwards": len(ledger.acknowledged) - len(lost),
            "lost": len(lost),
            "stored_twice": len(duplicated),
            "refused_then_retried": len(ledger.refused),
            "refused_yet_stored": len(refused_yet_stored),
            "answers_by_status": {str(k): v for k, v in sorted(ledger.statuses.items())},
            "readmodel_position": progress["position"],
            "log_head": head,
            "seconds": round(time.monotonic() - started, 1),
        },
    )

    assert 500 not in ledger.statuses, ledger.statuses
    assert set(ledger.statuses) <= {201, 409, 503}, ledger.statuses
    assert ledger.statuses[503] > 0, "the rival's holds should have cost some 503s"
    assert not ledger.malformed, ledger.malformed[:5]
    assert not server.errors_logged()
    assert not lost and not duplicated and not refused_yet_stored
    assert sorted(stored) == sorted(ledger.acknowledged)
    for project, events in histories.items():
        assert [e["version"] for e in events] == list(range(1, len(events) + 1)), project
    assert progress["position"] >= head
    assert Decimal(progress["disbursed"]["amount"]) == stored_total
