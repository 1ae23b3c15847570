"""HTTP as RFC 9110 says: strong entity tags, If-Match (strong comparison, ``*``, lists),
If-None-Match (weak comparison, lists) answering 304, HEAD wherever GET is, ``Link`` to the
next page, 415 for a body of another media type, and problem types that resolve to a page."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from api.errors import STATUS_OF
from api.problems import BY_STATUS, PROBLEM_TYPES
from api.shortcut import Answer, Shortcuts
from tests.http.conftest import project_body
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]
MILESTONE = {"type": "milestone", "name": "ground broken"}


def events_url(project_id: str) -> str:
    return f"/api/v1/projects/{project_id}/events"


def test_a_read_carries_a_strong_entity_tag(client: Client, project_id: str) -> None:
    assert client.get(f"/api/v1/projects/{project_id}").headers["etag"] == '"1"'
    written = client.post(events_url(project_id), json=MILESTONE)
    assert written.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"1"', 201),
        ("*", 201),
        ('"7", "1"', 201),
        ('"7",   "1" ,"9"', 201),
        ('"7", "8"', 412),
        # Strong comparison: a weak tag never matches, not even the current version.
        ('W/"1"', 412),
        ('W/"1", "7"', 412),
    ],
)
def test_if_match_compares_strongly_with_lists_and_star(
    client: Client, project_id: str, if_match: str, status: int
) -> None:
    response = client.post(events_url(project_id), json=MILESTONE, headers={"If-Match": if_match})
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        assert_problem(response, status, "If-Match")


@pytest.mark.parametrize("malformed", ["yesterday", '"1', '"1" "2"', 'W/"x y"', ","])
def test_a_malformed_if_match_is_refused_naming_it(
    client: Client, project_id: str, malformed: str
) -> None:
    response = client.post(events_url(project_id), json=MILESTONE, headers={"If-Match": malformed})
    assert_problem(response, 422, "If-Match")


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('"1"', 304),
        ('W/"1"', 304),
        ('"5", W/"1"', 304),
        ("*", 304),
        ('"2"', 200),
        ('"2", "3"', 200),
    ],
)
def test_if_none_match_answers_304_on_a_weak_match(
    client: Client, project_id: str, if_none_match: str, status: int
) -> None:
    url = f"/api/v1/projects/{project_id}"
    response = client.get(url, headers={"If-None-Match": if_none_match})
    assert response.status_code == status
    assert response.headers["etag"] == '"1"'
    if status == 304:
        assert response.content == b""
    else:
        assert response.json()["id"] == project_id


def test_a_changed_resource_is_sent_again(client: Client, project_id: str) -> None:
    url = f"/api/v1/projects/{project_id}"
    client.post(events_url(project_id), json=MILESTONE)
    response = client.get(url, headers={"If-None-Match": '"1"'})
    assert response.status_code == 200 and response.headers["etag"] == '"2"'


def test_every_get_route_answers_head(app: Litestar, client: Client) -> None:
    """Every GET route with no path parameter, the event stream too: GET's status and type,
    no body."""
    paths = sorted(
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute) and "GET" in route.methods and "{" not in route.path
    )
    assert "/health" in paths and any(path.endswith("/stream") for path in paths)
    for path in paths:
        head = client.head(path)
        assert head.content == b"", path
        if path.endswith("/stream"):
            assert head.status_code == 200
            assert head.headers["content-type"].startswith("text/event-stream")
            continue
        got = client.get(path)
        assert head.status_code == got.status_code, path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path


def test_head_answers_the_get_headers_without_a_body(client: Client, project_id: str) -> None:
    for url in ("/health", f"/api/v1/projects/{project_id}", "/api/v1/projects", "/docs"):
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head.content == b"", url
        assert head.headers["content-type"] == got.headers["content-type"], url
        assert head.headers.get("etag") == got.headers.get("etag"), url


def test_a_repeated_health_probe_is_answered_before_the_handler_as_it_answered(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/health`` is the same every time: after the handler's first answer the next are given
    before it (api/shortcut.py) with the same status, headers and bytes, HEAD included."""
    given: list[Answer | None] = []
    answer = Shortcuts.answer

    def recorded(self: Shortcuts, scope: Any) -> Answer | None:
        given.append(answer(self, scope))
        return given[-1]

    monkeypatch.setattr(Shortcuts, "answer", recorded)
    first, again = client.get("/health"), client.get("/health")
    assert given[0] is None and given[1] is not None
    assert again.status_code == first.status_code == 200
    assert again.content == first.content and first.json() == {"status": "ok", "detail": None}
    assert sorted(again.headers.items()) == sorted(first.headers.items())
    head = client.head("/health")
    assert given[2] is not None and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"]


