"""Listing, stale projects, the global feed and its Server-Sent Events stream, over HTTP."""

from __future__ import annotations

import base64
import json
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import anyio
import httpx
import pytest
from eventsourcing.persistence import StoredEvent
from litestar.testing import TestClient
from litestar.testing.transport import TestClientTransport as LitestarTransport

from api.stream import EventBroadcaster
from tests.http.conftest import project_body
from tests.http.test_hardening import readmodel_of
from tests.problems import assert_problem
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS

Client = TestClient  # type: ignore[type-arg]

#: Seconds a test waits for the stream before failing; nothing here may hang.
STREAM_TIMEOUT = 3.0


def announce(client: Client, portfolio: str, **overrides: Any) -> str:
    response = client.post("/api/v1/projects", json=project_body(portfolio, **overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def record(client: Client, project: str, body: dict[str, Any]) -> int:
    response = client.post(f"/api/v1/projects/{project}/events", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


def listing(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/projects", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def titles(client: Client, **params: Any) -> list[str]:
    return [item["title"] for item in listing(client, limit=500, **params)["items"]]


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


@dataclass(frozen=True)
class Catalogue:
    portfolio: str
    other_portfolio: str
    ids: dict[str, str]  # title → id


ALPHA = "Alpha cement works"
BRAVO = "Bravo copper plant"
CHARLIE = "Charlie textile cluster"
DELTA = "Дельта: плодоовощной логистический центр"
ECHO = "Echo solar park"


@pytest.fixture
def catalogue(client: Client, portfolio_id: str) -> Catalogue:
    """Five projects: four in one portfolio, in different sectors, places and states."""
    other = client.post(
        "/api/v1/portfolios",
        json={"name": "Other", "forum": "Tashkent forum", "established_on": "2024-11-01"},
    )
    assert other.status_code == 201, other.text
    other_portfolio = str(other.json()["id"])
    ids = {
        ALPHA: announce(
            client,
            portfolio_id,
            title=ALPHA,
            sector="construction",
            regions=["KZ-61"],
            planned_investment=usd("30000000"),
            effective_date="2025-01-10",
        ),
        BRAVO: announce(
            client,
            portfolio_id,
            title=BRAVO,
            sector="metallurgy",
            regions=["UZ-SI"],
            planned_investment=usd("50000000.00"),
            effective_date="2025-01-05",
        ),
        CHARLIE: announce(
            client,
            portfolio_id,
            title=CHARLIE,
            sector="textiles",
            regions=["KZ-61", "UZ-SA"],
            planned_investment=usd("30000000.00"),
            effective_date="2025-01-10",
        ),
        DELTA: announce(
            client,
            portfolio_id,
            title=DELTA,
            sector="agriculture",
            regions=[],
            countries=["UZ"],
            planned_investment={"amount": "20000000000.5", "currency": "KZT"},
            effective_date="2025-01-15",
        ),
        ECHO: announce(
            client,
            other_portfolio,
            title=ECHO,
            sector="energy",
            regions=["KZ-61"],
            planned_investment=usd("5000000"),
            effective_date="2025-01-01",
        ),
    }
    record(
        client,
        ids[ALPHA],
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-02-01",
        },
    )
    record(
        client,
        ids[BRAVO],
        {"type": "cancelled", "reason": "investor withdrew", "effective_date": "2025-01-20"},
    )
    record(
        client,
        ids[CHARLIE],
        {"type": "status_changed", "status": "agreed", "effective_date": "2025-01-25"},
    )
    record(client, ids[CHARLIE], {"type": "milestone", "name": "Site handed over"})  # today
    return Catalogue(portfolio_id, other_portfolio, ids)


# Listing


def test_each_filter_narrows_the_list(client: Client, catalogue: Catalogue) -> None:
    mine = {"portfolio": catalogue.portfolio}
    assert titles(client) == [ALPHA, BRAVO, CHARLIE, ECHO, DELTA]
    assert titles(client, **mine) == [ALPHA, BRAVO, CHARLIE, DELTA]
    assert titles(client, portfolio=catalogue.other_portfolio) == [ECHO]
    assert titles(client, sector="metallurgy") == [BRAVO]
    assert titles(client, sector="metal") == []  # sectors match exactly
    assert titles(client, region="KZ-61", **mine) == [ALPHA, CHARLIE]
    assert titles(client, region="UZ-SA") == [CHARLIE]
    assert titles(client, region="UZ-S") == []  # a whole code, not a part of UZ-SI or UZ-SA
    assert titles(client, country="UZ") == [BRAVO, CHARLIE, DELTA]
    assert titles(client, country="KZ") == [ALPHA, CHARLIE, ECHO]
    assert titles(client, status="cancelled") == [BRAVO]
    assert titles(client, status="announced") == [ECHO, DELTA]
    assert titles(client, q="CEMENT") == [ALPHA]
    assert titles(client, q="ДЕЛЬТА") == [DELTA]  # case folded beyond ASCII, on SQLite too
    assert titles(client, q="%") == []  # wildcards are plain text
    assert titles(client, country="KZ", status="announced") == [ECHO]


def test_listed_items_carry_the_current_state(client: Client, catalogue: Catalogue) -> None:
    position = record(client, catalogue.ids[ALPHA], {"type": "milestone", "name": "Kiln lit"})
    page = listing(client, q="alpha", min_position=position)
    assert page["position"] >= position
    assert page["next_cursor"] is None
    [alpha] = page["items"]
    assert alpha == {
        "id": catalogue.ids[ALPHA],
        "portfolio_id": catalogue.portfolio,
        "title": ALPHA,
        "sector": "construction",
        "regions": ["KZ-61"],
        "countries": ["KZ"],
        "status": "under_implementation",
        "planned_investment": usd("30000000.00"),
        "planned_jobs": 300,
        "illustrative": False,
        "announced_on": "2025-01-10",
        "last_event_on": datetime.now(UTC).date().isoformat(),
        "version": 3,
    }
    [delta] = listing(client, country="UZ", sector="agriculture")["items"]
    assert delta["planned_investment"] == {"amount": "20000000000.50", "currency": "KZT"}
    assert delta["regions"] == []


def test_sort_orders(client: Client, catalogue: Catalogue) -> None:
    mine = {"portfolio": catalogue.portfolio}
    alpha_charlie = sorted([ALPHA, CHARLIE], key=catalogue.ids.__getitem__)  # ties: by id
    assert titles(client, sort="title", **mine) == [ALPHA, BRAVO, CHARLIE, DELTA]
    assert titles(client, sort="announced_on", **mine) == [BRAVO, *alpha_charlie, DELTA]
    assert titles(client, sort="last_event_on", **mine) == [DELTA, BRAVO, ALPHA, CHARLIE]
    # Currency first (KZT before USD), then the amount as a number (as text, Echo's
    # "5000000" would sort after "30000000").
    assert titles(client, sort="planned_investment") == [DELTA, ECHO, *alpha_charlie, BRAVO]
    for key in ("title", "announced_on", "last_event_on", "planned_investment"):
        assert titles(client, sort=f"-{key}") == titles(client, sort=key)[::-1], key


@pytest.mark.parametrize("sort", ["title", "-announced_on", "planned_investment"])
def test_paging_with_a_small_limit_returns_every_project_once(
    client: Client, catalogue: Catalogue, sort: str
) -> None:
    everything = [item["id"] for item in listing(client, sort=sort)["items"]]
    assert len(everything) == 5
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = listing(client, **params)
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


def test_a_bad_cursor_or_parameter_is_a_problem_naming_it(
    client: Client, catalogue: Catalogue
) -> None:
    by_title = listing(client, limit=1)["next_cursor"]
    assert by_title is not None
    forged = base64.urlsafe_b64encode(json.dumps(["title", ["x"]]).encode()).decode()
    for cursor in ("not a cursor", "e30", forged):
        assert_problem(client.get("/api/v1/projects", params={"cursor": cursor}), 422, "cursor")
    other_sort = client.get("/api/v1/projects", params={"cursor": by_title, "sort": "-title"})
    assert other_sort.status_code == 422
    assert other_sort.json()["field"] == "cursor"
    for params, name in [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"sort": "budget"}, "sort"),
        ({"status": "dormant"}, "status"),
        ({"region": "kz-61"}, "region"),
        ({"country": "KAZ"}, "country"),
        ({"portfolio": "not-a-uuid"}, "portfolio"),
    ]:
        assert_problem(client.get("/api/v1/projects", params=params), 400, name)


# Stale projects


def stale(client: Client, portfolio: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/portfolios/{portfolio}/stale", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def stale_titles(client: Client, portfolio: str, **params: Any) -> list[str]:
    return [item["title"] for item in stale(client, portfolio, **params)["items"]]


def test_stale_lists_only_open_projects_silent_beyond_the_threshold(
    client: Client, catalogue: Catalogue
) -> None:
    today = datetime.now(UTC).date()
    alpha_silence = (today - date(2025, 2, 1)).days
    delta_silence = (today - date(2025, 1, 15)).days
    report = stale(client, catalogue.portfolio)
    assert report["days"] == DEFAULT_NO_NEWS_DAYS
    assert report["today"] == today.isoformat()
    # Bravo is older but cancelled; Charlie had news today; Echo is in the other portfolio.
    assert [(p["title"], p["days_since_last_event"]) for p in report["items"]] == [
        (DELTA, delta_silence),
        (ALPHA, alpha_silence),
    ]
    assert report["items"][1]["status"] == "under_implementation"
    # "More than N days": silent for exactly N days is not yet stale.
    assert stale_titles(client, catalogue.portfolio, days=alpha_silence) == [DELTA]
    assert stale_titles(client, catalogue.portfolio, days=alpha_silence - 1) == [DELTA, ALPHA]
    assert stale_titles(client, catalogue.portfolio, days=delta_silence) == []
    assert stale_titles(client, catalogue.other_portfolio) == [ECHO]


def test_stale_of_an_unknown_portfolio_is_404_and_days_must_be_positive(
    client: Client, catalogue: Catalogue
) -> None:
    unknown = client.get("/api/v1/portfolios/6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e/stale")
    assert_problem(unknown, 404)
    zero = client.get(f"/api/v1/portfolios/{catalogue.portfolio}/stale", params={"days": 0})
    assert zero.status_code == 400
    assert zero.json()["field"] == "days"


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
