"""The portfolio page is served from memory, yet always true: a write is on the next page,
each moment, view, language, site and day has its own page, and the headers say so."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from api import shortcut
from api.app import create_app
from api.dashboard import pages, routes
from tests.http.conftest import project_body
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def commit(client: Client, project_id: str, amount: str) -> int:
    body = {"type": "committed", "amount": {"amount": amount, "currency": "USD"}}
    answer = client.post(f"/api/v1/projects/{project_id}/events", json=body)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["position"])


def test_a_write_is_on_the_next_page_and_a_repeat_comes_from_memory(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    page = f"/portfolios/{portfolio_id}"
    first = client.get(page)
    assert first.status_code == 200 and figure(first.text, "committed") == "0.00"
    assert client.get(page).content == first.content  # from memory: even "page made" is kept
    assert client.get("/").content == client.get("/").content

    commit(client, project_id, "7.50")
    assert figure(client.get(page).text, "committed") == "7.50"
    assert figure(client.get("/").text, "committed") == "7.50"
    commit(client, project_id, "2.50")
    assert figure(client.get(page).text, "committed") == "10.00"
    assert figure(client.get(page, params={"lang": "ru"}).text, "committed") == "10.00"


def test_with_an_external_projector_a_page_asked_after_a_position_waits_for_it(
    settings: Settings, client: Client, portfolio_id: str, project_id: str
) -> None:
    """An API process that does not project: the page's ``min_position`` (what the live
    dashboard asks with) is never answered with a page from before it."""
    external = create_app(replace(settings, projector_in_process=False))
    with TestClient(external) as reader:
        page = f"/portfolios/{portfolio_id}"
        assert figure(reader.get(page).text, "committed") == "0.00"
        position = commit(client, project_id, "7.50")  # applied by the other app
        after = reader.get(page, params={"min_position": str(position)})
        assert figure(after.text, "committed") == "7.50"


def test_each_moment_view_and_language_has_its_own_page(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    page = f"/portfolios/{portfolio_id}"
    commit(client, project_id, "7.50")
    cited = datetime.now(UTC)
    commit(client, project_id, "2.50")
    assert figure(client.get(page).text, "committed") == "10.00"
    known = client.get(page, params={"known_at": cited.isoformat()})
    assert figure(known.text, "committed") == "7.50"
    assert figure(client.get(page, params={"as_of": "2024-12-31"}).text, "committed") == "0.00"
    nothing = client.get(page, params={"status": "operational"})
    assert figure(nothing.text, "committed") == "0.00"  # no project is operational
    assert figure(client.get(page).text, "committed") == "10.00"

    for lang in ("ru", "en", "kk", "ru"):
        said = client.get(page, headers={"Accept-Language": lang})
        assert f'<html lang="{lang}">' in said.text
        assert said.headers["content-language"] == lang
        assert said.headers["vary"] == "Accept-Language, Cookie, Accept-Encoding"
        assert said.headers["cache-control"] == "no-store"
    asked = client.get(page, params={"lang": "uz"}, headers={"Accept-Language": "ru"})
    assert '<html lang="uz">' in asked.text and asked.headers["content-language"] == "uz"
    assert "lang=uz" in asked.headers["set-cookie"]


def test_a_page_printed_from_another_site_names_that_site(
    client: Client, portfolio_id: str
) -> None:
    page = f"/portfolios/{portfolio_id}"
    assert "Printed from http://testserver.local/" in client.get(page).text
    other = client.get(page, headers={"Host": "tracker.example.org"}).text
    assert "Printed from http://tracker.example.org/" in other


def test_the_page_is_made_again_the_next_day(
    client: Client, portfolio_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stale and "no news" are judged on the day: tomorrow's page is not today's."""
    today = datetime.now(UTC)
    body = project_body(portfolio_id, effective_date=today.date().isoformat())
    assert client.post("/api/v1/projects", json=body).status_code == 201
    page = f"/portfolios/{portfolio_id}"
    assert figure(client.get(page).text, "stale-count") == "0"

    later = today + timedelta(days=200)

    def tomorrow() -> datetime:
        return later

    for module in (routes, pages, shortcut):
        monkeypatch.setattr(module, "today_utc", tomorrow)
    assert figure(client.get(page).text, "stale-count") == "1"


def test_an_unknown_portfolio_is_not_found_each_time(client: Client) -> None:
    page = "/portfolios/00000000-0000-4000-8000-000000000000"
    for lang in ("en", "ru"):
        answer = client.get(page, params={"lang": lang})
        assert answer.status_code == 404 and f'<html lang="{lang}">' in answer.text


def test_a_malformed_moment_is_said_on_a_page_answered_400(
    client: Client, portfolio_id: str
) -> None:
    page = f"/portfolios/{portfolio_id}"
    for _ in range(2):
        said = client.get(page, params={"as_of": "tomorrow"})
        assert said.status_code == 400 and "“As of” must be a date" in said.text
    assert client.get(page).status_code == 200
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    refused = client.get(page, params={"known_at": future})
    assert refused.status_code == 400


def test_concurrent_readers_share_one_rendering(
    client: Client, portfolio_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Any] = []
    render = routes._render_portfolio

    def counted(*args: Any) -> bytes:
        made.append(args)
        return render(*args)

    monkeypatch.setattr(routes, "_render_portfolio", counted)
    page = f"/portfolios/{portfolio_id}"
    for _ in range(3):
        assert client.get(page, params={"sort": "title"}).status_code == 200
    assert len(made) == 1