def next_link(response: Any) -> str | None:
    found = re.search(r'<([^>]+)>;\s*rel="next"', response.headers.get("link", ""))
    return found.group(1) if found else None


def test_a_paged_list_links_to_its_next_page(client: Client, portfolio_id: str) -> None:
    for title in ("One", "Two", "Three"):
        client.post("/api/v1/projects", json=project_body(portfolio_id, title=title))
    seen: list[str] = []
    url: str | None = f"/api/v1/projects?portfolio={portfolio_id}&limit=2&sort=title"
    pages = 0
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.text
        seen += [item["title"] for item in response.json()["items"]]
        url = next_link(response)
        assert url is None or (f"portfolio={portfolio_id}" in url and "limit=2" in url)
        pages += 1
    assert seen == ["One", "Three", "Two"] and pages == 2


@pytest.mark.parametrize("media_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_a_body_of_another_media_type_is_415(
    client: Client, project_id: str, media_type: str
) -> None:
    response = client.post(
        events_url(project_id),
        content=b'{"type": "milestone", "name": "x"}',
        headers={"Content-Type": media_type},
    )
    problem = assert_problem(response, 415, "Content-Type")
    assert "application/json" in problem["detail"]


def test_json_with_parameters_is_accepted(client: Client, project_id: str) -> None:
    response = client.post(
        events_url(project_id),
        content=b'{"type": "milestone", "name": "x"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


def test_every_problem_type_resolves_to_a_page_describing_it(client: Client) -> None:
    index = client.get("/problems")
    assert index.status_code == 200
    for slug, problem_type in PROBLEM_TYPES.items():
        page = client.get(f"/problems/{slug}")
        assert page.status_code == 200, slug
        assert page.headers["content-type"].startswith("text/html")
        assert escape(problem_type.title) in page.text
        assert escape(problem_type.description) in page.text
        assert f'href="/problems/{slug}"' in index.text
    assert_problem(client.get("/problems/no-such-problem"), 404)


def test_a_problem_names_a_type_that_resolves(client: Client, project_id: str) -> None:
    problem = assert_problem(client.post(events_url(project_id), json={"type": "completed"}), 409)
    assert problem["type"] == "/problems/conflict"
    assert client.get(problem["type"]).status_code == 200
    unauthorised = client.post(
        events_url(project_id), json=MILESTONE, headers={"Authorization": ""}
    )
    assert client.get(assert_problem(unauthorised, 401)["type"]).status_code == 200


def test_every_problem_type_the_api_names_has_a_page() -> None:
    api = Path(__file__).resolve().parents[2] / "api"
    named = {slug for _, _, slug in STATUS_OF} | set(BY_STATUS.values())
    for module in api.rglob("*.py"):
        named |= set(re.findall(r'slug="([a-z-]+)"', module.read_text()))
        named |= set(re.findall(r'slug="[a-z-]+" if \w+ else "([a-z-]+)"', module.read_text()))
    assert "too-many-imports" in named and "invalid-rows" in named
    assert named <= set(PROBLEM_TYPES), sorted(named - set(PROBLEM_TYPES))
