"""What the reliability tests stand on: the real server started as an operator would
(``tracker migrate``, ``tracker keys create``, ``tracker serve``), on a SQLite file or a fresh
PostgreSQL schema, killed and restarted at will, and clients that keep a ledger of every
answer they got."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "reliability"
TRACKER = Path(sys.executable).with_name("tracker")
PROBLEM = "application/problem+json"
#: Every wait in these tests is bounded by this many seconds.
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tracker_cli(env: dict[str, str], *args: str) -> str:
    """Run ``tracker`` as an operator would; its standard output."""
    done = subprocess.run(
        [str(TRACKER), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"tracker {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def server_env(database_url: str, schema: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        # The storms send thousands of requests a minute from one key, on purpose.
        "TRACKER_RATE_LIMIT_PER_ADDRESS": "0",
        "TRACKER_RATE_LIMIT_PER_KEY": "0",
        **extra,
    }
    if schema is not None:
        env["TRACKER_DB_SCHEMA"] = schema
    return env


@dataclass
class Server:
    """``tracker serve`` in a subprocess, on a fixed port so clients outlive a restart."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    #: More options of ``tracker serve`` (``--workers 2``).
    options: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(TRACKER),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    *self.options,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        self.wait_ready()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process is not None
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not become ready; see {self.log_path}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def errors_logged(self) -> list[str]:
        """Lines of the server log that report an unexpected (500) error."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if "unexpected error" in line]


@contextmanager
def running(env: dict[str, str], directory: Path, name: str = "server") -> Iterator[Server]:
    server = Server(env, directory / f"{name}.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def prepare(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, then make an admin and a recorder key; return both tokens."""
    tracker_cli(env, "migrate")
    admin = tracker_cli(env, "keys", "create", "--name", "ops-admin", "--role", "admin").strip()
    recorder = tracker_cli(env, "keys", "create", "--name", "desk", "--role", "recorder").strip()
    return admin, recorder


def client(server: Server, token: str, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )


