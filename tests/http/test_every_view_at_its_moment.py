"""Each part of a page, and each read, is true at the moment asked for; and a figure can be cited.

A moment is an effective day (``as_of``) and what had been recorded by then (``known_at``).
Each test here is a defect once found: a part of a page that showed the present beside
figures of the past, or a moment the API ignored. Then the citation: a link that fixes
``known_at`` so that it shows the same numbers forever, a ``known_at`` still to come refused,
and a page of the past that says so at its top.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"
FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')
PILL = re.compile(r'status-pill status-([a-z_]+)"')


def now() -> datetime:
    """A moment strictly between the write before and the write after."""
    time.sleep(0.002)
    moment = datetime.now(UTC)
    time.sleep(0.002)
    return moment


def param(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def record(client: Client, project: str, body: dict[str, Any]) -> None:
    response = client.post(f"{API}/projects/{project}/events", json=body)
    assert response.status_code == 201, response.text


def head_of(page: str) -> str:
    """The project page's heading: title, status pill, where, when."""
    return page[page.index('<div class="page-head"') : page.index('id="project-figures"')]


def figures(page: str) -> dict[str, str]:
    return dict(FIGURE.findall(page))


# 1a. the project page: the pill beside the status card


def test_the_project_pill_is_the_status_as_of_the_day_asked(
    client: Client, project_id: str
) -> None:
    record(
        client,
        project_id,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-03-01",
        },
    )
    record(
        client,
        project_id,
        {"type": "status_changed", "status": "suspended", "effective_date": "2025-05-01"},
    )
    before_closing = now()
    record(
        client,
        project_id,
        {"type": "status_changed", "status": "resumed", "effective_date": "2025-06-01"},
    )
    record(client, project_id, {"type": "completed", "effective_date": "2025-07-01"})
    record(
        client,
        project_id,
        {
            "type": "corrected",
            "corrects": 1,
            "reason": "renamed",
            "replacement": {"title": "Copper cathode plant II"},
        },
    )

    page = unescape(client.get(f"/projects/{project_id}", params={"as_of": "2025-05-15"}).text)
    assert PILL.findall(head_of(page)) == ["suspended"]  # it showed "closed", the present
    assert 'data-figure="status">Suspended' in page
    assert "<h1>Copper cathode plant II</h1>" in head_of(page)

    then = unescape(
        client.get(f"/projects/{project_id}", params={"known_at": param(before_closing)}).text
    )
    assert PILL.findall(head_of(then)) == ["suspended"]
    assert "<h1>Copper cathode plant</h1>" in head_of(then)  # the title as then recorded

    before = unescape(client.get(f"/projects/{project_id}", params={"as_of": "2024-12-31"}).text)
    assert PILL.findall(head_of(before)) == [] and "Not yet announced" in head_of(before)


# 1b. the audit trail: marks only from corrections recorded by then


def test_a_correction_recorded_later_does_not_mark_the_audit_trail(
    client: Client, project_id: str
) -> None:
    record(
        client,
        project_id,
        {
            "type": "committed",
            "amount": {"amount": "100", "currency": "USD"},
            "effective_date": "2025-02-01",
        },
    )
    record(
        client,
        project_id,
        {
            "type": "disbursed",
            "amount": {"amount": "50", "currency": "USD"},
            "effective_date": "2025-02-02",
        },
    )
    before_fixes = now()
    record(
        client,
        project_id,
        {
            "type": "corrected",
            "corrects": 2,
            "reason": "a typo",
            "replacement": {"amount": {"amount": "120", "currency": "USD"}},
        },
    )
    record(client, project_id, {"type": "retracted", "retracts": 3, "reason": "a duplicate"})

    def entry(page: str, version: int) -> str:
        start = page.rindex("<li", 0, page.index(f'id="event-{version}"'))
        return page[start : page.index("</li>", start)]

    now_page = unescape(client.get(f"/projects/{project_id}").text)
    assert "is-corrected" in entry(now_page, 2) and "Corrected by #4" in entry(now_page, 2)
    assert "is-retracted" in entry(now_page, 3) and "a duplicate" in entry(now_page, 3)

    then = unescape(
        client.get(f"/projects/{project_id}", params={"known_at": param(before_fixes)}).text
    )
    for version in (2, 3):
        assert "is-corrected" not in entry(then, version)
        assert "is-retracted" not in entry(then, version)
        assert "<s>" not in entry(then, version)
    assert "Corrected by" not in then and "a typo" not in entry(then, 2)
    assert "is-later" in entry(then, 4) and "is-later" in entry(then, 5)  # listed, as later
    assert "3 events recorded by then (2 later" in then


