"""What changed between two moments, in a scenario small enough to check by hand.

Two projects convert with one rate set (UZS 10,000 per USD). Known at ``before``: project A
(USD 500,000 planned) committed USD 200,000 on 1 March 2024; project B (UZS 1 bn planned,
USD 100,000) committed UZS 500 M (USD 50,000) the same day. Then A disburses USD 50,000 on
1 April and its commitment is corrected to USD 250,000; the UZS rate is corrected to 12,500
(B's commitment becomes USD 40,000 and its plan USD 80,000); B creates 10 permanent jobs; a
milestone is reached (it changes no figure). Known at ``after``:

- committed 250,000 → 290,000: +40,000 = A +50,000, the rate move −10,000;
- disbursed 0 → 50,000: A +50,000;
- pledged 600,000 → 580,000: −20,000, all the rate move;
- jobs 0 → 10 permanent: B +10;
- the events recorded between: the disbursement, the correction, the rate correction, the
  jobs and the milestone, newest first (the milestone changes no figure, but is listed).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body
from tests.problems import assert_problem
from tests.rates import give_rates_over_http

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"


def moment() -> str:
    """Now, then a pause, so that what is recorded next is recorded after this moment."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.02)
    return now


def post(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def money(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def changes(client: Client, portfolio_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/portfolios/{portfolio_id}/changes", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def figure(body: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [f for f in body["figures"] if f["figure"] == name and not f["unconverted"]]
    return found


def contributions(found: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    return {
        (c["cause"]["kind"], c["cause"]["project_title"]): c["amount"]
        for c in found["contributions"]
    }


def adds_up(found: dict[str, Any]) -> bool:
    total = sum((Decimal(c["amount"]) for c in found["contributions"]), Decimal(0))
    return total == Decimal(found["difference"]) == Decimal(found["end"]) - Decimal(found["start"])


@pytest.fixture
def scenario(client: Client, portfolio_id: str) -> dict[str, Any]:
    rate_set = give_rates_over_http(
        client, portfolio_id, [{"date": "2024-01-01", "currency": "UZS", "units_per_usd": "10000"}]
    )
    plan_a = project_body(
        portfolio_id, title="Copper plant A", planned_investment=money("500000.00")
    )
    plan_b = project_body(
        portfolio_id, title="Textile plant B", planned_investment=money("1000000000", "UZS")
    )
    a = post(client, "/projects", {**plan_a, "effective_date": "2024-02-01"})["id"]
    b = post(client, "/projects", {**plan_b, "effective_date": "2024-02-01"})["id"]
    committed = {"type": "committed", "effective_date": "2024-03-01"}
    post(client, f"/projects/{a}/events", {**committed, "amount": money("200000.00")})
    post(client, f"/projects/{b}/events", {**committed, "amount": money("500000000", "UZS")})
    before = moment()
    disbursed = {"type": "disbursed", "amount": money("50000.00"), "effective_date": "2024-04-01"}
    post(client, f"/projects/{a}/events", disbursed)
    correction = {
        "type": "corrected",
        "corrects": 2,
        "reason": "bank statement",
        "replacement": {"amount": money("250000.00")},
    }
    post(client, f"/projects/{a}/events", correction)
    post(
        client,
        f"/rate-sets/{rate_set}/corrections",
        {"date": "2024-01-01", "currency": "UZS", "units_per_usd": "12500", "reason": "typo"},
    )
    jobs = {"type": "jobs_created", "permanent": 10, "temporary": 0, "effective_date": "2024-04-15"}
    post(client, f"/projects/{b}/events", jobs)
    milestone = {"type": "milestone", "name": "Foundation laid", "effective_date": "2024-04-20"}
    last = post(client, f"/projects/{a}/events", milestone)
    return {
        "portfolio": portfolio_id,
        "before": before,
        "after": moment(),
        "last": last,
        "b": b,
    }


def test_changes_between_two_known_at_moments_are_explained_and_add_up(
    client: Client, scenario: dict[str, Any]
) -> None:
    body = changes(
        client, scenario["portfolio"], known_from=scenario["before"], known_to=scenario["after"]
    )
    committed = figure(body, "committed")
    assert (committed["start"], committed["end"], committed["difference"]) == (
        "250000.00",
        "290000.00",
        "40000.00",
    )
    assert contributions(committed) == {
        ("project", "Copper plant A"): "50000.00",
        ("rates", None): "-10000.00",
    }
    [rate_move] = [c for c in committed["contributions"] if c["cause"]["kind"] == "rates"]
    [move] = rate_move["cause"]["rates"]
    assert (move["currency"], move["start"]["units_per_usd"], move["end"]["units_per_usd"]) == (
        "UZS",
        "10000.00",
        "12500.00",
    )
    assert contributions(figure(body, "disbursed")) == {("project", "Copper plant A"): "50000.00"}
    pledged = figure(body, "pledged")
    assert (pledged["start"], pledged["end"]) == ("600000.00", "580000.00")
    assert contributions(pledged) == {("rates", None): "-20000.00"}
    jobs = figure(body, "jobs_permanent")
    assert (jobs["start"], jobs["end"], jobs["difference"]) == ("0", "10", "10")
    assert contributions(jobs) == {("project", "Textile plant B"): "10"}
    assert all(adds_up(f) for f in body["figures"])
    unchanged = figure(body, "projects")
    assert (unchanged["start"], unchanged["end"], unchanged["contributions"]) == ("2", "2", [])

    # The events recorded in between, newest first, each with its project and summary.
    assert [e["type"] for e in body["events"]] == [
        "milestone",
        "jobs_created",
        "rate_corrected",
        "corrected",
        "disbursed",
    ]
    milestone, jobs_event, rate_event, correction, disbursement = body["events"]
    assert milestone["project_title"] == "Copper plant A"
    assert milestone["position"] == scenario["last"]["position"]
    assert jobs_event["project_title"] == "Textile plant B"
    assert rate_event["aggregate_type"] == "rate_set" and rate_event["project_id"] is None
    assert correction["summary"] == "Corrected event 2: amount USD 250,000.00 (bank statement)"
    assert disbursement["summary"] == "Disbursed USD 50,000.00"
    assert disbursement["actor"] == "test-admin"
    # The project's contribution names its events by position.
    [a_committed] = [c for c in committed["contributions"] if c["cause"]["kind"] == "project"]
    assert a_committed["cause"]["positions"] == [correction["position"]]
    assert body["next_cursor"] is None

    # The figures at each end are the progress report's, read apart.
    for end, known_at in (("start", scenario["before"]), ("end", scenario["after"])):
        report = client.get(
            f"{API}/portfolios/{scenario['portfolio']}/progress", params={"known_at": known_at}
        ).json()
        assert figure(body, "committed")[end] == report["committed"]["amount"]
        assert figure(body, "pledged")[end] == report["pledged"]["amount"]


def test_filters_narrow_both_moments_and_a_project_that_moved_in_is_its_own_cause(
    client: Client, scenario: dict[str, Any]
) -> None:
    """B is agreed on 25 April 2024: as of the 21st it counts among the announced projects,
    as of the 30th among the agreed ones; all it counts moves with it, credited to it."""
    status = post(
        client,
        f"/projects/{scenario['b']}/events",
        {"type": "status_changed", "status": "agreed", "effective_date": "2024-04-25"},
    )
    days = {"as_of_from": "2024-04-21", "as_of_to": "2024-04-30"}
    agreed = changes(client, scenario["portfolio"], status="agreed", **days)
    assert agreed["filters"]["status"] == "agreed"
    committed = figure(agreed, "committed")
    # UZS 500 M at 12,500: USD 40,000, and B's plan UZS 1 bn: USD 80,000.
    assert (committed["start"], committed["end"]) == ("0.00", "40000.00")
    assert contributions(committed) == {("project", "Textile plant B"): "40000.00"}
    [moved_in] = committed["contributions"]
    assert status["position"] in moved_in["cause"]["positions"]
    assert contributions(figure(agreed, "pledged")) == {("project", "Textile plant B"): "80000.00"}
    assert contributions(figure(agreed, "jobs_permanent")) == {("project", "Textile plant B"): "10"}
    assert (figure(agreed, "projects")["start"], figure(agreed, "projects")["end"]) == ("0", "1")
    # The compare view with the same filter shows the API's strings, and keeps the filter.
    page = client.get(
        f"/portfolios/{scenario['portfolio']}/compare", params={"status": "agreed", **days}
    )
    assert page.status_code == 200, page.text
    for end in ("start", "end", "difference"):
        assert f'data-figure="committed-{end}" value="{committed[end]}"' in page.text, end
    assert '<input type="hidden" name="status" value="agreed">' in page.text
    assert "changes?as_of_from=2024-04-21&amp;as_of_to=2024-04-30&amp;status=agreed" in page.text
    # Among the announced ones B leaves: A's 250,000 stays, B's 40,000 leaves.
    announced = changes(client, scenario["portfolio"], status="announced", **days)
    committed = figure(announced, "committed")
    assert (committed["start"], committed["end"]) == ("290000.00", "250000.00")
    assert contributions(committed) == {("project", "Textile plant B"): "-40000.00"}
    for body in (agreed, announced):
        assert all(adds_up(f) for f in body["figures"])
        # Each end is the progress report with the same filter at that day.
        for end, as_of in (("start", "2024-04-21"), ("end", "2024-04-30")):
            report = client.get(
                f"{API}/portfolios/{scenario['portfolio']}/progress",
                params={"as_of": as_of, "status": body["filters"]["status"]},
            ).json()
            assert figure(body, "committed")[end] == report["committed"]["amount"]
            assert figure(body, "projects")[end] == str(report["projects"])
    assert_problem(
        client.get(
            f"{API}/portfolios/{scenario['portfolio']}/changes?as_of_from=2024-04-21&flag=late"
        ),
        400,
        "flag",
    )


def test_events_are_paged_newest_first(client: Client, scenario: dict[str, Any]) -> None:
    params = {"known_from": scenario["before"], "limit": 3}
    first = changes(client, scenario["portfolio"], **params)
    assert [e["type"] for e in first["events"]] == ["milestone", "jobs_created", "rate_corrected"]
    second = changes(client, scenario["portfolio"], **params, cursor=first["next_cursor"])
    assert [e["type"] for e in second["events"]] == ["corrected", "disbursed"]
    assert second["next_cursor"] is None
    # Without known_to the end is now: the same figures as with the moment after.
    assert (
        first["figures"]
        == changes(
            client, scenario["portfolio"], known_from=scenario["before"], known_to=scenario["after"]
        )["figures"]
    )


def test_changes_between_two_days_as_known_now(client: Client, scenario: dict[str, Any]) -> None:
    body = changes(client, scenario["portfolio"], as_of_from="2024-03-15", as_of_to="2024-04-30")
    assert contributions(figure(body, "disbursed")) == {("project", "Copper plant A"): "50000.00"}
    assert figure(body, "committed")["difference"] == "0.00"
    assert contributions(figure(body, "jobs_permanent")) == {("project", "Textile plant B"): "10"}
    assert body["events"] == [] and body["end"]["known_at"] is None
    # Both axes at once: the rate move is back, and the disbursement.
    both = changes(
        client,
        scenario["portfolio"],
        known_from=scenario["before"],
        as_of_from="2024-03-15",
        as_of_to="2024-04-30",
    )
    assert contributions(figure(both, "committed")) == {
        ("project", "Copper plant A"): "50000.00",
        ("rates", None): "-10000.00",
    }
    assert all(adds_up(f) for f in both["figures"])


def test_few_contributions_listed_sum_the_rest_into_others(
    client: Client, scenario: dict[str, Any]
) -> None:
    body = changes(client, scenario["portfolio"], known_from=scenario["before"], contributions=1)
    committed = figure(body, "committed")
    assert [c["cause"]["kind"] for c in committed["contributions"]] == ["project", "others"]
    assert committed["contributions"][1]["cause"]["count"] == 1
    assert adds_up(committed)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "known_from"),
        ({"known_to": "2024-01-01T00:00:00Z"}, "known_from"),
        ({"as_of_to": "2024-01-01"}, "as_of_from"),
        ({"known_from": "2024-02-01T00:00:00Z", "known_to": "2024-01-01T00:00:00Z"}, "known_to"),
        ({"as_of_from": "2024-02-01", "as_of_to": "2024-01-01"}, "as_of_to"),
        ({"known_from": "yesterday"}, "known_from"),
        ({"known_from": "2024-01-01"}, "known_from"),  # a day is not a moment: as_of_from is
        ({"known_from": "1800-01-01T00:00:00Z"}, "known_from"),
        ({"as_of_from": "2024-01-01", "cursor": "nonsense"}, None),  # no events listed
        ({"known_from": "2024-01-01T00:00:00Z", "cursor": "nonsense"}, "cursor"),  # 422
    ],
)
def test_bad_combinations_are_refused_naming_the_field(
    client: Client, portfolio_id: str, params: dict[str, str], field: str | None
) -> None:
    response = client.get(f"{API}/portfolios/{portfolio_id}/changes", params=params)
    if field is None:
        assert response.status_code == 200, response.text
    else:
        assert_problem(response, 422 if field == "cursor" else 400, field)


def test_a_future_end_is_refused(client: Client, portfolio_id: str) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    response = client.get(
        f"{API}/portfolios/{portfolio_id}/changes",
        params={"known_from": "2024-01-01T00:00:00Z", "known_to": later},
    )
    assert_problem(response, 400, "known_to")


def test_the_compare_page_shows_the_apis_figures_and_explains_a_bad_moment(
    client: Client, scenario: dict[str, Any]
) -> None:
    """The dashboard's compare view, as HTML: the same strings as the API, on both databases."""
    portfolio = scenario["portfolio"]
    known_from = scenario["before"].replace("Z", "")
    page = client.get(f"/portfolios/{portfolio}/compare", params={"known_from": known_from})
    assert page.status_code == 200, page.text
    body = changes(client, portfolio, known_from=scenario["before"])
    for name in ("committed", "disbursed", "pledged"):
        found = figure(body, name)
        for end in ("start", "end", "difference"):
            assert f'data-figure="{name}-{end}" value="{found[end]}"' in page.text, (name, end)
    assert "Copper plant A" in page.text and "Exchange rates: UZS" in page.text
    wrong = client.get(
        f"/portfolios/{portfolio}/compare",
        params={"as_of_from": "2025-02-01", "as_of_to": "2025-01-01"},
    )
    assert wrong.status_code == 400 and "as_of_to" in wrong.text
    assert wrong.headers["content-type"].startswith("text/html")
    # The portfolio page lists what was recorded in the last 30 days, newest first.
    portfolio_page = client.get(f"/portfolios/{portfolio}").text
    activity = portfolio_page[portfolio_page.index('id="activity"') :]
    assert activity.index("Jobs created") < activity.index("Funds disbursed")
    # The milestone too (it changes no figure, but was recorded in those days).
    assert activity.index("Foundation laid") < activity.index("Jobs created")


def activity_of(client: Client, portfolio_id: str, **params: str) -> str:
    page = client.get(f"/portfolios/{portfolio_id}", params=params)
    assert page.status_code == 200, page.text
    section = page.text[page.text.index('id="activity"') :]
    return section[: section.index("</section>")]


def test_the_30_day_list_follows_all_the_pages_filters(
    client: Client, scenario: dict[str, Any]
) -> None:
    """B is agreed, then disburses UZS 600 M of its 500 M committed (flagged). Filtered by
    status or flag, the list names only B's events (and the portfolio's own rate correction);
    A's disbursement and milestone are not among them, and come back for A's status."""
    portfolio, b = scenario["portfolio"], scenario["b"]
    post(
        client,
        f"/projects/{b}/events",
        {"type": "status_changed", "status": "agreed", "effective_date": "2024-04-25"},
    )
    above = {
        "type": "disbursed",
        "amount": money("600000000", "UZS"),
        "effective_date": "2024-05-01",
    }
    post(client, f"/projects/{b}/events", above)
    everything = activity_of(client, portfolio)
    assert everything.count("Copper plant A") > 0 and everything.count("Textile plant B") > 0
    assert "Foundation laid" in everything
    for narrowed in (
        {"status": "agreed"},
        {"flag": "disbursed_above_committed"},
        {"flag": "any", "status": "agreed"},
    ):
        listed = activity_of(client, portfolio, **narrowed)
        assert "Copper plant A" not in listed and "Foundation laid" not in listed, narrowed
        assert "Jobs created" in listed and "Textile plant B" in listed, narrowed
        assert "Rate corrected" in listed, narrowed  # the portfolio's own event
    announced = activity_of(client, portfolio, status="announced")
    assert "Foundation laid" in announced and "Copper plant A" in announced
    assert "Textile plant B" not in announced and "Jobs created" not in announced
    # No project carries this flag: only the portfolio's own events are left.
    late = activity_of(client, portfolio, flag="end_date_passed")
    assert "Rate corrected" in late
    assert "Copper plant A" not in late and "Textile plant B" not in late
