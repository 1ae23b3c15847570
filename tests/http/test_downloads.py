"""Every view of the portfolio page downloads as the page shows it: the same moment, filters
and layer; CSV and XLSX hold the page's exact figures, charts come as SVG."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook

from tests.http.conftest import project_body
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]
FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')
ROW = re.compile(r'<tr data-project-id="([\w-]+)">')


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def post(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    made = client.post(path, json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


@pytest.fixture
def story(client: Client, portfolio_id: str) -> dict[str, str]:
    """Three projects in two sectors; after ``known_at`` a correction and a new fact that a
    download of that moment must not show."""
    post(
        client,
        f"/api/v1/portfolios/{portfolio_id}/targets",
        {
            "investment": usd("500000000"),
            "jobs": 5000,
            "projects": 10,
            "effective_date": "2024-01-01",
        },
    )
    ids = {}
    for title, sector, amount in (
        ("Wind farm", "energy", "90000000"),
        ("Grid link", "energy", "40000000"),
        ("Cement kiln", "construction", "60000000"),
    ):
        body = project_body(
            portfolio_id,
            title=title,
            sector=sector,
            planned_investment=usd(amount),
            effective_date="2024-02-01",
        )
        ids[title] = str(post(client, "/api/v1/projects", body)["id"])
    for title, kind, amount, day in (
        ("Wind farm", "committed", "30000000", "2024-03-01"),
        ("Wind farm", "disbursed", "5000000", "2024-05-01"),
        ("Grid link", "committed", "10000000", "2024-04-01"),
        ("Cement kiln", "committed", "20000000", "2024-04-15"),
        ("Wind farm", "disbursed", "7000000", "2024-09-01"),  # after as_of
    ):
        body = {"type": kind, "amount": usd(amount), "effective_date": day}
        post(client, f"/api/v1/projects/{ids[title]}/events", body)
    time.sleep(0.01)
    ids["known_at"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    correction = {
        "type": "corrected",
        "corrects": 2,
        "reason": "35 M",
        "replacement": {"amount": usd("35000000")},
    }
    post(client, f"/api/v1/projects/{ids['Wind farm']}/events", correction)
    post(
        client,
        f"/api/v1/projects/{ids['Grid link']}/events",
        {"type": "committed", "amount": usd("1000000"), "effective_date": "2024-05-01"},
    )
    return ids


def view_params(story: dict[str, str]) -> dict[str, str]:
    return {"as_of": "2024-06-30", "known_at": story["known_at"], "sector": "energy", "rows": "all"}


def read_csv(client: Client, url: str, params: dict[str, str]) -> list[dict[str, str]]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_each_view_downloads_with_the_figures_the_page_shows(
    client: Client, portfolio_id: str, story: dict[str, str]
) -> None:
    params = view_params(story)
    page = client.get(f"/portfolios/{portfolio_id}", params=params).text
    base = f"/portfolios/{portfolio_id}"
    # The page links to each download with its own settings.
    link = re.search(r'href="([^"]*/projects\.csv\?[^"]*)"', page)
    assert link and "sector=energy" in link.group(1) and "as_of=2024-06-30" in link.group(1)

    shown = dict(FIGURE.findall(page[page.index('id="headline"') : page.index('id="timeline"')]))
    headline = {row["Figure"]: row for row in read_csv(client, f"{base}/headline.csv", params)}
    assert headline["Committed"]["Value"] == shown["committed"]
    assert headline["Disbursed"]["Value"] == shown["disbursed"] == "5000000.00"
    assert headline["Projects"]["Value"] == shown["projects"]
    assert headline["Committed"]["Share of target"] == shown["committed-ratio"]

    projects = read_csv(client, f"{base}/projects.csv", params)
    assert [p["Id"] for p in projects] == ROW.findall(page)
    assert {p["Project"] for p in projects} == {"Wind farm", "Grid link"}  # the filter holds

    sectors = read_csv(client, f"{base}/breakdown-sector.csv", params)
    panel = page[page.index("breakdown-sector") :]
    panel = panel[: panel.index("</ul>")]
    on_page = re.findall(
        r'data-key="([^"]+)".*?data-figure="committed" value="([^"]*)"', panel, re.S
    )
    assert [(s["Code"], s["Committed"]) for s in sectors] == on_page
    assert dict(on_page)["energy"] == "40000000.00"  # the correction came later

    timeline = read_csv(client, f"{base}/timeline.csv", params)
    api = client.get(
        f"/api/v1/portfolios/{portfolio_id}/timeline",
        params={
            "as_of": params["as_of"],
            "known_at": params["known_at"],
            "sector": params["sector"],  # the page's filters drive its timeline too
            "interval": "month",
        },
    ).json()
    assert [(t["Period"], t["Committed"]) for t in timeline] == [
        (p["period"], p["figures"]["committed"]["amount"]) for p in api["points"]
    ]


def test_a_flagged_view_downloads_the_flagged_projects_figures(
    client: Client, portfolio_id: str, story: dict[str, str]
) -> None:
    """No news for 70 days before 30 June 2024: Grid link (last news 1 April) and Cement kiln
    (15 April), not Wind farm (1 May). The headline, the table and their downloads count
    those two: USD 30 M committed, as the API's progress with the same flag says."""
    params = {
        "as_of": "2024-06-30",
        "known_at": story["known_at"],
        "flag": "no_news",
        "stale_days": "70",
        "rows": "all",
    }
    page = client.get(f"/portfolios/{portfolio_id}", params=params).text
    base = f"/portfolios/{portfolio_id}"
    shown = dict(FIGURE.findall(page[page.index('id="headline"') : page.index('id="timeline"')]))
    headline = {row["Figure"]: row for row in read_csv(client, f"{base}/headline.csv", params)}
    api = client.get(
        f"/api/v1/portfolios/{portfolio_id}/progress",
        params={
            "as_of": "2024-06-30",
            "known_at": story["known_at"],
            "flag": "no_news",
            "no_news_days": "70",
        },
    ).json()
    assert headline["Committed"]["Value"] == shown["committed"] == api["committed"]["amount"]
    assert api["committed"]["amount"] == "30000000.00" and api["projects"] == 2
    projects = read_csv(client, f"{base}/projects.csv", params)
    assert {p["Project"] for p in projects} == {"Grid link", "Cement kiln"}


