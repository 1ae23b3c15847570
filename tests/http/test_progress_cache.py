"""The progress report is served from memory, yet never older than what was applied."""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest
from litestar.testing import TestClient

from api.app import create_app
from tracker.application import TrackerApplication
from tracker.readmodel import service
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]


def committed(client: Client, portfolio_id: str) -> tuple[str, int, list[dict[str, object]]]:
    body = client.get(f"/api/v1/portfolios/{portfolio_id}/progress").json()
    return body["committed"]["amount"], body["position"], body["committed"]["unconverted"]


def test_a_write_or_new_rates_are_seen_by_the_next_read(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    events = f"/api/v1/projects/{project_id}/events"
    amount = {"type": "committed", "amount": {"amount": "5000", "currency": "KZT"}}
    first = client.post(events, json=amount).json()
    before = committed(client, portfolio_id)
    assert before[0] == "0.00" and before[2][0]["currency"] == "KZT"
    assert committed(client, portfolio_id) == before  # the same answer, from memory

    usd = {"type": "committed", "amount": {"amount": "7.50", "currency": "USD"}}
    second = client.post(events, json=usd).json()
    after = committed(client, portfolio_id)
    assert after[0] == "7.50" and after[1] >= second["position"] > first["position"]

    made = client.post("/api/v1/rate-sets", json={"name": "NBK"})
    assert made.status_code == 201, made.text
    rate_set = made.json()["id"]
    rate = {"date": "2020-01-01", "currency": "KZT", "units_per_usd": "500"}
    published = client.post(f"/api/v1/rate-sets/{rate_set}/rates", json={"rates": [rate]})
    assert published.status_code == 201, published.text
    unchosen = committed(client, portfolio_id)  # a set the portfolio does not name: no rate
    assert unchosen[0] == "7.50" and unchosen[1] >= published.json()["position"]
    assert unchosen[2] == after[2]

    chosen = client.put(
        f"/api/v1/portfolios/{portfolio_id}/rate-sets", json={"rate_sets": [rate_set]}
    )
    assert chosen.status_code == 200, chosen.text
    converted = committed(client, portfolio_id)
    assert converted[0] == "17.50" and converted[2] == []  # 5000 KZT / 500 + 7.50 USD

    correction = {**rate, "units_per_usd": "250", "reason": "misread"}
    corrected = client.post(f"/api/v1/rate-sets/{rate_set}/corrections", json=correction)
    assert corrected.status_code == 201, corrected.text
    assert committed(client, portfolio_id)[0] == "27.50"  # 5000 KZT / 250 + 7.50 USD


def test_with_an_external_projector_the_cache_follows_its_position(
    settings: Settings, client: Client, portfolio_id: str, project_id: str
) -> None:
    """An API process that does not project learns the projector's position by itself: a
    report served from memory moves on once the separate projector applied a write."""
    external = create_app(replace(settings, projector_in_process=False))
    with TestClient(external) as reader:
        before = committed(reader, portfolio_id)
        assert committed(reader, portfolio_id) == before  # from memory
        usd = {"type": "committed", "amount": {"amount": "7.50", "currency": "USD"}}
        # Written and applied by the other app (this test's stand-in for `tracker projector`).
        written = client.post(f"/api/v1/projects/{project_id}/events", json=usd).json()
        deadline = time.monotonic() + 5
        while committed(reader, portfolio_id)[0] != "7.50" and time.monotonic() < deadline:
            time.sleep(0.02)
        amount, position, _ = committed(reader, portfolio_id)
        assert amount == "7.50" and position >= written["position"]


def test_breakdowns_and_timelines_from_memory_follow_every_write(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    """Breakdowns and timelines are served from memory too (each was computed per request,
    10 a second at the demo's size): a repeat is the same answer, and a write is seen by the
    next read of each, with each parameter its own entry."""
    base = f"/api/v1/portfolios/{portfolio_id}"
    reads = [
        f"{base}/breakdown?by=sector",
        f"{base}/breakdown?by=status",
        f"{base}/timeline?interval=quarter",
        f"{base}/timeline?interval=month",
    ]
    before = {read: client.get(read).json() for read in reads}
    assert {read: client.get(read).json() for read in reads} == before
    assert before[reads[0]]["slices"] != before[reads[1]]["slices"]

    usd = {"type": "committed", "amount": {"amount": "7.50", "currency": "USD"}}
    written = client.post(f"/api/v1/projects/{project_id}/events", json=usd).json()
    for read in reads:
        after = client.get(read).json()
        assert after["position"] >= written["position"] > before[read]["position"], read
    sectors = client.get(reads[0]).json()["slices"]
    assert sum(Decimal(s["figures"]["committed"]["amount"]) for s in sectors) == Decimal("7.50")
    months = client.get(reads[3]).json()["points"]
    assert Decimal(months[-1]["figures"]["committed"]["amount"]) == Decimal("7.50")


def test_a_repeated_read_answered_before_the_handler_is_the_handlers_answer(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    """From the third identical request on, a report is answered by the report routes'
    middleware (api.shortcut) with the body the handler remembered: the same status,
    headers and bytes, HEAD included; another query string is another report, and a write
    is seen by the next read all the same."""
    read = f"/api/v1/portfolios/{portfolio_id}/breakdown?by=sector"
    answers = [client.get(read) for _ in range(4)]
    assert {a.status_code for a in answers} == {200}
    assert {a.content for a in answers} == {answers[0].content}

    def headers(answer: httpx.Response) -> list[tuple[str, str]]:  # the count left differs
        return sorted(h for h in answer.headers.items() if not h[0].startswith("ratelimit-"))

    assert all(headers(a) == headers(answers[0]) for a in answers)
    assert [int(a.headers["ratelimit-remaining"]) for a in answers] == sorted(
        (int(a.headers["ratelimit-remaining"]) for a in answers), reverse=True
    )
    head = client.head(read)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == answers[0].headers["content-length"]
    by_status = client.get(f"/api/v1/portfolios/{portfolio_id}/breakdown?by=status")
    assert by_status.json()["slices"] != answers[0].json()["slices"]

    usd = {"type": "committed", "amount": {"amount": "7.50", "currency": "USD"}}
    written = client.post(f"/api/v1/projects/{project_id}/events", json=usd).json()
    after = client.get(read).json()
    assert after["position"] >= written["position"] > answers[0].json()["position"]
    assert client.get(read).json() == after


def test_a_busy_report_is_computed_again_by_one_request_before_it_expires(
    client: Client, portfolio_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In its last ``REPORT_REFRESH`` seconds a cached report is computed again by the one
    request that claims it, while every other request is still answered from memory: a busy
    report never expires under its readers (each of them would have waited for the
    computation)."""
    monkeypatch.setattr(service, "REPORT_TTL", 30.0)
    monkeypatch.setattr(service, "REPORT_REFRESH", 29.8)  # due 0.2 s after it is computed
    readmodel: ReadModel = client.app.dependencies["readmodel"].dependency()
    computed: list[Hashable] = []
    remember = readmodel.remember_report

    def counted(key: Hashable, position: int, report: object) -> None:
        computed.append(key)
        remember(key, position, report)

    monkeypatch.setattr(readmodel, "remember_report", counted)
    read = f"/api/v1/portfolios/{portfolio_id}/progress"
    first = client.get(read)
    assert first.status_code == 200 and len(computed) == 1
    key = computed[0]
    assert client.get(read).content == first.content and len(computed) == 1  # from memory

    time.sleep(0.25)  # due now: nobody has claimed it yet
    assert readmodel.cached_report(key, None, due_too=False) is None
    assert readmodel.cached_report(key, None) is not None  # still served to the handler
    assert readmodel.claim_refresh(key) is True
    assert readmodel.claim_refresh(key) is False  # one request computes it, not each
    assert readmodel.cached_report(key, None, due_too=False) is not None  # others: memory
    assert client.get(read).content == first.content and len(computed) == 1

    time.sleep(0.25)  # claimed and never replaced: the claim stands till it expires
    assert client.get(read).content == first.content and len(computed) == 1
    readmodel.remember_report(key, first.json()["position"], readmodel.cached_report(key, None))
    computed.clear()
    time.sleep(0.25)  # due again, unclaimed: the next request computes it, the rest do not
    assert client.get(read).content == first.content and len(computed) == 1
    assert client.get(read).content == first.content and len(computed) == 1


def test_a_scope_with_its_server_as_a_list_is_answered_twice(
    client: Client, portfolio_id: str
) -> None:
    """ASGI lets a server name itself with any two-item iterable (``["host", 80]``, as the
    contract test's transport does): the shortcut's key took it as it came, and the second
    request, looked up by it, was a 500 (unhashable list). Found by tests/contract."""
    path = f"/api/v1/portfolios/{portfolio_id}/progress"

    async def get() -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ["127.0.0.1", 5000],
            "server": ["testserver", 80],
        }
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await client.app(scope, receive, send)  # type: ignore[arg-type]
        return int(sent[0]["status"])  # type: ignore[call-overload]

    assert [client.blocking_portal.call(get) for _ in range(3)] == [200, 200, 200]


@pytest.mark.postgres
@pytest.mark.parametrize("blank_settings", ["postgres"], indirect=True)
def test_on_postgresql_the_projector_tells_its_position_without_being_asked(
    settings: Settings, client: Client, project_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API process without the projector is sent each position the projector commits
    (it used to ask the database for it twenty times a second, a cost to every request of
    an idle server): with that polling an hour apart, a write is still learnt at once."""
    monkeypatch.setattr(service, "WATCH_INTERVAL", 3600.0)
    tracker = TrackerApplication(settings)
    watcher = ReadModel(tracker, in_process=False)
    watcher.start()
    try:
        deadline = time.monotonic() + 5
        usd = {"type": "committed", "amount": {"amount": "7.50", "currency": "USD"}}
        for _ in range(2):  # the position it reads as it starts listening, then one it is told
            # Written and applied by the client's app (the stand-in for `tracker projector`).
            written = client.post(f"/api/v1/projects/{project_id}/events", json=usd).json()
            while (watcher.projector.seen_position or 0) < written["position"]:
                assert time.monotonic() < deadline, "the watcher never learnt the position"
                time.sleep(0.02)
    finally:
        watcher.stop()
        tracker.close()