# 1c, 1d. the stale projects


def test_the_stale_projects_are_those_of_the_moment(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    record(
        client,
        project_id,
        {
            "type": "committed",
            "amount": {"amount": "100", "currency": "USD"},
            "effective_date": "2025-02-15",
        },
    )
    record(
        client,
        project_id,
        {"type": "status_changed", "status": "operational", "effective_date": "2025-08-15"},
    )
    record(client, project_id, {"type": "completed", "effective_date": "2025-09-01"})
    stale = f"{API}/portfolios/{portfolio_id}/stale"

    days = {"days": "90"}
    assert client.get(stale, params=days).json()["items"] == []  # closed now
    body = client.get(stale, params={"as_of": "2025-08-01", **days}).json()
    # open then; its last news effective by then is 2025-02-15: 167 days before 2025-08-01
    assert [
        (i["id"], i["status"], i["last_event_on"], i["days_since_last_event"])
        for i in body["items"]
    ] == [(project_id, "announced", "2025-02-15", 167)]
    assert body["today"] == "2025-08-01" and body["open_projects"] == 1
    assert client.get(stale, params={"as_of": "2025-04-01", **days}).json()["items"] == []

    page_params = {"as_of": "2025-08-01", "stale_days": "90"}
    page = client.get(f"/portfolios/{portfolio_id}", params=page_params).text
    assert figures(page)["stale-count"] == "1"
    assert "167 days" in page and "last news 15 Feb 2025" in page
    # Now no project is open: the box must not say that every open project had news.
    now_page = unescape(client.get(f"/portfolios/{portfolio_id}").text)
    assert "No</data> project is open" in now_page
    assert "Every</data> open project" not in now_page


def test_the_stale_projects_as_known_at_a_moment(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    before_news = now()
    record(
        client,
        project_id,
        {"type": "milestone", "name": "Ground broken", "effective_date": "2025-05-01"},
    )
    stale = f"{API}/portfolios/{portfolio_id}/stale"
    params = {"as_of": "2025-06-01", "days": "40"}
    assert client.get(stale, params=params).json()["items"] == []  # news on 2025-05-01
    body = client.get(stale, params={**params, "known_at": param(before_news)}).json()
    assert [(i["last_event_on"], i["days_since_last_event"]) for i in body["items"]] == [
        ("2025-01-10", 142)  # only its announcement was known then
    ]


# 1e. the portfolio page and the project list


def test_the_portfolio_page_and_the_list_at_a_past_moment(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    before_demo = now()
    illustrative = client.post(
        f"{API}/projects",
        json=project_body(
            portfolio_id, title="Invented", illustrative=True, effective_date="2025-03-01"
        ),
    )
    assert illustrative.status_code == 201
    record(
        client,
        project_id,
        {"type": "status_changed", "status": "agreed", "effective_date": "2025-04-01"},
    )
    banner = "The projects and their figures are invented"
    assert banner in client.get(f"/portfolios/{portfolio_id}").text
    then = client.get(f"/portfolios/{portfolio_id}", params={"known_at": param(before_demo)})
    assert banner not in then.text  # no illustrative project had been recorded then

    listed = client.get(
        f"{API}/projects", params={"portfolio": portfolio_id, "as_of": "2025-02-01"}
    )
    assert [(p["id"], p["status"]) for p in listed.json()["items"]] == [(project_id, "announced")]
    assert listed.json()["as_of"] == "2025-02-01"
    listed = client.get(
        f"{API}/projects", params={"known_at": param(before_demo), "portfolio": portfolio_id}
    )
    assert [p["id"] for p in listed.json()["items"]] == [project_id]
    now_listed = client.get(
        f"{API}/projects", params={"portfolio": portfolio_id, "status": "agreed"}
    )
    assert [p["id"] for p in now_listed.json()["items"]] == [project_id]
    page = client.get(f"/portfolios/{portfolio_id}", params={"as_of": "2025-03-15", "rows": "all"})
    statuses = dict(
        re.findall(
            r'<tr data-project-id="([\w-]+)">.*?status-pill status-([a-z_]+)"', page.text, re.S
        )
    )
    assert statuses[project_id] == "announced"


def test_the_history_at_a_moment(client: Client, project_id: str) -> None:
    record(client, project_id, {"type": "committed", "amount": {"amount": "1", "currency": "USD"}})
    before_fix = now()
    record(client, project_id, {"type": "retracted", "retracts": 2, "reason": "a test"})
    history = f"{API}/projects/{project_id}/events"
    assert client.get(history).json()["events"][1]["retracted_by"] == 3
    then = client.get(history, params={"known_at": param(before_fix)}).json()["events"]
    assert [(e["version"], e["retracted_by"]) for e in then] == [(1, None), (2, None)]
    assert_problem(client.get(history, params={"known_at": "2001-01-01T00:00:00Z"}), 404)


# 2a. "Cite this"


def cite_link(page: str) -> str:
    found = re.search(r'<a class="cite-link" href="([^"]+)" rel="bookmark" data-cite title=', page)
    assert found, "no cite link"
    return unescape(found.group(1))


def test_the_cite_link_fixes_the_moment_of_reading_and_keeps_the_view(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    record(
        client,
        project_id,
        {
            "type": "committed",
            "amount": {"amount": "100", "currency": "USD"},
            "effective_date": "2025-02-15",
        },
    )
    path = f"/portfolios/{portfolio_id}"
    before = datetime.now(UTC)
    page = client.get(path, params={"as_of": "2025-06-30", "sector": "metallurgy"}).text
    after = datetime.now(UTC)
    link = cite_link(page)
    query = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == path
    assert query["as_of"] == ["2025-06-30"] and query["sector"] == ["metallurgy"]
    (known_at,) = query["known_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", known_at)  # RFC 3339, UTC
    assert before <= datetime.fromisoformat(known_at) <= after
    for card in ("committed", "disbursed", "jobs", "projects"):
        assert f'id="card-{card}"' in page and f"{link}#card-{card}".replace("&", "&amp;") in page

    record(
        client,
        project_id,
        {
            "type": "committed",
            "amount": {"amount": "5", "currency": "USD"},
            "effective_date": "2025-03-01",
        },
    )
    assert figures(client.get(path, params={"as_of": "2025-06-30"}).text)["committed"] == "105.00"
    cited = client.get(link).text
    assert figures(cited)["committed"] == figures(page)["committed"] == "100.00"
    assert cite_link(cited) == link  # a cited page cites itself

    project_page = client.get(f"/projects/{project_id}").text
    project_link = cite_link(project_page)
    assert "known_at=" in project_link and 'id="figure-committed"' in project_page
    record(client, project_id, {"type": "committed", "amount": {"amount": "7", "currency": "USD"}})
    assert Decimal(figures(client.get(project_link).text)["committed"]) == 105
    assert Decimal(figures(client.get(f"/projects/{project_id}").text)["committed"]) == 112


# 2b. a known_at still to come


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/portfolios/{portfolio}/progress",
        "/api/v1/portfolios/{portfolio}/breakdown?by=sector",
        "/api/v1/portfolios/{portfolio}/timeline",
        "/api/v1/portfolios/{portfolio}/stale",
        "/api/v1/projects",
        "/api/v1/projects/{project}",
        "/api/v1/projects/{project}/events",
        "/",
        "/portfolios/{portfolio}",
        "/projects/{project}",
    ],
)
def test_a_known_at_still_to_come_is_refused(
    client: Client, portfolio_id: str, project_id: str, path: str
) -> None:
    url = path.format(portfolio=portfolio_id, project=project_id)
    soon = param(datetime.now(UTC) + timedelta(minutes=5))
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}known_at={quote(soon)}")
    body = assert_problem(response, 400, "known_at")
    assert "future" in body["detail"]
    assert client.get(f"{url}{separator}known_at={quote(param(now()))}").status_code == 200


# 2c. a page of the past says so at its top


def test_a_page_of_the_past_says_so_at_the_top(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    for path in (f"/portfolios/{portfolio_id}", f"/projects/{project_id}"):
        assert 'id="moment-banner"' not in client.get(path).text
        page = unescape(
            client.get(
                path, params={"as_of": "2025-05-15", "known_at": "2025-06-02T14:02:00Z"}
            ).text
        )
        main = page[page.index('<main id="main"') :]
        banner = main[
            main.index('id="moment-banner"') : main.index("</p>", main.index('id="moment-banner"'))
        ]
        assert main.index('id="moment-banner"') < main.index("<h1>")
        assert "You are looking at the figures" in banner
        assert 'as of <strong><time datetime="2025-05-15">15 May 2025' in banner
        assert "as known on <strong>" in banner and "2 Jun 2025, 14:02:00 UTC" in banner
        known_today = re.search(r'<a href="([^"]+)" data-link="known-today">as known today', banner)
        as_of_today = re.search(r'<a href="([^"]+)" data-link="as-of-today">as of today', banner)
        assert known_today and "known_at" not in known_today.group(1)
        assert "as_of=2025-05-15" in known_today.group(1)
        assert as_of_today and "as_of" not in as_of_today.group(1)