def cell_text(cell: Any) -> str:
    """A cell as the CSV writes it (a date cell is read back as a midnight datetime)."""
    if cell is None:
        return ""
    return cell.date().isoformat() if isinstance(cell, datetime) else str(cell)


def test_the_xlsx_holds_the_same_rows_and_says_what_it_is(
    client: Client, portfolio_id: str, story: dict[str, str]
) -> None:
    params = view_params(story)
    base = f"/portfolios/{portfolio_id}"
    rows = read_csv(client, f"{base}/projects.csv", params)
    response = client.get(f"{base}/projects.xlsx", params=params)
    assert response.status_code == 200
    assert (
        'filename="figures-projects-as-of-2024-06-30-known-at-'
        in response.headers["content-disposition"]
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    values = [[cell_text(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(rows[0])
    assert [dict(zip(values[0], r, strict=True)) for r in values[1:]] == rows
    about = dict(book.worksheets[1].iter_rows(values_only=True))
    assert about["As of"] == "2024-06-30"
    assert about["Known at"] == story["known_at"]
    assert about["Filters"] == "sector=energy"


def test_the_timeline_chart_downloads_as_a_styled_svg(
    client: Client, portfolio_id: str, story: dict[str, str]
) -> None:
    response = client.get(f"/portfolios/{portfolio_id}/timeline.svg", params=view_params(story))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.content)
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg" and root.get("width") == "1040"
    assert ".chart .line-committed" in (root.find(f"{svg}style").text or "")  # type: ignore[union-attr]
    assert root.findall(f"{svg}polyline")


def test_an_unknown_download_is_404_and_a_future_moment_is_refused(
    client: Client, portfolio_id: str
) -> None:
    assert client.get(f"/portfolios/{portfolio_id}/nothing.csv").status_code == 404
    assert client.get(f"/portfolios/{portfolio_id}/headline.pdf").status_code == 404
    assert client.get(f"/portfolios/{portfolio_id}/timeline.svg").status_code == 404  # no data
    future = client.get(
        f"/portfolios/{portfolio_id}/headline.csv", params={"known_at": "2999-01-01T00:00:00Z"}
    )
    assert_problem(future, 400, field="known_at")
