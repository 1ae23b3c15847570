"""The docker-compose topology as plain processes on PostgreSQL, end to end.

``tracker migrate`` on a fresh schema, then two API processes on two ports (both with
``TRACKER_PROJECTOR=external``, so neither projects) and one ``tracker projector`` process.
Writes go to both APIs in turn; after each one, a read on the *other* API with
``min_position`` = the write's position sees it (read-your-writes across processes through the
separate projector). Then the projector's lag, as ``/metrics`` and ``tracker projections
status --json`` report it, returns to zero; and SIGTERM stops every process cleanly (exit 0,
the API's JSON log says the application shut down).

Every wait is bounded; every process is ended in ``finally``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"
#: Generous: on a busy 2-core machine a worker takes seconds to import and start.
START_TIMEOUT = 60.0
PATIENCE = 30.0
WRITES = 12


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Topology:
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(TRACKER), *args],
            env=self.env,
            capture_output=True,
            timeout=PATIENCE * 2,
            check=False,
        )
        assert done.returncode == 0, (
            f"tracker {' '.join(args)} exited {done.returncode}:\n{done.stderr.decode()}"
        )
        return done.stdout.decode()

    def start(self, name: str, *args: str, extra: dict[str, str] | None = None) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                [str(TRACKER), *args],
                env={**self.env, **(extra or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def serve(self, name: str) -> None:
        self.ports[name] = free_port()
        self.start(name, "serve", "--port", str(self.ports[name]))

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def alive(self, name: str) -> None:
        process = self.processes[name]
        assert process.poll() is None, f"{name} exited {process.returncode}:\n{self.log(name)}"

    def wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.alive(name)
            try:
                if httpx.get(f"{self.url(name)}/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{name} was not ready within {START_TIMEOUT} s:\n{self.log(name)}")

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM to every process still running, a bounded wait, then SIGKILL."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        deadline = time.monotonic() + PATIENCE
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=PATIENCE)
                codes[name] = None  # did not stop on SIGTERM
        return codes


@pytest.fixture
def topology(postgres_url: str, postgres_schema: str, tmp_path: Path) -> Iterator[Topology]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=postgres_url,
        TRACKER_DB_SCHEMA=postgres_schema,
        TRACKER_DB_POOL_SIZE="3",
        TRACKER_PROJECTOR="external",
        TRACKER_LOG_FORMAT="json",
        TRACKER_RATE_LIMIT_PER_ADDRESS="0",
        TRACKER_RATE_LIMIT_PER_KEY="0",
    )
    topology = Topology(env, tmp_path)
    try:
        yield topology
    finally:
        topology.stop_all()


def post(client: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics:\n{text}")


def test_two_api_processes_and_a_projector_read_each_others_writes(topology: Topology) -> None:
    out = topology.run("migrate")
    assert "database at revision" in out
    token = topology.run("keys", "create", "--name", "topology", "--role", "admin").strip()

    topology.serve("api-a")
    topology.serve("api-b")
    topology.start("projector", "projector", "--log-interval", "1")
    topology.wait_ready("api-a")
    topology.wait_ready("api-b")
    topology.alive("projector")
    apis = ("api-a", "api-b")

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=PATIENCE) as client:
        portfolio = post(
            client,
            f"{topology.url('api-a')}/api/v1/portfolios",
            {"name": "Topology", "forum": "Test forum", "established_on": "2025-01-01"},
        )
        project = post(
            client,
            f"{topology.url('api-b')}/api/v1/projects",
            {
                "portfolio_id": portfolio["id"],
                "title": "Plant",
                "sector": "energy",
                "regions": ["KZ-61"],
                "planned_investment": {"amount": "1000000.00", "currency": "USD"},
                "planned_jobs": 10,
                "effective_date": "2025-01-10",
            },
        )
        committed = Decimal(0)
        for n in range(WRITES):
            writer, reader = apis[n % 2], apis[(n + 1) % 2]
            amount = Decimal(1000 + n)
            written = post(
                client,
                f"{topology.url(writer)}/api/v1/projects/{project['id']}/events",
                {
                    "type": "committed",
                    "amount": {"amount": str(amount), "currency": "USD"},
                    "effective_date": "2025-02-01",
                },
            )
            committed += amount
            response = client.get(
                f"{topology.url(reader)}/api/v1/portfolios/{portfolio['id']}/progress",
                params={"min_position": written["position"]},
            )
            assert response.status_code == 200, response.text
            progress = response.json()
            assert progress["position"] >= written["position"], (
                f"{reader} answered before the projector reached the write on {writer}"
            )
            assert Decimal(progress["committed"]["amount"]) == committed
            assert progress["projects"] == 1

        # The lag returns to zero, as every API process's /metrics and the CLI report it.
        deadline = time.monotonic() + PATIENCE
        while True:
            scraped = {name: client.get(f"{topology.url(name)}/metrics").text for name in apis}
            lags = {name: metric(t, "tracker_projector_lag_events") for name, t in scraped.items()}
            if all(lag == 0 for lag in lags.values()):
                break
            assert time.monotonic() < deadline, f"the lag stayed at {lags}"
            time.sleep(0.2)
        head = metric(scraped["api-a"], "tracker_event_log_head_position")
        assert head >= WRITES + 2
        assert metric(scraped["api-b"], "tracker_projector_applied_position") == head
        served = sum(
            float(line.split()[1])
            for text in scraped.values()
            for line in text.splitlines()
            if line.startswith("tracker_http_requests_total{")
            and 'route="/api/v1/projects/{project_id}/events"' in line
            and 'method="POST"' in line
        )
        assert served == WRITES, "each process counts the writes it served"

    status = json.loads(topology.run("projections", "status", "--json"))
    assert status["lag"] == 0
    assert status["applied"] == status["head"] == head

    topology.alive("projector")
    codes = topology.stop_all()
    # uvicorn shuts down, then re-raises the signal it caught so that its parent sees it.
    stopped_by_term = (0, -signal.SIGTERM)
    assert codes["projector"] == 0, topology.log("projector")[-2000:]
    for name in apis:
        assert codes[name] in stopped_by_term, topology.log(name)[-2000:]
    for name in apis:
        lines = [json.loads(line) for line in topology.log(name).splitlines() if line.strip()]
        messages = [line["message"] for line in lines]
        assert "Application shutdown complete." in messages
        access = [line for line in lines if line["logger"] == "tracker.access"]
        assert access, "one JSON access-log line per request"
        assert {"method", "path", "status", "duration_ms"} <= set(access[0])
