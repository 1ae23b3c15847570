"""Flags, checked by hand: disbursed above committed (in US dollars, at the rates known
then), a planned end date passed before the project runs, and no news for N days; on each
project, counted for the portfolio, and as a filter of the list, at any moment."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body
from tests.problems import assert_problem
from tests.rates import give_rates_over_http

Client = TestClient  # type: ignore[type-arg]


def announce(client: Client, portfolio_id: str, title: str, **plan: Any) -> str:
    made = client.post("/api/v1/projects", json=project_body(portfolio_id, title=title, **plan))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def record(client: Client, project: str, event: dict[str, Any]) -> int:
    made = client.post(f"/api/v1/projects/{project}/events", json=event)
    assert made.status_code == 201, made.text
    return int(made.json()["version"])


def flags(client: Client, project: str, **params: str) -> list[str]:
    shown = client.get(f"/api/v1/projects/{project}", params=params)
    assert shown.status_code == 200, shown.text
    return list(shown.json()["flags"])


@pytest.fixture
def cement(client: Client, portfolio_id: str) -> str:
    """Committed UZS 80.98 bn (USD 6,301,945.53 at 12,850 sums to the dollar), then
    disbursed USD 7 M: more than committed, though 80.98 bn is the larger number."""
    give_rates_over_http(
        client, portfolio_id, [{"currency": "UZS", "date": "2024-09-30", "units_per_usd": "12850"}]
    )
    project = announce(client, portfolio_id, "Cement", effective_date="2024-09-01")
    uzs = {"amount": "80980000000", "currency": "UZS"}
    record(client, project, {"type": "committed", "amount": uzs, "effective_date": "2024-10-01"})
    usd = {"amount": "7000000", "currency": "USD"}
    record(client, project, {"type": "disbursed", "amount": usd, "effective_date": "2024-11-01"})
    return project


def test_disbursed_above_committed_is_judged_in_dollars_at_its_moment(
    client: Client, cement: str
) -> None:
    assert flags(client, cement, as_of="2024-11-01", no_news_days="3650") == [
        "disbursed_above_committed"
    ]
    # Before the disbursement nothing was out of line.
    assert flags(client, cement, as_of="2024-10-31", no_news_days="3650") == []
    before_correction = datetime.now(UTC).isoformat()
    disbursement = 3
    record(
        client,
        cement,
        {
            "type": "corrected",
            "corrects": disbursement,
            "reason": "USD 6 M, not 7 M",
            "replacement": {"amount": {"amount": "6000000", "currency": "USD"}},
        },
    )
    assert flags(client, cement, no_news_days="3650") == []
    # As known before the correction, the flag stands.
    assert flags(client, cement, known_at=before_correction, no_news_days="3650") == [
        "disbursed_above_committed"
    ]


def test_an_amount_without_a_rate_is_not_judged(client: Client, portfolio_id: str) -> None:
    project = announce(client, portfolio_id, "No rates")
    tenge = {"amount": "1000", "currency": "KZT"}
    record(client, project, {"type": "committed", "amount": tenge})
    record(client, project, {"type": "disbursed", "amount": {"amount": "5", "currency": "USD"}})
    assert flags(client, project) == []


def test_a_planned_end_passed_flags_a_project_until_it_runs(
    client: Client, portfolio_id: str
) -> None:
    project = announce(client, portfolio_id, "Late plant", planned_end="2025-06-30")
    record(
        client,
        project,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-03-01",
        },
    )
    record(
        client,
        project,
        {"type": "status_changed", "status": "operational", "effective_date": "2025-08-01"},
    )
    assert "end_date_passed" not in flags(client, project, as_of="2025-06-30")
    assert "end_date_passed" in flags(client, project, as_of="2025-07-01")
    assert "end_date_passed" in flags(client, project, as_of="2025-07-31")
    assert "end_date_passed" not in flags(client, project, as_of="2025-08-01")


def test_no_news_counts_the_days_asked_for(client: Client, portfolio_id: str) -> None:
    project = announce(client, portfolio_id, "Silent", effective_date="2025-01-10")
    # 2025-07-09 is 180 days after the announcement: not yet more than 180.
    assert flags(client, project, as_of="2025-07-09") == []
    assert flags(client, project, as_of="2025-07-10") == ["no_news"]
    assert flags(client, project, as_of="2025-07-10", no_news_days="200") == []
    record(
        client, project, {"type": "cancelled", "reason": "dropped", "effective_date": "2025-02-01"}
    )
    assert flags(client, project, as_of="2025-07-10") == []  # closed projects need no news


@pytest.fixture
def late(client: Client, portfolio_id: str, cement: str) -> str:
    """Beside the cement plant: one project late on 2025-03-01, one not; the late one's id."""
    announce(client, portfolio_id, "On time", planned_end="2030-01-31")
    return announce(client, portfolio_id, "Late", planned_end="2025-01-31")


