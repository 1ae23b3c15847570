"""The dashboard's pages as HTML, without a browser: on SQLite and PostgreSQL, wherever tests run.

The browser tests prove what a person sees; these prove the server's side on both databases
and keep running on a machine without Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from tracker.keys import KeyStore, Role
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings

FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    engine = create_readmodel_engine(settings, pool_size=1)
    try:
        token = KeyStore(engine).create("desk", Role.ADMIN)[1]
    finally:
        engine.dispose()
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def post(client: TestClient, path: str, body: dict[str, Any]) -> str:  # type: ignore[type-arg]
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def story(client: TestClient) -> dict[str, str]:  # type: ignore[type-arg]
    portfolio = post(
        client,
        "/api/v1/portfolios",
        {
            "name": "Joint <script>alert(1)</script>",
            "forum": "F & G",
            "established_on": "2024-10-22",
        },
    )
    post(
        client,
        f"/api/v1/portfolios/{portfolio}/targets",
        {
            "investment": {"amount": "3400000000", "currency": "USD"},
            "jobs": 14600,
            "projects": 74,
            "effective_date": "2024-10-22",
            "source": {"title": "Astana Times, 22 Oct 2024"},
        },
    )
    project = post(
        client,
        "/api/v1/projects",
        {
            "portfolio_id": portfolio,
            "title": "Copper <b>plant</b>",
            "sector": "metallurgy",
            "regions": ["KZ-61", "UZ-SI"],
            "planned_investment": {"amount": "50000000.00", "currency": "USD"},
            "planned_jobs": 300,
            "effective_date": "2025-01-10",
        },
    )
    events = f"/api/v1/projects/{project}/events"
    for body in (
        {
            "type": "committed",
            "amount": {"amount": "20000000.00", "currency": "USD"},
            "effective_date": "2025-02-15",
        },
        {
            "type": "disbursed",
            "amount": {"amount": "4000000.00", "currency": "USD"},
            "effective_date": "2025-03-20",
        },
        {
            "type": "corrected",
            "corrects": 3,
            "reason": "bank statement",
            "replacement": {"amount": {"amount": "4500000.00", "currency": "USD"}},
        },
        {
            "type": "disbursed",
            "amount": {"amount": "1000000.00", "currency": "USD"},
            "effective_date": "2025-04-15",
        },
        {"type": "retracted", "retracts": 5, "reason": "duplicate <entry>"},
    ):
        assert client.post(events, json=body).status_code == 201
    return {"portfolio": portfolio, "project": project}


def figures(html: str) -> dict[str, str]:
    headline = html[html.index('id="headline"') : html.index('id="stale"')]
    return dict(FIGURE.findall(headline))


def test_an_empty_tracker_explains_how_to_load_the_demo(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in response.text
    assert "No portfolio has been recorded yet" in response.text
    assert "tracker demo" in response.text


def test_the_first_portfolio_is_the_default_and_its_figures_are_the_apis(
    client: TestClient,  # type: ignore[type-arg]
    story: dict[str, str],
) -> None:
    page = client.get("/").text
    api = client.get(f"/api/v1/portfolios/{story['portfolio']}/progress").json()
    on_page = figures(page)
    assert on_page["committed"] == api["committed"]["amount"] == "20000000.00"
    assert on_page["disbursed"] == api["disbursed"]["amount"] == "4500000.00"
    assert on_page["committed-ratio"] == api["ratios"]["committed_to_target"]
    assert on_page["committed-target"] == api["targets"]["investment_in_report_currency"]
    assert on_page["jobs-target"] == "14600"
    assert on_page["projects"] == "1"
    assert on_page["pledged"] == api["pledged"]["amount"]
    assert "<h1>Joint &lt;script&gt;" in page


def test_every_user_text_is_escaped(client: TestClient, story: dict[str, str]) -> None:  # type: ignore[type-arg]
    page = client.get(f"/portfolios/{story['portfolio']}").text
    assert "<script>alert(1)</script>" not in page
    assert "Joint &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Copper &lt;b&gt;plant&lt;/b&gt;" in page
    project = client.get(f"/projects/{story['project']}").text
    assert "<b>plant</b>" not in project
    assert "duplicate &lt;entry&gt;" in project


def test_the_pages_load_nothing_from_elsewhere(client: TestClient, story: dict[str, str]) -> None:  # type: ignore[type-arg]
    for path in ("/", f"/projects/{story['project']}"):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        loaded = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', response.text)
        assert loaded and all(url.startswith("/static/dashboard/") for url in loaded), loaded
        for url in loaded:
            assert client.get(url).status_code == 200, url


def test_the_project_page_marks_corrections_and_retractions(
    client: TestClient,  # type: ignore[type-arg]
    story: dict[str, str],
) -> None:
    page = unescape(client.get(f"/projects/{story['project']}").text)

    def event(version: int) -> str:
        start = page.rindex("<li", 0, page.index(f'id="event-{version}"'))
        return page[start : page.index("</li>", start)]

    corrected = event(3)
    assert "is-corrected" in corrected
    assert "Corrected by #4" in corrected and "bank statement" in corrected
    retracted = event(5)
    assert "is-retracted" in retracted
    assert "Retracted by #6" in retracted and "duplicate <entry>" in retracted
    api = client.get(f"/api/v1/projects/{story['project']}").json()
    assert f'data-figure="disbursed" value="{api["disbursed"][0]["amount"]}"' in page


def test_a_moment_is_read_from_the_query_string(client: TestClient, story: dict[str, str]) -> None:  # type: ignore[type-arg]
    portfolio = story["portfolio"]
    page = client.get(f"/portfolios/{portfolio}", params={"as_of": "2025-03-01"}).text
    api = client.get(f"/api/v1/portfolios/{portfolio}/progress?as_of=2025-03-01").json()
    assert figures(page)["disbursed"] == api["disbursed"]["amount"] == "0.00"
    assert 'value="2025-03-01"' in page


def test_a_mistyped_setting_is_explained_not_refused(
    client: TestClient,  # type: ignore[type-arg]
    story: dict[str, str],
) -> None:
    response = client.get(
        f"/portfolios/{story['portfolio']}",
        params={"as_of": "31/12/2024", "known_at": "yesterday", "sort": "size", "stale_days": "x"},
    )
    # The page is shown with the latest figures and says what was wrong; its status says the
    # moment asked for could not be read (as the API's 400 does).
    assert response.status_code == 400
    text = unescape(response.text)
    for fragment in ("31/12/2024", "yesterday", "size", "must be a number of days"):
        assert fragment in text
    assert figures(response.text)["committed"] == "20000000.00"  # the latest figures instead


def test_unknown_pages_answer_404_in_html(client: TestClient) -> None:  # type: ignore[type-arg]
    for path in (
        "/portfolios/00000000-0000-0000-0000-000000000000",
        "/projects/00000000-0000-0000-0000-000000000000",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "Not found" in response.text


def test_the_table_for_a_past_moment_lists_the_projects_as_they_were(
    client: TestClient,  # type: ignore[type-arg]
    story: dict[str, str],
) -> None:
    portfolio = story["portfolio"]
    client.post(
        f"/api/v1/projects/{story['project']}/events",
        json={"type": "status_changed", "status": "agreed", "effective_date": "2025-05-01"},
    )

    def listed(**params: str) -> str:
        page = client.get(f"/portfolios/{portfolio}", params=params).text
        return dict(FIGURE.findall(page))["matching"]

    assert listed(status="agreed") == "1"
    assert listed(status="announced") == "0"
    assert listed(as_of="2025-01-05") == "0"  # not yet announced
    assert listed(as_of="2025-04-01", status="announced") == "1"
    assert listed(as_of="2025-04-01", status="agreed") == "0"
    assert listed(as_of="2025-04-01", region="UZ-SI", q="copper") == "1"
