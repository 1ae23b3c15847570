"""The HTTP edge of ``tracker serve``: whose ``X-Forwarded-For`` is believed, and how long a
slow client may hold a connection.

The server runs as an operator would start it (``tracker serve`` in a subprocess, on a SQLite
file, loopback only); the protocol classes are also run in-process, each variant, with a
trivial app. Every wait is bounded: a few dozen sockets, a few seconds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.server import H11HeaderDeadline, HeaderDeadline
from tests.reliability.harness import Server, free_port, running, server_env, tracker_cli

#: What a slow client may take, in these tests; a closed connection must be seen within
#: this plus SLACK (a busy two-core machine).
HEADER_TIMEOUT = 1.0
SLACK = 3.0
ADDRESS_LIMIT = 5


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('edge')}/tracker.db"
    tracker_cli(server_env(url), "migrate")
    return url


def serve(database: str, directory: Path, **extra: str) -> AbstractContextManager[Server]:
    env = server_env(
        database,
        TRACKER_RATE_LIMIT_PER_ADDRESS=str(ADDRESS_LIMIT),
        TRACKER_LOG_FORMAT="json",
        **extra,
    )
    return running(env, directory)


@pytest.fixture(scope="module")
def plain(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No trusted proxy; short header and keep-alive timeouts."""
    with serve(
        database,
        tmp_path_factory.mktemp("plain"),
        TRACKER_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        TRACKER_KEEP_ALIVE_TIMEOUT="1",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def behind_proxy(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(
        database, tmp_path_factory.mktemp("proxied"), TRACKER_TRUSTED_PROXIES="127.0.0.1"
    ) as server:
        yield server


def access_lines(server: Server, path: str, count: int) -> list[dict[str, Any]]:
    """The last ``count`` access-log lines for ``path`` (written by a thread: wait for them)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = []
        for line in server.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("logger") == "tracker.access" and entry.get("path") == path:
                    found.append(entry)
        if len(found) >= count:
            return found[-count:]
        time.sleep(0.1)
    raise AssertionError(f"{len(found)} access lines for {path}, expected {count}")


# --- X-Forwarded-For --------------------------------------------------------------------


def test_forwarded_for_is_ignored_without_trusted_proxies(plain: Server) -> None:
    """A client that rotates X-Forwarded-For is still one address to the limit and the log."""
    path = "/api/v1/rate-sets"
    with httpx.Client(base_url=plain.base_url, timeout=10) as api:
        statuses = [
            api.get(path, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(ADDRESS_LIMIT + 1)
        ]
    # Six "addresses", one limit of five (less the server's own readiness check, /ready).
    assert statuses[0] == 200
    assert statuses[-1] == 429
    assert {line["client"] for line in access_lines(plain, path, ADDRESS_LIMIT + 1)} == {
        "127.0.0.1"
    }


def test_forwarded_for_from_a_trusted_proxy_is_the_client(behind_proxy: Server) -> None:
    path = "/api/v1/rate-sets"
    with httpx.Client(base_url=behind_proxy.base_url, timeout=10) as api:
        rotating = [
            api.get(path, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(ADDRESS_LIMIT + 1)
        ]
        assert rotating == [200] * (ADDRESS_LIMIT + 1)  # six clients behind the proxy
        one = {"X-Forwarded-For": "192.0.2.7"}
        repeated = [api.get(path, headers=one).status_code for _ in range(ADDRESS_LIMIT + 1)]
        assert repeated == [200] * ADDRESS_LIMIT + [429]  # one client, counted as itself
    logged = [line["client"] for line in access_lines(behind_proxy, path, 2 * ADDRESS_LIMIT + 2)]
    assert logged == [f"198.51.100.{n}" for n in range(ADDRESS_LIMIT + 1)] + ["192.0.2.7"] * (
        ADDRESS_LIMIT + 1
    )


# --- slow clients -----------------------------------------------------------------------

#: Half a request line, a request line and half the headers, and nothing at all.
PARTIAL_REQUESTS = [b"GET /api/v1/rate-sets HT", b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: ", b""]


def closed_within(sock: socket.socket, deadline: float) -> float | None:
    """Seconds until the server closed ``sock`` (``None``: still open at ``deadline``)."""
    started = time.monotonic()
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return None
        except OSError:  # reset
            return time.monotonic() - started
        if not data:
            return time.monotonic() - started
    return None


def trickle(sock: socket.socket, stop: threading.Event, sent: list[int]) -> None:
    """The slowloris: a header line every 0.2 s, never the blank line that ends them."""
    with contextlib.suppress(OSError):
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        while not stop.wait(0.2):
            sock.sendall(b"X-Trickle: a\r\n")
            sent[0] += 1


def hold_slow_clients(port: int, count: int, request: Callable[[], None]) -> list[float | None]:
    """Open ``count`` connections with unfinished requests (and one trickling one), make
    ``request`` on another connection meanwhile, and return when each slow one was closed."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    stop, sent = threading.Event(), [0]
    trickler = socket.create_connection(("127.0.0.1", port), timeout=5)
    feeding = threading.Thread(target=trickle, args=(trickler, stop, sent), daemon=True)
    try:
        opened = time.monotonic()
        for n, sock in enumerate(sockets):
            if payload := PARTIAL_REQUESTS[n % len(PARTIAL_REQUESTS)]:
                sock.sendall(payload)
        feeding.start()
        request()  # served while the slow ones wait
        deadline = opened + HEADER_TIMEOUT + SLACK
        closed = [closed_within(sock, deadline) for sock in [*sockets, trickler]]
        return [None if c is None else time.monotonic() - opened for c in closed]
    finally:
        stop.set()
        for sock in [*sockets, trickler]:
            sock.close()
        feeding.join(timeout=5)


def test_slow_clients_are_disconnected_and_others_served(plain: Server) -> None:
    def normal_request() -> None:
        started = time.monotonic()
        response = httpx.get(f"{plain.base_url}/health", timeout=5)
        assert response.status_code == 200
        assert time.monotonic() - started < HEADER_TIMEOUT  # not queued behind them

    closed = hold_slow_clients(plain.port, 30, normal_request)
    assert None not in closed, f"{closed.count(None)} of {len(closed)} slow connections stayed open"
    assert max(c for c in closed if c is not None) < HEADER_TIMEOUT + SLACK
    assert min(c for c in closed if c is not None) >= HEADER_TIMEOUT * 0.9
    assert httpx.get(f"{plain.base_url}/health", timeout=5).status_code == 200
    # Said in the log, though not once per connection (a flood would flood it too).
    reports = [line for line in plain.log_path.read_text().splitlines() if "api.server" in line]
    assert reports and len(reports) < len(closed)
    assert json.loads(reports[0])["header_timeout"] == HEADER_TIMEOUT


def get_health(sock: socket.socket) -> bytes:
    """One ``GET /health`` on a kept-alive connection; the answer's status line."""
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096) or b"<closed>"
        assert not answer.endswith(b"<closed>"), answer
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head.split(b"\r\n", 1)[0]


def test_an_idle_kept_alive_connection_is_closed(plain: Server) -> None:
    with socket.create_connection(("127.0.0.1", plain.port), timeout=5) as sock:
        assert get_health(sock) == b"HTTP/1.1 200 OK"
        started = time.monotonic()
        assert closed_within(sock, started + 1 + SLACK) is not None
        assert time.monotonic() - started >= 0.9


def test_a_kept_alive_connection_serves_several_requests(plain: Server) -> None:
    """The deadline starts again with each request: a client that keeps using its connection
    is never cut off."""
    with socket.create_connection(("127.0.0.1", plain.port), timeout=5) as sock:
        for _ in range(4):
            time.sleep(HEADER_TIMEOUT * 0.6)
            assert get_health(sock) == b"HTTP/1.1 200 OK"


# --- each protocol class, in-process ----------------------------------------------------


async def hello(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


def protocols() -> list[type[HeaderDeadline]]:
    found: list[type[HeaderDeadline]] = [H11HeaderDeadline]
    with contextlib.suppress(ImportError):
        from api.server import HttpToolsHeaderDeadline

        found.append(HttpToolsHeaderDeadline)
    return found


@contextlib.contextmanager
def hello_served(protocol: type[HeaderDeadline]) -> Iterator[int]:
    """``hello`` served by uvicorn with ``protocol`` and a short header timeout; its port."""
    fast = type(f"Fast{protocol.__name__}", (protocol,), {"header_timeout": HEADER_TIMEOUT})
    port = free_port()
    config = uvicorn.Config(
        hello, host="127.0.0.1", port=port, http=fast, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("protocol", protocols(), ids=lambda p: p.__name__)
def test_each_protocol_closes_slow_clients(protocol: type[HeaderDeadline]) -> None:
    with hello_served(protocol) as port:

        def normal_request() -> None:
            assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text == "hello"

        closed = hold_slow_clients(port, 6, normal_request)
        assert None not in closed, closed
        assert max(c for c in closed if c is not None) < HEADER_TIMEOUT + SLACK


@pytest.mark.parametrize("protocol", protocols(), ids=lambda p: p.__name__)
def test_a_later_request_that_stalls_is_closed_a_timeout_after_it_began(
    protocol: type[HeaderDeadline],
) -> None:
    """One timer a connection: a request answered in time leaves it running, and when it
    fires for a head begun since, it waits out that head's own timeout, no less, no more."""
    with hello_served(protocol) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"0\r\n\r\n"):  # the chunked body's end
                answer += sock.recv(4096) or b"<closed>"
                assert not answer.endswith(b"<closed>"), answer
            time.sleep(HEADER_TIMEOUT * 0.6)  # the connection's timer is still set
            begun = time.monotonic()
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            closed = closed_within(sock, begun + HEADER_TIMEOUT + SLACK)
        assert closed is not None, "a stalled request on a kept-alive connection stayed open"
        assert closed >= HEADER_TIMEOUT * 0.9
