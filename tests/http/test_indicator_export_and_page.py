"""Indicators where they are shown over HTTP: the portfolio's JSON export carries them as
known then, and the portfolio page shows a card and a chart per indicator at its moment."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.http.trade_indicator import (
    API,
    SAMARKAND,
    YEAR_2023,
    Client,
    define_trade,
    now,
    post,
    record_trade,
    usd,
)


def test_the_json_export_carries_the_indicators_as_known_then(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    record_trade(client, indicator)
    before_fix = now()
    post(
        client,
        f"/indicators/{indicator}/corrections",
        {"period": YEAR_2023, "value": usd("4410000000.50"), "reason": "final customs"},
    )

    def exported(**params: str) -> dict[str, Any]:
        response = client.get(
            f"{API}/portfolios/{portfolio_id}/export", params={"format": "json", **params}
        )
        assert response.status_code == 200, response.text
        [only] = response.json()["indicators"]
        return dict(only)

    current = exported()
    assert (current["id"], current["name"], current["currency"]) == (
        indicator,
        "Mutual trade turnover",
        "USD",
    )
    first = current["observations"][0]
    assert first["period"] == YEAR_2023 and first["value"] == usd("4410000000.50")
    assert first["correction_reason"] == "final customs" and first["source"] == SAMARKAND
    assert first["effective_date"] == "2024-02-15" and first["actor"] == "test-admin"
    [goal] = current["targets"]
    assert goal["value"] == usd("10000000000") and goal["per"] == "year"
    assert [e["type"] for e in current["events"]][-1] == "observation_corrected"

    then = exported(known_at=before_fix)
    assert then["observations"][0]["value"] == usd("4400000000")
    assert then["observations"][0]["correction_reason"] is None
    assert len(then["events"]) == 4
    early = exported(as_of="2024-06-30")
    assert [o["period"]["kind"] for o in early["observations"]] == ["year"]
    assert early["targets"] == []


FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')


def test_the_portfolio_page_shows_a_card_and_a_chart_per_indicator_at_its_moment(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    record_trade(client, indicator)
    before_fix = now()
    post(
        client,
        f"/indicators/{indicator}/corrections",
        {"period": YEAR_2023, "value": usd("4410000000.50"), "reason": "final customs"},
    )

    def card(**params: str) -> tuple[dict[str, str], str]:
        response = client.get(f"/portfolios/{portfolio_id}", params=params)
        assert response.status_code == 200, response.text
        page = unescape(response.text)
        start = page.index(f'id="indicator-{indicator}"')
        part = page[start : page.index("</article>", start)]
        key = f"indicator-{indicator}"
        found = {k.replace(key, "card"): v for k, v in FIGURE.findall(part)}
        return found, part

    now_, part = card()
    assert now_ == {
        "card": "4410000000.50",
        "card-period": "2023",
        "card-ratio": "0.4410",
        "card-target": "10000000000.00",
    }
    assert "USD 10.00 bn" in part and "31 Dec 2030" in part and "Joint statement" in part
    assert 'href="https://astanatimes.com/2024/10/"' in part
    assert '<svg class="chart"' in part and "Target: USD 10.00 bn by 31 Dec 2030" in part

    # Known before the correction: the figure then.
    assert card(known_at=before_fix)[0]["card"] == "4400000000.00"
    # As of a day before the goal was stated: no target, so the latest period of any kind.
    then, part = card(as_of="2025-06-30")
    assert then == {"card": "2500000000.00", "card-period": "2024-01-01 to 2024-08-31"}
    assert "No target stated by then" in part
    # Before anything was published.
    nothing, part = card(as_of="2024-01-31")
    assert nothing == {} and "No value observed by then" in part
