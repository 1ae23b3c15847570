"""The trade indicator of the indicator tests, over HTTP: defined on a portfolio, its reported
figures (2023, Jan–Aug 2024) and its USD 10 B annual goal, and how the tests read it back."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"
YEAR_2023 = {"start": "2023-01-01", "end": "2023-12-31", "kind": "year"}
JAN_AUG_2024 = {"start": "2024-01-01", "end": "2024-08-31", "kind": "to_date"}
SAMARKAND = {"title": "Astana Times, 22 Oct 2024", "url": "https://astanatimes.com/2024/10/"}


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def now() -> str:
    """A moment strictly between the write before and the write after."""
    time.sleep(0.002)
    moment = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.002)
    return moment


def post(client: Client, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == status, response.text
    return dict(response.json())


def define_trade(client: Client, portfolio_id: str) -> str:
    body = {"name": "Mutual trade turnover", "currency": "USD", "effective_date": "2024-10-22"}
    return str(post(client, f"/portfolios/{portfolio_id}/indicators", body)["id"])


def record_trade(client: Client, indicator: str) -> None:
    """The reported figures: 2023 (published 15 Feb 2024), Jan–Aug 2024 (at Samarkand),
    and the USD 10 B annual goal by 2030 stated on 15 Nov 2025."""
    observe = f"/indicators/{indicator}/observations"
    post(
        client,
        observe,
        {
            "period": YEAR_2023,
            "value": usd("4400000000"),
            "effective_date": "2024-02-15",
            "source": SAMARKAND,
        },
    )
    post(
        client,
        observe,
        {
            "period": JAN_AUG_2024,
            "value": usd("2500000000"),
            "effective_date": "2024-10-22",
            "source": SAMARKAND,
        },
    )
    goal = {
        "value": usd("10000000000"),
        "target_date": "2030-12-31",
        "per": "year",
        "effective_date": "2025-11-15",
        "source": {"title": "Joint statement"},
    }
    post(client, f"/indicators/{indicator}/targets", goal)


def listed(client: Client, portfolio_id: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/portfolios/{portfolio_id}/indicators", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def shown(client: Client, indicator: str, **params: str) -> dict[str, Any]:
    response = client.get(f"{API}/indicators/{indicator}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json()["indicator"])


def periods(indicator: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["period"]["label"], o["value"]["amount"]) for o in indicator["observations"]]
