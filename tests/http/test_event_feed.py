"""The global feed and its Server-Sent Events stream, over HTTP: pages in order without
gaps, a replay after Last-Event-ID then new events, keep-alives, shutdown, and an event no
code can read left out of both."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import anyio
import httpx
import pytest
from eventsourcing.persistence import StoredEvent
from litestar.testing.transport import TestClientTransport as LitestarTransport

from api.stream import EventBroadcaster
from tests.http.catalogue import BRAVO, Catalogue, Client, catalogue, record, usd
from tests.http.test_hardening import readmodel_of
from tests.problems import assert_problem

__all__ = ["catalogue"]  # the fixture, used by name


#: Seconds a test waits for the stream before failing; nothing here may hang.
STREAM_TIMEOUT = 3.0


# The feed


def feed(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_feed_pages_in_order_without_gaps(client: Client, catalogue: Catalogue) -> None:
    whole = feed(client, limit=1000)["items"]
    assert len(whole) == 2 + 5 + 4  # portfolios, announcements, later events
    positions: list[int] = []
    after = 0
    for _ in range(10):
        page = feed(client, after=after, limit=3)
        assert len(page["items"]) <= 3
        positions.extend(item["position"] for item in page["items"])
        if not page["items"]:
            assert page["next_after"] == after  # nothing newer yet: poll again from here
            break
        after = page["next_after"]
        assert after == page["items"][-1]["position"]
    assert positions == [item["position"] for item in whole]
    assert positions == list(range(positions[0], positions[0] + len(positions)))

    established, *_ = whole
    assert established["aggregate_type"] == "portfolio"
    assert established["type"] == "established"
    assert established["version"] == 1
    assert established["payload"]["name"] == "KZ–UZ joint portfolio"
    assert established["actor"] == "test-admin"
    cancelled = next(item for item in whole if item["type"] == "cancelled")
    assert cancelled == {
        "position": cancelled["position"],
        "aggregate_type": "project",
        "aggregate_id": catalogue.ids[BRAVO],
        "type": "cancelled",
        "version": 2,
        "effective_date": "2025-01-20",
        "recorded_at": cancelled["recorded_at"],
        "actor": "test-admin",
        "source": None,
        "payload": {"status": "cancelled", "reason": "investor withdrew"},
        "recorded_at_simulated": False,
    }
    announced = [item for item in whole if item["type"] == "announced"]
    assert announced[0]["payload"]["planned_investment"] == usd("30000000")
    assert feed(client, after=positions[-1])["items"] == []


def test_the_feed_refuses_too_large_a_page(client: Client) -> None:
    response = client.get("/api/v1/events", params={"limit": 1001})
    assert response.status_code == 400
    assert response.json()["field"] == "limit"


# The stream. Litestar's test transport hands a response over only once the app has sent all
# of it, which an event stream never does (litestar#3654); this transport passes each chunk
# on as it is sent and turns closing the response into the client's disconnect.


class LiveBody(httpx.SyncByteStream):
    def __init__(self, chunks: queue.Queue[bytes | None], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                chunk = self._chunks.get(timeout=STREAM_TIMEOUT)
            except queue.Empty:
                raise TimeoutError(f"the stream sent nothing for {STREAM_TIMEOUT} s") from None
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._close()


class LiveTransport(httpx.BaseTransport):
    def __init__(self, client: Client) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        portal = self.client.blocking_portal
        scope = LitestarTransport(self.client).parse_request(request)
        scope.update(method=request.method, http_version="1.1", extensions={})
        body = request.read()
        started: queue.Queue[Any] = queue.Queue()
        chunks: queue.Queue[bytes | None] = queue.Queue()
        leave = portal.call(anyio.Event)
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": body, "more_body": False}
            await leave.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.put(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    chunks.put(message["body"])
                if not message.get("more_body"):
                    chunks.put(None)

        app: Any = self.client.app
        done: Future[Any] = portal.start_task_soon(app, scope, receive, send)
        done.add_done_callback(started.put)  # an app that fails before answering
        start = started.get(timeout=STREAM_TIMEOUT)
        if isinstance(start, Future):
            start.result()
            raise AssertionError("the app returned without answering")

        def disconnect() -> None:
            portal.call(leave.set)
            done.result(timeout=STREAM_TIMEOUT)

        return httpx.Response(
            start["status"],
            headers=[(k.decode(), v.decode()) for k, v in start["headers"]],
            stream=LiveBody(chunks, disconnect),
            request=request,
        )


@pytest.fixture
def live(client: Client) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=LiveTransport(client), base_url="http://testserver.local", headers=client.headers
    ) as live_client:
        yield live_client


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def messages(response: httpx.Response) -> Iterator[Message]:
    message = Message()
    for line in response.iter_lines():
        if line == "":
            yield message
            message = Message()
        elif line.startswith(":"):
            message.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(": ")
            if name == "data":
                message.data.append(value)
            elif name in ("id", "event"):
                setattr(message, name, value)


def broadcaster_of(client: Client) -> EventBroadcaster:
    broadcaster = client.app.state.broadcaster
    assert isinstance(broadcaster, EventBroadcaster)
    return broadcaster


def test_the_stream_replays_after_last_event_id_then_delivers_new_events(
    client: Client, live: httpx.Client, project_id: str
) -> None:
    broadcaster = broadcaster_of(client)
    broadcaster.keepalive = 30  # far beyond the timeout: only a published event can arrive
    since = record(client, project_id, {"type": "committed", "amount": usd("1000000.00")})
    record(client, project_id, {"type": "disbursed", "amount": usd("250000.00")})
    record(client, project_id, {"type": "jobs_created", "permanent": 12})
    expected = feed(client, after=since)["items"]
    assert len(expected) == 2

    posted: queue.Queue[int] = queue.Queue()

    def post_later() -> None:
        posted.put(record(client, project_id, {"type": "milestone", "name": "Plant opened"}))

    headers = {"Last-Event-ID": str(since)}
    # The header wins over ?after=, as for a browser reconnecting to the URL it first opened.
    with live.stream("GET", "/api/v1/events/stream?after=0", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = messages(response)
        replayed = [next(stream) for _ in expected]
        assert [(m.id, m.event) for m in replayed] == [
            (str(item["position"]), item["type"]) for item in expected
        ]
        assert [json.loads("".join(m.data)) for m in replayed] == expected
        assert broadcaster.subscriber_count == 1
        poster = threading.Thread(target=post_later)
        poster.start()
        live_message = next(stream)  # fails after STREAM_TIMEOUT instead of hanging
        poster.join(timeout=STREAM_TIMEOUT)
        position = posted.get(timeout=STREAM_TIMEOUT)
        assert (live_message.id, live_message.event) == (str(position), "milestone")
        item = json.loads("".join(live_message.data))
        assert item["aggregate_id"] == project_id
        assert item["payload"]["name"] == "Plant opened"
    assert broadcaster.subscriber_count == 0  # the client left, and was forgotten


def test_the_stream_keeps_alive_starts_at_the_newest_event_and_ends_on_shutdown(
    client: Client, live: httpx.Client, project_id: str
) -> None:
    broadcaster = broadcaster_of(client)
    broadcaster.keepalive = 0.05
    with live.stream("GET", "/api/v1/events/stream") as response:
        stream = messages(response)
        first = next(stream)  # nothing stored before the connection is replayed
        assert (first.comments, first.id, first.data) == (["keep-alive"], None, [])
        position = record(client, project_id, {"type": "milestone", "name": "Roof on"})
        news = next(m for m in stream if m.id is not None)
        assert (news.id, news.event) == (str(position), "milestone")
        broadcaster.close()  # what shutting down does: every stream ends
        assert [m.id for m in stream if m.id is not None] == []
    assert broadcaster.subscriber_count == 0


def test_an_event_no_code_can_read_is_left_out_of_the_feed_and_the_stream_which_go_on(
    client: Client, live: httpx.Client, project_id: str
) -> None:
    """The feed and the stream are read from the log itself: an event stored there that no
    code can turn back into one (a class renamed, a row damaged by hand) answered 500 on
    every page that held it and ended every stream at it, for good. It is left out, as the
    read model sets it aside (``/ready`` names it), and the pages move past it."""
    since = record(client, project_id, {"type": "committed", "amount": usd("5.00")})
    tracker = readmodel_of(client.app).tracker  # type: ignore[arg-type]
    (bad,) = tracker.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "tracker:Project.NoSuchEvent", b"{}")]
    )
    after = record(client, project_id, {"type": "milestone", "name": "Roof on"})
    assert after > bad > since

    page = feed(client, after=since)
    assert [item["position"] for item in page["items"]] == [after]
    assert page["next_after"] == after
    # A page that read only the unreadable event is empty, and still moves past it.
    assert feed(client, after=since, limit=1) == {"items": [], "next_after": bad}

    broadcaster_of(client).keepalive = 30  # only events can arrive
    with live.stream("GET", f"/api/v1/events/stream?after={since}") as response:
        assert response.status_code == 200
        first = next(messages(response))
        assert (first.id, first.event) == (str(after), "milestone")


def test_a_malformed_last_event_id_is_a_problem_naming_the_header(client: Client) -> None:
    response = client.get("/api/v1/events/stream", headers={"Last-Event-ID": "seven"})
    assert_problem(response, 422, "Last-Event-ID")
