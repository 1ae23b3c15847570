"""Stale projects over HTTP: only open projects silent beyond the threshold, per portfolio."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tests.http.catalogue import ALPHA, DELTA, ECHO, Catalogue, Client, catalogue
from tests.problems import assert_problem
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS

__all__ = ["catalogue"]  # the fixture, used by name


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
