"""Many writers on one project over HTTP: no lost update, versions contiguous.

Eight client threads write to the same project of a real ``tracker serve`` (SQLite file, and
PostgreSQL in a fresh schema) at once. Four post commitments without ``If-Match``: the server
retries a write that races another on the fresh state, so each must be recorded. Four post
milestones with ``If-Match`` set to the version they just read: each is recorded right after
that version or refused with 412, and then they read again and retry.

Afterwards the history runs 1..n with every version acknowledged exactly once, each
conditional write landed right after the version it named, the figures hold every commitment
and milestone that was acknowledged, and the project's ETag is its last version.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx

from tests.reliability.conftest import Backend
from tests.reliability.harness import (
    PROBLEM,
    Server,
    announce,
    client,
    create_portfolio,
    history,
    prepare,
    server_env,
    write_figures,
)

BLIND_WRITERS = 4
CONDITIONAL_WRITERS = 4
WRITES_EACH = 12
MAX_ATTEMPTS = 300
DEADLINE = 60.0


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: version → (kind, detail) of every acknowledged write
        self.versions: dict[int, tuple[str, str]] = {}
        self.duplicate_versions: list[int] = []
        self.statuses: Counter[int] = Counter()
        self.misplaced: list[str] = []
        self.malformed: list[str] = []

    def record(self, response: httpx.Response, kind: str, detail: str) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.is_success:
                version = int(response.json()["version"])
                if version in self.versions:
                    self.duplicate_versions.append(version)
                self.versions[version] = (kind, detail)
            elif not response.headers.get("content-type", "").startswith(PROBLEM):
                self.malformed.append(f"{response.status_code} {response.text[:200]}")


def blind_writer(
    server: Server, token: str, project: str, number: int, tally: Tally, deadline: float
) -> None:
    with client(server, token, timeout=30) as api:
        for sequence in range(WRITES_EACH):
            amount = f"{number + 1}.{sequence:02d}"
            for _ in range(MAX_ATTEMPTS):
                if time.monotonic() > deadline:
                    return
                response = api.post(
                    f"/api/v1/projects/{project}/events",
                    json={
                        "type": "committed",
                        "amount": {"amount": amount, "currency": "USD"},
                        "effective_date": "2025-02-01",
                    },
                    headers={"Idempotency-Key": f"blind-{number}-{sequence}"},
                )
                tally.record(response, "committed", amount)
                if response.is_success:
                    break
                time.sleep(0.02)  # 409 (retries ran out) or 503: retry with the same key


def conditional_writer(
    server: Server, token: str, project: str, number: int, tally: Tally, deadline: float
) -> None:
    with client(server, token, timeout=30) as api:
        written = 0
        for _ in range(MAX_ATTEMPTS):
            if written == WRITES_EACH or time.monotonic() > deadline:
                return
            current = api.get(f"/api/v1/projects/{project}")
            assert current.status_code == 200, current.text
            etag = current.headers["etag"]
            read_version = int(current.json()["version"])
            name = f"milestone {number}-{written}"
            response = api.post(
                f"/api/v1/projects/{project}/events",
                json={"type": "milestone", "name": name, "effective_date": "2025-03-01"},
                headers={"If-Match": etag},
            )
            tally.record(response, "milestone", name)
            if response.is_success:
                written += 1
                if response.json()["version"] != read_version + 1:
                    with tally.lock:
                        tally.misplaced.append(
                            f"{name}: read {read_version}, got {response.json()}"
                        )
            elif response.status_code == 412 and response.json().get("field") != "If-Match":
                with tally.lock:
                    tally.malformed.append(f"412 without field If-Match: {response.text}")


def test_concurrent_writers_lose_no_update_with_or_without_if_match(
    backend: Backend, tmp_path: Path
) -> None:
    env = server_env(backend.url, backend.schema)
    admin, recorder = prepare(env)
    server = Server(env, tmp_path / "server.log")
    server.start()
    started = time.monotonic()
    tally = Tally()
    try:
        with client(server, admin) as api:
            project = announce(api, create_portfolio(api), "Contested plant")
        deadline = started + DEADLINE
        threads = [
            threading.Thread(
                target=blind_writer,
                args=(server, recorder, project, n, tally, deadline),
                daemon=True,
            )
            for n in range(BLIND_WRITERS)
        ] + [
            threading.Thread(
                target=conditional_writer,
                args=(server, recorder, project, n, tally, deadline),
                daemon=True,
            )
            for n in range(CONDITIONAL_WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE + 10)
        assert not any(thread.is_alive() for thread in threads)
        with client(server, admin) as api:
            events = history(api, project)
            shown = api.get(f"/api/v1/projects/{project}")
    finally:
        server.stop()

    n = len(events)
    by_version = {e["version"]: e for e in events}
    # An acknowledged write is lost if its version holds nothing, or another kind of event.
    lost = [
        v for v, (kind, _) in tally.versions.items() if by_version.get(v, {}).get("type") != kind
    ]
    blind = [detail for kind, detail in tally.versions.values() if kind == "committed"]
    milestones = [detail for kind, detail in tally.versions.values() if kind == "milestone"]
    write_figures(
        f"many-writers-{backend.name}",
        {
            "database": backend.name,
            "writers_without_if_match": BLIND_WRITERS,
            "writers_with_if_match": CONDITIONAL_WRITERS,
            "acknowledged": len(tally.versions),
            "answers_by_status": {str(k): v for k, v in sorted(tally.statuses.items())},
            "versions_in_history": n,
            "lost": len(lost),
            "seconds": round(time.monotonic() - started, 1),
        },
    )

    assert not [s for s in tally.statuses if s >= 500 and s != 503], tally.statuses
    assert not tally.malformed and not tally.misplaced, (tally.malformed, tally.misplaced)
    assert not tally.duplicate_versions, tally.duplicate_versions
    assert len(blind) == BLIND_WRITERS * WRITES_EACH
    assert len(milestones) == CONDITIONAL_WRITERS * WRITES_EACH
    assert tally.statuses[412] > 0, "the conditional writers should have raced each other"
    # Every version after the announcement is a write someone was told about, and vice versa.
    assert [e["version"] for e in events] == list(range(1, n + 1))
    assert sorted(tally.versions) == list(range(2, n + 1))
    assert not lost, lost
    figures = shown.json()
    assert shown.headers["etag"] == f'"{n}"'
    assert Decimal(figures["committed"][0]["amount"]) == sum(Decimal(a) for a in blind)
    assert sorted(figures["milestones"]) == sorted(milestones)