def test_the_portfolio_counts_its_flagged_projects_and_the_list_filters_by_flag(
    client: Client, portfolio_id: str, cement: str, late: str
) -> None:
    params = {"as_of": "2025-03-01", "no_news_days": "3650"}
    body = client.get(f"/api/v1/portfolios/{portfolio_id}/flags", params=params).json()
    assert (body["projects"], body["flagged"]) == (3, 2)
    assert body["by_flag"] == {
        "disbursed_above_committed": 1,
        "end_date_passed": 1,
        "no_news": 0,
    }
    assert [(i["title"], i["flags"]) for i in body["items"]] == [
        ("Cement", ["disbursed_above_committed"]),
        ("Late", ["end_date_passed"]),
    ]
    assert body["today"] == "2025-03-01"

    def listed(flag: str) -> set[str]:
        page = client.get(
            "/api/v1/projects", params={**params, "portfolio": portfolio_id, "flag": flag}
        )
        assert page.status_code == 200, page.text
        return {item["id"] for item in page.json()["items"]}

    assert listed("end_date_passed") == {late}
    assert listed("disbursed_above_committed") == {cement}
    assert listed("any") == {late, cement}
    assert listed("no_news") == set()


def test_an_unknown_flag_is_refused_by_name(client: Client, portfolio_id: str) -> None:
    response = client.get("/api/v1/projects", params={"flag": "late"})
    assert_problem(response, 400, field="flag")


def test_the_project_page_gives_each_amount_in_dollars_with_its_rate_and_the_flags(
    client: Client, cement: str
) -> None:
    page = client.get(f"/projects/{cement}", params={"stale_days": "3650"}).text
    assert 'data-figure="committed-UZS-usd" value="6301945.53"' in page  # 80.98 bn / 12,850
    assert 'data-figure="committed-usd" value="6301945.53"' in page
    assert 'data-figure="disbursed-usd" value="7000000.00"' in page
    assert 'UZS 12,850 per USD on <time datetime="2024-09-30">' in page
    assert 'data-flag="disbursed_above_committed"' in page
    assert "USD 7.0 M disbursed against USD 6.3 M committed" in page
    assert 'data-flag="no_news"' not in page
    # As known when only the commitment had been recorded, nothing was out of line.
    committed = client.get(f"/api/v1/projects/{cement}/events").json()["events"][1]
    params = {"known_at": committed["recorded_at"], "stale_days": "3650"}
    page = client.get(f"/projects/{cement}", params=params).text
    assert 'data-figure="committed-UZS-usd" value="6301945.53"' in page
    assert 'data-figure="disbursed' not in page and "data-flag=" not in page


def test_the_portfolio_page_counts_the_flagged_and_filters_its_table_by_flag(
    client: Client, portfolio_id: str, late: str
) -> None:
    params = {"as_of": "2025-03-01", "stale_days": "3650"}
    page = client.get(f"/portfolios/{portfolio_id}", params=params).text
    assert '<data data-figure="flagged" value="2">' in page
    assert '<data data-figure="flagged-end_date_passed" value="1">' in page
    rows = re.findall(r'<tr data-project-id="([\w-]+)">', page)
    assert len(rows) == 3
    only = client.get(f"/portfolios/{portfolio_id}", params={**params, "flag": "end_date_passed"})
    assert re.findall(r'<tr data-project-id="([\w-]+)">', only.text) == [late]
    assert "project matches the filters" in only.text
    unknown = client.get(f"/portfolios/{portfolio_id}", params={**params, "flag": "bogus"})
    assert "Unknown flag “bogus”" in unknown.text
    assert len(re.findall(r'<tr data-project-id="([\w-]+)">', unknown.text)) == 3