def test_an_event_leaves_the_last_30_days_list_when_its_30_days_are_over(
    client: Client, portfolio_id: str, project_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within one day and one position: the list of what was recorded in the last 30 days
    loses an entry the moment it is 30 days old, not when the page would be made again."""
    commit(client, project_id, "7.50")
    history = client.get(f"/api/v1/projects/{project_id}/events").json()["events"]
    newest = max(datetime.fromisoformat(e["recorded_at"]) for e in history)
    now = [newest + timedelta(days=30, seconds=-60)]
    ahead = [0.0]
    for module in (routes, pages, shortcut):
        monkeypatch.setattr(module, "today_utc", lambda: now[0])
    monkeypatch.setattr(routes.PAGES, "clock", lambda: time.monotonic() + ahead[0])

    def activity() -> str:
        text = client.get(f"/portfolios/{portfolio_id}").text
        return text[text.index('<section id="activity"') :].split("</section>", 1)[0]

    assert "Copper cathode plant" in activity()
    assert activity() == activity()  # from memory
    now[0] += timedelta(seconds=120)
    ahead[0] += 120
    assert "Nothing was recorded in the 30 days" in activity()


def test_a_repeated_page_answered_before_the_handler_is_the_handlers_answer(
    client: Client, portfolio_id: str, project_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the second identical request on, a page the page cache gives is answered by the
    route's middleware (api.shortcut), with the handler's status, headers and bytes, HEAD
    included; each view, language, site and malformed moment is answered apart, and a write
    is on the next page all the same."""
    handled: list[str] = []
    handler = routes._portfolio

    async def counted(request: Any, *args: Any) -> Any:
        handled.append(request.url.path)
        return await handler(request, *args)

    monkeypatch.setattr(routes, "_portfolio", counted)
    page = f"/portfolios/{portfolio_id}"

    def headers(answer: Any) -> list[tuple[str, str]]:  # the count left differs
        return sorted(h for h in answer.headers.items() if not h[0].startswith("ratelimit-"))

    answers = [client.get(page) for _ in range(3)]
    assert len(handled) == 1  # the others from memory, before the handler
    assert {a.status_code for a in answers} == {200}
    assert {a.content for a in answers} == {answers[0].content}
    assert all(headers(a) == headers(answers[0]) for a in answers)
    head = client.head(page)
    assert head.status_code == 200 and head.content == b"" and len(handled) == 1
    assert headers(head) == headers(answers[0])
    assert client.get("/").content == client.get("/").content and len(handled) == 2

    for asked in (
        {"headers": {"Accept-Language": "ru"}},
        {"headers": {"Cookie": "lang=kk"}},
        {"headers": {"Host": "tracker.example.org"}},
        {"params": {"sort": "title"}},
        {"params": {"lang": "uz"}},  # last: the client keeps the cookie it sets
    ):
        before = len(handled)
        first, again = client.get(page, **asked), client.get(page, **asked)  # type: ignore[arg-type]
        assert len(handled) == before + 1, asked
        assert again.content == first.content != answers[0].content, asked
        assert headers(again) == headers(first), asked
    client.cookies.clear()
    assert '<html lang="kk">' in client.get(page, headers={"Cookie": "lang=kk"}).text
    other = client.get(page, headers={"Host": "tracker.example.org"}).text
    assert "Printed from http://tracker.example.org/" in other
    assert "Printed from http://testserver.local/" in client.get(page).text

    for _ in range(2):
        said = client.get(page, params={"as_of": "tomorrow"})
        assert said.status_code == 400 and "“As of” must be a date" in said.text

    commit(client, project_id, "7.50")
    assert figure(client.get(page).text, "committed") == "7.50"
    assert figure(client.get(page).text, "committed") == "7.50"
    assert figure(client.get(page, headers={"Accept-Language": "ru"}).text, "committed") == "7.50"


def test_a_page_is_sent_compressed_to_a_client_that_takes_gzip_from_the_handler_and_memory(
    client: Client, portfolio_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A portfolio page is 200 KB of HTML, a sixth more in Russian: a browser's request
    (``Accept-Encoding: gzip``) is sent it compressed, compressed once, by the handler and
    from memory alike; a client that does not take gzip is sent the page as it is."""
    compressions: list[int] = []
    compress = shortcut.gzip.compress

    def counted(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        compressions.append(len(data))
        return compress(data, *args, **kwargs)

    monkeypatch.setattr(shortcut.gzip, "compress", counted)
    page = f"/portfolios/{portfolio_id}"
    plain = client.get(page, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert "Accept-Encoding" in plain.headers["vary"] and compressions == []
    for _ in range(3):  # the first from memory too: the identity request made the page
        packed = client.get(page, headers={"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == plain.headers["vary"]
        assert packed.content == plain.content  # httpx undoes the gzip
        assert int(packed.headers["content-length"]) < len(plain.content) / 4
    assert compressions == [len(plain.content)]
    for refused in ("gzip;q=0", "deflate, br", "*;q=0", "gzip;q=x"):
        again = client.get(page, headers={"Accept-Encoding": refused})
        assert "content-encoding" not in again.headers, refused
        assert again.content == plain.content, refused
    russian = client.get(page, headers={"Accept-Encoding": "*", "Accept-Language": "ru"})
    assert russian.headers["content-encoding"] == "gzip" and '<html lang="ru">' in russian.text
    assert len(compressions) == 2  # the Russian page is a page of its own, made by the handler
