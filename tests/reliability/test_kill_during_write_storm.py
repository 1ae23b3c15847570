"""Every acknowledged write survives a SIGKILL of the server in the middle of a write storm.

Six client threads post events to four projects of a real ``tracker serve`` (SQLite file, and
PostgreSQL in a fresh schema) and keep a ledger of every answer. Twice, once enough writes
are acknowledged, the server is killed with SIGKILL (no shutdown, no flush) and started
again on the same port; the clients keep going. A request that got no answer is retried with
the same ``Idempotency-Key``, as a client should: it is answered either with the event the
killed server had already stored (replayed) or with a new one.

Then, for every acknowledged request, the event it was told about must be in the store at that
version and position (lost = 0); no request may be stored twice; no refused request may be
stored; each project's versions run 1..n; and the read model converges on the log: its
position reaches the head and the portfolio's committed total equals the sum of the stored
events, so nothing was counted twice or skipped across the kills. The figures go to
``test-artifacts/reliability/kill-storm-<database>.json``.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import Backend
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

WRITERS = 6
PROJECTS = 4
KILLS = 2
#: Acknowledged writes to wait for before each kill, and after the last restart.
ACKS_PER_ROUND = 120
DEADLINE = 90.0


def amount_of(request_id: str) -> str:
    """A different amount per request, so a double count shows in the totals."""
    number = int(request_id.rsplit("-", 1)[1])
    return f"{number % 50 + 1}.{number % 100:02d}"


def storm(
    server: Server,
    token: str,
    projects: list[str],
    writer: int,
    ledger: Ledger,
    stop: threading.Event,
    deadline: float,
) -> None:
    pending: tuple[str, str] | None = None
    sequence = 0
    with client(server, token, timeout=10) as api:
        while (not stop.is_set() or pending) and time.monotonic() < deadline:
            if pending is None:
                request_id = f"req-{writer}-{sequence}"
                project = projects[(writer + sequence) % len(projects)]
                sequence += 1
            else:
                request_id, project = pending
            body = {
                "type": "committed",
                "amount": {"amount": amount_of(request_id), "currency": "USD"},
                "effective_date": "2025-02-01",
                "source": {"title": request_id},
            }
            ledger.count_sent()
            try:
                response = api.post(
                    f"/api/v1/projects/{project}/events",
                    json=body,
                    headers={"Idempotency-Key": request_id},
                )
            except httpx.TransportError:
                # Killed under us, or not back yet: the outcome is unknown, so retry it.
                ledger.no_answer(request_id)
                pending = (request_id, project)
                time.sleep(0.05)
                continue
            ledger.answer(request_id, project, response)
            pending = None


@pytest.mark.slow
def test_no_acknowledged_write_is_lost_when_the_server_is_killed(
    backend: Backend, tmp_path: Path
) -> None:
    env = server_env(backend.url, backend.schema)
    admin, recorder = prepare(env)
    server = Server(env, tmp_path / "server.log")
    server.start()
    started = time.monotonic()
    deadline = started + DEADLINE
    ledger = Ledger()
    stop = threading.Event()
    try:
        with client(server, admin) as api:
            portfolio = create_portfolio(api)
            projects = [announce(api, portfolio, f"Plant {n}") for n in range(PROJECTS)]
        threads = [
            threading.Thread(
                target=storm,
                args=(server, recorder, projects, n, ledger, stop, deadline),
                daemon=True,
            )
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        acks_at_kill = []
        for _ in range(KILLS):
            target = ledger.acks() + ACKS_PER_ROUND
            assert wait_until(lambda t=target: ledger.acks() >= t, timeout=40), ledger.statuses
            acks_at_kill.append(ledger.acks())
            server.kill()
            server.start()
        target = ledger.acks() + ACKS_PER_ROUND
        assert wait_until(lambda: ledger.acks() >= target, timeout=40), ledger.statuses
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads), "a writer did not finish"
        storm_seconds = time.monotonic() - started

        with client(server, admin, timeout=30) as api:
            stored = stored_requests(api, projects)
            histories = {p: history(api, p) for p in projects}
            head = max(e["position"] for events in histories.values() for e in events)
            progress = api.get(
                f"/api/v1/portfolios/{portfolio}/progress", params={"min_position": head}
            ).json()
            listed = api.get(
                "/api/v1/projects", params={"portfolio": portfolio, "min_position": head}
            ).json()
    finally:
        stop.set()
        server.stop()

    lost = [r for r in ledger.acknowledged if r not in stored]
    moved = [
        r
        for r, (project, version, position) in ledger.acknowledged.items()
        if r in stored
        and (stored[r][0]["project"], stored[r][0]["version"], stored[r][0]["position"])
        != (project, version, position)
    ]
    duplicated = [r for r, events in stored.items() if len(events) > 1]
    refused_but_stored = [r for r in ledger.refused if r in stored and r not in ledger.acknowledged]
    unaccounted = [r for r in stored if r not in ledger.acknowledged]
    stored_total = sum(
        Decimal(e["payload"]["amount"]["amount"]) for events in stored.values() for e in events
    )
    write_figures(
        f"kill-storm-{backend.name}",
        {
            "database": backend.name,
            "writers": WRITERS,
            "projects": PROJECTS,
            "kills": KILLS,
            "server_starts": server.starts,
            "requests_sent": ledger.sent,
            "distinct_writes": len(ledger.acknowledged) + len(ledger.refused),
            "acknowledged": len(ledger.acknowledged),
            "acknowledged_before_each_kill": acks_at_kill,
            "unanswered_then_retried": len(ledger.interrupted),
            "stored_by_the_killed_server_before_answering": len(
                ledger.interrupted & ledger.replayed
            ),
            "found_afterwards": len(ledger.acknowledged) - len(lost),
            "lost": len(lost),
            "stored_twice": len(duplicated),
            "answers_by_status": {str(k): v for k, v in sorted(ledger.statuses.items())},
            "readmodel_position": progress["position"],
            "log_head": head,
            "committed_in_readmodel": progress["committed"]["amount"],
            "committed_in_events": str(stored_total),
            "seconds": round(storm_seconds, 1),
        },
    )

    assert server.starts == KILLS + 1
    assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:10]}"
    assert not moved, f"acknowledged at another version or position: {moved[:10]}"
    assert not duplicated, f"stored twice: {duplicated[:10]}"
    assert not refused_but_stored and not unaccounted, (refused_but_stored, unaccounted)
    assert not ledger.unanswered, "every unanswered request was settled by its retry"
    assert ledger.interrupted, "the kills should have cut some requests short"
    assert not [s for s in ledger.statuses if s >= 500 and s != 503], ledger.statuses
    assert not ledger.malformed, ledger.malformed[:5]
    assert not server.errors_logged()
    for project, events in histories.items():
        assert [e["version"] for e in events] == list(range(1, len(events) + 1)), project
    # The read model converged on the log, each event applied exactly once.
    assert progress["position"] >= head
    assert Decimal(progress["committed"]["amount"]) == stored_total
    versions = {item["id"]: item["version"] for item in listed["items"]}
    assert versions == {p: len(events) for p, events in histories.items()}