def create_portfolio(api: httpx.Client) -> str:
    response = api.post(
        "/api/v1/portfolios",
        json={"name": "Reliability", "forum": "Test forum", "established_on": "2024-10-22"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def announce(api: httpx.Client, portfolio_id: str, title: str) -> str:
    response = api.post(
        "/api/v1/projects",
        json={
            "portfolio_id": portfolio_id,
            "title": title,
            "sector": "energy",
            "regions": ["KZ-61"],
            "planned_investment": {"amount": "1000000.00", "currency": "USD"},
            "effective_date": "2025-01-10",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def history(api: httpx.Client, project_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/projects/{project_id}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


@dataclass
class Ledger:
    """What the clients were told, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    #: request id → (project, version, position) of every 2xx answer
    acknowledged: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    #: request ids answered with an error (nothing may have been recorded for them)
    refused: dict[str, int] = field(default_factory=dict)
    #: request ids that got no answer at all (the server died under them), until retried
    unanswered: set[str] = field(default_factory=set)
    #: every request id that ever went unanswered
    interrupted: set[str] = field(default_factory=set)
    #: request ids answered "Idempotent-Replayed": an earlier attempt had been stored
    replayed: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    #: answers of 4xx/5xx that were not problem+json, or 503 without Retry-After
    malformed: list[str] = field(default_factory=list)

    def answer(self, request_id: str, project: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.is_success:
                body = response.json()
                self.acknowledged[request_id] = (project, body["version"], body["position"])
                self.unanswered.discard(request_id)
                if response.headers.get("idempotent-replayed") == "true":
                    self.replayed.add(request_id)
                return
            self.refused[request_id] = response.status_code
            if not response.headers.get("content-type", "").startswith(PROBLEM):
                self.malformed.append(f"{response.status_code} {response.text[:200]}")
            elif response.status_code == 503 and "retry-after" not in response.headers:
                self.malformed.append(f"503 without Retry-After: {response.text[:200]}")

    def no_answer(self, request_id: str) -> None:
        with self.lock:
            self.unanswered.add(request_id)
            self.interrupted.add(request_id)

    def count_sent(self) -> None:
        with self.lock:
            self.sent += 1

    def acks(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def stored_requests(api: httpx.Client, project_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every stored event that carries a request id (its source title), by request id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for project_id in project_ids:
        for event in history(api, project_id):
            title = (event.get("source") or {}).get("title", "")
            if title.startswith("req-"):
                found.setdefault(title, []).append({**event, "project": project_id})
    return found


def write_figures(name: str, figures: dict[str, Any]) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return path


def wait_until(condition: Any, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


class TcpProxy:
    """A TCP relay from a local port to PostgreSQL that can be cut: a network partition,
    or a database that is gone, without touching the shared PostgreSQL cluster."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                downstream.close()
                continue
            with self._lock:
                self._sockets += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    @staticmethod
    def _relay(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class SteadyLoad:
    """Light steady traffic: one write, then reads (with the key and without: public reads
    go straight to the event store), every 50 ms; every answer is tallied. A write that is
    refused or unanswered is retried with its ``Idempotency-Key`` until it is acknowledged."""

    def __init__(self, server: Server, token: str, portfolio: str, project: str) -> None:
        self.server, self.token = server, token
        self.portfolio, self.project = portfolio, project
        self.ledger = Ledger()
        self.reads: Counter[int] = Counter()
        self.bad_reads: list[str] = []
        #: requests that got no answer in time: while the database is down, none may hang
        self.hung: list[str] = []
        self.stop = threading.Event()
        self.down = threading.Event()
        self.answers_while_down: Counter[int] = Counter()
        self.first_ack_after_restart: float | None = None
        #: the write in hand (retried until acknowledged) and the next request number
        self.pending: str | None = None
        self.sequence = 0
        self.restarted_at: float | None = None

    def run(self, deadline: float, *, settle: bool = True) -> None:
        """Until ``stop`` is set and, with ``settle``, the write in hand is acknowledged."""
        # Every answer must come within 10 s: a request that hangs is a failure too.
        public = httpx.Client(base_url=self.server.base_url, timeout=10)
        with client(self.server, self.token, timeout=10) as api, public:
            while (
                not self.stop.is_set() or (settle and self.pending)
            ) and time.monotonic() < deadline:
                if self.pending is None:
                    self.pending = f"req-{self.sequence}"
                    self.sequence += 1
                if self.write(api, self.pending):
                    self.pending = None
                self.read(api, public)
                time.sleep(0.05)

    def write(self, api: httpx.Client, request_id: str) -> bool:
        body = {
            "type": "committed",
            "amount": {"amount": "10.00", "currency": "USD"},
            "effective_date": "2025-02-01",
            "source": {"title": request_id},
        }
        self.ledger.count_sent()
        try:
            response = api.post(
                f"/api/v1/projects/{self.project}/events",
                json=body,
                headers={"Idempotency-Key": request_id},
            )
        except httpx.TransportError as error:
            self.ledger.no_answer(request_id)
            if isinstance(error, httpx.TimeoutException):
                self.hung.append(f"POST {request_id}: no answer within 10 s")
            return False
        self.ledger.answer(request_id, self.project, response)
        if self.down.is_set():
            self.answers_while_down[response.status_code] += 1
        if response.is_success and self.restarted_at and self.first_ack_after_restart is None:
            self.first_ack_after_restart = time.monotonic()
        return response.is_success

    def read(self, api: httpx.Client, public: httpx.Client) -> None:
        for reader, path, params in (
            (public, f"/api/v1/projects/{self.project}", {}),
            (public, f"/api/v1/projects/{self.project}/events", {}),
            (api, f"/api/v1/projects/{self.project}", {}),
            (api, f"/api/v1/portfolios/{self.portfolio}/progress", {}),
            (api, "/api/v1/projects", {"portfolio": self.portfolio}),
        ):
            try:
                response = reader.get(path, params=params)
            except httpx.TransportError as error:
                self.hung.append(f"GET {path}: no answer ({error!r})")
                continue
            self.reads[response.status_code] += 1
            if self.down.is_set():
                self.answers_while_down[response.status_code] += 1
            if response.status_code >= 400:
                if not response.headers.get("content-type", "").startswith(PROBLEM):
                    self.bad_reads.append(f"{path}: {response.status_code} {response.text[:200]}")
                elif response.status_code == 503 and "retry-after" not in response.headers:
                    self.bad_reads.append(f"{path}: 503 without Retry-After")
