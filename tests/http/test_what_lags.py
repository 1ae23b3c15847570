"""What lags: shares of plan per slice, slices sorted by shortfall, every report filtered, and
the timeline by month or quarter — on a portfolio small enough to check by hand.

    project  sector       region  plan      jobs  committed  disbursed  jobs created
    Alpha    energy       KZ-61   40 M      200   30 M       10 M       50 + 10 temporary
    Bravo    metallurgy   UZ-SI   20 M      100   20 M       18 M       100
    Charlie  energy       UZ-TK   10 M      50    2 M        —          —          (agreed)
    Delta    agriculture  KZ-61   10 M      20    —          —          —          (cancelled)

The portfolio's targets: USD 100 M, 1,000 jobs, 4 projects.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]
M = 1_000_000


def usd(millions: int) -> dict[str, str]:
    return {"amount": str(millions * M), "currency": "USD"}


def post(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1{path}", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def announce(
    client: Client, portfolio: str, title: str, sector: str, region: str, plan: int, jobs: int
) -> str:
    body = project_body(
        portfolio,
        title=title,
        sector=sector,
        regions=[region],
        planned_investment=usd(plan),
        planned_jobs=jobs,
        effective_date="2024-01-15",
    )
    return str(post(client, "/projects", body)["id"])


class Story:
    portfolio: str
    alpha: str
    bravo: str
    charlie: str
    before_bravo_moved: datetime


@pytest.fixture
def story(client: Client, portfolio_id: str) -> Story:
    s = Story()
    s.portfolio = portfolio_id
    post(
        client,
        f"/portfolios/{portfolio_id}/targets",
        {"investment": usd(100), "jobs": 1000, "projects": 4, "effective_date": "2024-01-01"},
    )
    s.alpha = announce(client, portfolio_id, "Alpha", "energy", "KZ-61", 40, 200)
    s.bravo = announce(client, portfolio_id, "Bravo", "metallurgy", "UZ-SI", 20, 100)
    s.charlie = charlie = announce(client, portfolio_id, "Charlie", "energy", "UZ-TK", 10, 50)
    delta = announce(client, portfolio_id, "Delta", "agriculture", "KZ-61", 10, 20)

    def event(project: str, body: dict[str, Any]) -> None:
        post(client, f"/projects/{project}/events", body)

    event(s.alpha, {"type": "committed", "amount": usd(30), "effective_date": "2024-02-10"})
    event(s.alpha, {"type": "disbursed", "amount": usd(10), "effective_date": "2024-05-10"})
    event(
        s.alpha,
        {"type": "jobs_created", "permanent": 50, "temporary": 10, "effective_date": "2024-05-20"},
    )
    event(s.bravo, {"type": "committed", "amount": usd(20), "effective_date": "2024-03-01"})
    event(s.bravo, {"type": "disbursed", "amount": usd(18), "effective_date": "2024-04-01"})
    event(s.bravo, {"type": "jobs_created", "permanent": 100, "effective_date": "2024-04-02"})
    event(charlie, {"type": "committed", "amount": usd(2), "effective_date": "2024-02-20"})
    event(charlie, {"type": "status_changed", "status": "agreed", "effective_date": "2024-03-05"})
    event(delta, {"type": "cancelled", "reason": "withdrawn", "effective_date": "2024-02-01"})
    time.sleep(0.002)
    s.before_bravo_moved = datetime.now(UTC)
    time.sleep(0.002)
    return s


def read(client: Client, story: Story, kind: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/portfolios/{story.portfolio}/{kind}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def slices(client: Client, story: Story, **params: str) -> dict[str, dict[str, Any]]:
    body = read(client, story, "breakdown", **params)
    return {s["key"]: s for s in body["slices"]}


def test_each_slice_says_its_shares_of_plan_and_its_jobs(client: Client, story: Story) -> None:
    by_sector = slices(client, story, by="sector")
    energy = by_sector["energy"]
    # Alpha and Charlie: 50 M planned, 32 M committed, 10 M disbursed, 60 of 250 jobs.
    assert energy["figures"]["pledged"]["amount"] == str(50 * M) + ".00"
    assert energy["figures"]["planned_jobs"] == 250
    assert energy["figures"]["jobs_created"] == {"permanent": 50, "temporary": 10, "total": 60}
    assert energy["shares_of_plan"] == {
        "committed_to_plan": "0.6400",
        "disbursed_to_plan": "0.2000",
        "jobs_to_plan": "0.2400",
        "committed_shortfall": "18000000.00",
        "disbursed_shortfall": "40000000.00",
        "jobs_shortfall": 190,
    }
    assert by_sector["metallurgy"]["shares_of_plan"]["committed_to_plan"] == "1.0000"
    # Delta is cancelled: agriculture plans nothing, so it has no share (and no shortfall).
    agriculture = by_sector["agriculture"]["shares_of_plan"]
    assert agriculture["committed_to_plan"] is None and agriculture["jobs_to_plan"] is None
    assert agriculture["committed_shortfall"] == "0.00"
    # Progress says the same for the whole portfolio: 52 of 70 M, 160 of 350 jobs.
    whole = read(client, story, "progress")["shares_of_plan"]
    assert (whole["committed_to_plan"], whole["jobs_to_plan"]) == ("0.7429", "0.4571")


def test_slices_sort_by_shortfall_share_amount_or_key(client: Client, story: Story) -> None:
    def order(**params: str) -> list[str]:
        return list(slices(client, story, by="sector", **params))

    assert order() == ["agriculture", "energy", "metallurgy"]  # key, as before
    assert order(sort="key") == ["agriculture", "energy", "metallurgy"]
    # Lowest share first; agriculture plans nothing, so it has no share and comes last.
    assert order(sort="share") == ["energy", "metallurgy", "agriculture"]
    assert order(sort="share", figure="disbursed") == ["energy", "metallurgy", "agriculture"]
    # Shortfall: energy lacks 18 M; agriculture and metallurgy lack nothing (ties by key).
    assert order(sort="shortfall") == ["energy", "agriculture", "metallurgy"]
    # Jobs: energy lacks 190, metallurgy 0, agriculture 0 (Delta is cancelled).
    assert order(sort="shortfall", figure="jobs") == ["energy", "agriculture", "metallurgy"]
    assert order(sort="amount") == ["energy", "metallurgy", "agriculture"]  # 32, 20, 0 M
    assert order(sort="amount", figure="jobs") == ["metallurgy", "energy", "agriculture"]
    body = read(client, story, "breakdown", by="region", sort="shortfall")
    assert (body["figure"], body["sort"]) == ("committed", "shortfall")
    # KZ-61 lacks 10 M (40 planned, 30 committed; Delta cancelled), UZ-TK 8 M, UZ-SI 0.
    assert [s["key"] for s in body["slices"]] == ["KZ-61", "UZ-TK", "UZ-SI"]


def test_filters_recompute_progress_breakdowns_and_timeline(client: Client, story: Story) -> None:
    energy = read(client, story, "progress", sector="energy")
    assert energy["filters"] == {
        "sector": "energy",
        "region": None,
        "country": None,
        "status": None,
        "flag": None,
        "no_news_days": None,
    }
    assert Decimal(energy["committed"]["amount"]) == 32 * M
    assert Decimal(energy["disbursed"]["amount"]) == 10 * M
    assert energy["jobs_created"]["total"] == 60 and energy["projects"] == 2
    # The target is the portfolio's: 32 of 100 M.
    assert energy["ratios"]["committed_to_target"] == "0.3200"
    assert read(client, story, "progress")["filters"] is None
    # A region, a country, a status; and two at once.
    assert Decimal(read(client, story, "progress", region="UZ-TK")["committed"]["amount"]) == 2 * M
    kz = read(client, story, "progress", country="KZ")
    assert (kz["projects"], Decimal(kz["pledged"]["amount"])) == (2, 40 * M)  # Delta cancelled
    agreed = read(client, story, "progress", status="agreed")
    assert agreed["projects_by_status"] == {"agreed": 1}
    both = read(client, story, "progress", sector="energy", country="UZ")
    assert Decimal(both["committed"]["amount"]) == 2 * M
    # The breakdowns of a filtered portfolio count only its projects.
    regions = slices(client, story, by="region", sector="energy")
    assert sorted(regions) == ["KZ-61", "UZ-TK"]
    assert Decimal(regions["KZ-61"]["figures"]["committed"]["amount"]) == 30 * M
    # The timeline too, and its last point is the filtered progress.
    line = read(client, story, "timeline", interval="quarter", sector="energy")
    assert line["filters"]["sector"] == "energy"
    last = line["points"][-1]["figures"]
    assert (last["committed"]["amount"], last["jobs_created"]["total"]) == (
        energy["committed"]["amount"],
        60,
    )


def test_filters_are_judged_as_of_the_day_and_as_known_then(client: Client, story: Story) -> None:
    # Charlie was announced, then agreed on 5 March 2024.
    assert read(client, story, "progress", status="agreed", as_of="2024-03-04")["projects"] == 0
    assert read(client, story, "progress", status="announced", as_of="2024-03-04")["projects"] == 3
    agreed_then = read(client, story, "progress", status="agreed", as_of="2024-03-05")
    assert Decimal(agreed_then["committed"]["amount"]) == 2 * M
    # Bravo's sector is corrected to energy; as known before, energy did not hold it.
    post(
        client,
        f"/projects/{story.bravo}/events",
        {
            "type": "corrected",
            "corrects": 1,
            "reason": "the register",
            "replacement": {"sector": "energy"},
        },
    )
    now = read(client, story, "progress", sector="energy")
    then = read(client, story, "progress", sector="energy", known_at=story.before_bravo_moved)
    assert (Decimal(now["committed"]["amount"]), Decimal(then["committed"]["amount"])) == (
        52 * M,
        32 * M,
    )
    # "metallurgy" is no project's sector now, but was: an empty slice, not an error.
    assert read(client, story, "progress", sector="metallurgy")["projects"] == 0


def charlie_disburses_beyond_its_commitment(client: Client, story: Story) -> None:
    """Charlie (2 M committed) disburses 3 M on 15 June 2024: flagged from that day."""
    post(
        client,
        f"/projects/{story.charlie}/events",
        {"type": "disbursed", "amount": usd(3), "effective_date": "2024-06-15"},
    )


def test_a_flag_recomputes_progress_breakdowns_and_timeline(client: Client, story: Story) -> None:
    charlie_disburses_beyond_its_commitment(client, story)
    above = {"flag": "disbursed_above_committed"}
    now = read(client, story, "progress", **above)
    assert now["filters"]["flag"] == "disbursed_above_committed"
    assert (now["projects"], Decimal(now["committed"]["amount"])) == (1, 2 * M)
    assert Decimal(now["disbursed"]["amount"]) == 3 * M
    assert Decimal(now["pledged"]["amount"]) == 10 * M  # Charlie's plan
    # Judged at the report's moment: on 14 June Charlie had disbursed nothing.
    assert read(client, story, "progress", as_of="2024-06-14", **above)["projects"] == 0
    # No news for 60 days before 30 June 2024: Bravo (last news 2 April) only; Alpha's
    # jobs came on 20 May, Charlie's disbursement on 15 June, Delta is cancelled.
    silent = read(client, story, "progress", flag="no_news", no_news_days="60", as_of="2024-06-30")
    assert silent["filters"]["no_news_days"] == 60
    assert (silent["projects"], Decimal(silent["committed"]["amount"])) == (1, 20 * M)
    # Any flag: Bravo and Charlie, 22 M committed, 21 M disbursed.
    flagged = read(client, story, "progress", flag="any", no_news_days="60", as_of="2024-06-30")
    assert (flagged["projects"], Decimal(flagged["disbursed"]["amount"])) == (2, 21 * M)
    # The breakdowns count only the flagged projects: energy (Charlie) and metallurgy (Bravo).
    by_sector = slices(
        client, story, by="sector", flag="any", no_news_days="60", as_of="2024-06-30"
    )
    assert sorted(by_sector) == ["energy", "metallurgy"]
    assert Decimal(by_sector["energy"]["figures"]["committed"]["amount"]) == 2 * M
    # The timeline judges each point at its own day: Charlie is flagged from June only.
    line = read(client, story, "timeline", interval="month", as_of="2024-07-31", **above)
    committed = [Decimal(p["figures"]["committed"]["amount"]) for p in line["points"]]
    assert committed == [0, 0, 0, 0, 0, 2 * M, 2 * M]
    assert line["points"][-1]["figures"]["projects"] == 1


def test_a_flag_narrows_the_whole_page(client: Client, story: Story) -> None:
    charlie_disburses_beyond_its_commitment(client, story)
    html = page(client, story, flag="disbursed_above_committed")
    assert headline(html)["committed"] == "2000000.00"
    assert headline(html)["projects"] == "1"
    assert (
        "Every figure below counts only the projects matching flag: Disbursed > committed" in html
    )
    assert re.findall(r'data-key="([\w-]+)"', section(html, "breakdown-sector")) == ["energy"]
    assert "Bravo" not in html[html.index('id="projects-title"') :]
    html = page(client, story, flag="soon")
    assert "Unknown flag “soon”; showing every project." in html
    assert headline(html)["committed"] == "52000000.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sector": "enrgy"}, "sector"),
        ({"region": "KZ-75"}, "region"),  # a real region no project of the portfolio has
        ({"region": "Almaty"}, "region"),  # not an ISO 3166-2 code
        ({"country": "TJ"}, "country"),
        ({"status": "stalled"}, "status"),
        ({"layer": "rumoured"}, "layer"),
        ({"flag": "late"}, "flag"),
        ({"flag": "no_news", "no_news_days": "0"}, "no_news_days"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_it(
    client: Client, story: Story, params: dict[str, str], field: str
) -> None:
    for kind, extra in (("progress", {}), ("breakdown", {"by": "sector"}), ("timeline", {})):
        response = client.get(
            f"/api/v1/portfolios/{story.portfolio}/{kind}", params={**params, **extra}
        )
        assert_problem(response, 400, field)


def test_an_unknown_figure_or_order_is_a_400_naming_it(client: Client, story: Story) -> None:
    base = f"/api/v1/portfolios/{story.portfolio}/breakdown?by=sector"
    assert_problem(client.get(f"{base}&sort=lag"), 400, "sort")
    assert_problem(client.get(f"{base}&figure=pledged"), 400, "figure")


def test_the_timeline_goes_by_month_or_by_quarter(client: Client, story: Story) -> None:
    as_of = {"as_of": "2024-06-30"}
    months = read(client, story, "timeline", interval="month", **as_of)
    quarters = read(client, story, "timeline", interval="quarter", **as_of)
    assert [p["period"] for p in months["points"]] == [f"2024-0{m}" for m in range(1, 7)]
    assert [p["period"] for p in quarters["points"]] == ["2024-Q1", "2024-Q2"]
    committed = [Decimal(p["figures"]["committed"]["amount"]) for p in months["points"]]
    # January nothing; Alpha's 30 M in February, Charlie's 2 M too; Bravo's 20 M in March.
    assert committed == [0, 32 * M, 52 * M, 52 * M, 52 * M, 52 * M]
    assert quarters["points"][0]["figures"] == months["points"][2]["figures"]
    assert quarters["points"][1]["figures"] == months["points"][5]["figures"]
    assert_problem(
        client.get(f"/api/v1/portfolios/{story.portfolio}/timeline?interval=week"), 400, "interval"
    )


FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')


def page(client: Client, story: Story, **params: str) -> str:
    response = client.get(f"/portfolios/{story.portfolio}", params=params)
    assert response.status_code == 200, response.text
    return unescape(response.text)


def headline(html: str) -> dict[str, str]:
    return dict(FIGURE.findall(html[html.index('id="headline"') : html.index('id="timeline"')]))


def section(html: str, css: str) -> str:
    start = html.index(css)
    return html[start : html.index("</ul>", start)]


def test_the_page_filter_drives_the_headline_breakdowns_and_timeline(
    client: Client, story: Story
) -> None:
    energy = page(client, story, sector="energy", interval="month", as_of="2024-06-30")
    assert headline(energy)["committed"] == "32000000.00"
    assert headline(energy)["projects"] == "2"
    assert "Every figure below counts only the projects matching sector: Energy, as of" in energy
    assert "64.0 % of the USD 50.0 M these projects plan" in energy
    # The breakdowns count only energy's projects: its two regions, nothing of UZ-SI.
    regions = section(energy, "breakdown-region")
    assert re.findall(r'data-key="([\w-]+)"', regions) == ["KZ-61", "UZ-TK"]
    # By month, as asked: January to June 2024, and June's committed is energy's.
    rows = re.findall(r"<tr><th scope=\"row\">(2024-\d\d)</th>", energy)
    assert rows == [f"2024-0{m}" for m in range(1, 7)]
    unfiltered = page(client, story)
    assert headline(unfiltered)["committed"] == "52000000.00"
    assert "Every figure below counts only" not in unfiltered


def test_the_page_orders_slices_by_what_lags(client: Client, story: Story) -> None:
    html = page(client, story, rank="shortfall")
    sectors = section(html, "breakdown-sector")
    assert re.findall(r'data-key="([\w-]+)"', sectors) == ["energy", "agriculture", "metallurgy"]
    energy = sectors[sectors.index('data-key="energy"') :]
    shares = dict(FIGURE.findall(energy[: energy.index("</li>")]))
    assert (shares["committed-share"], shares["jobs"], shares["jobs-share"]) == (
        "0.6400",
        "60",
        "0.2400",
    )
    assert "USD 18.0 M short of plan" in energy
    by_jobs = page(client, story, rank="share", figure="jobs")
    assert re.findall(r'data-key="([\w-]+)"', section(by_jobs, "breakdown-sector")) == [
        "energy",
        "metallurgy",
        "agriculture",
    ]


def test_the_page_says_when_a_filter_names_nothing(client: Client, story: Story) -> None:
    html = page(client, story, sector="enrgy", rank="worst")
    assert "No project of this portfolio has the sector “enrgy”; every sector is shown." in html
    assert "Unknown order “worst”" in html
    assert headline(html)["committed"] == "52000000.00"
