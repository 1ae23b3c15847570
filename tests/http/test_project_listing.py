"""The project listing over HTTP: each filter narrows it, each item carries the current
state, the sort orders, paging with a small limit, and a bad cursor or parameter."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.http.catalogue import (
    ALPHA,
    BRAVO,
    CHARLIE,
    DELTA,
    ECHO,
    Catalogue,
    Client,
    catalogue,
    record,
    usd,
)
from tests.problems import assert_problem

__all__ = ["catalogue"]  # the fixture, used by name


def listing(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/projects", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def titles(client: Client, **params: Any) -> list[str]:
    return [item["title"] for item in listing(client, limit=500, **params)["items"]]


# Listing


def test_each_filter_narrows_the_list(client: Client, catalogue: Catalogue) -> None:
    mine = {"portfolio": catalogue.portfolio}
    assert titles(client) == [ALPHA, BRAVO, CHARLIE, ECHO, DELTA]
    assert titles(client, **mine) == [ALPHA, BRAVO, CHARLIE, DELTA]
    assert titles(client, portfolio=catalogue.other_portfolio) == [ECHO]
    assert titles(client, sector="metallurgy") == [BRAVO]
    assert titles(client, sector="metal") == []  # sectors match exactly
    assert titles(client, region="KZ-61", **mine) == [ALPHA, CHARLIE]
    assert titles(client, region="UZ-SA") == [CHARLIE]
    assert titles(client, region="UZ-S") == []  # a whole code, not a part of UZ-SI or UZ-SA
    assert titles(client, country="UZ") == [BRAVO, CHARLIE, DELTA]
    assert titles(client, country="KZ") == [ALPHA, CHARLIE, ECHO]
    assert titles(client, status="cancelled") == [BRAVO]
    assert titles(client, status="announced") == [ECHO, DELTA]
    assert titles(client, q="CEMENT") == [ALPHA]
    assert titles(client, q="ДЕЛЬТА") == [DELTA]  # case folded beyond ASCII, on SQLite too
    assert titles(client, q="%") == []  # wildcards are plain text
    assert titles(client, country="KZ", status="announced") == [ECHO]


def test_listed_items_carry_the_current_state(client: Client, catalogue: Catalogue) -> None:
    position = record(client, catalogue.ids[ALPHA], {"type": "milestone", "name": "Kiln lit"})
    page = listing(client, q="alpha", min_position=position)
    assert page["position"] >= position
    assert page["next_cursor"] is None
    [alpha] = page["items"]
    assert alpha == {
        "id": catalogue.ids[ALPHA],
        "portfolio_id": catalogue.portfolio,
        "title": ALPHA,
        "sector": "construction",
        "regions": ["KZ-61"],
        "countries": ["KZ"],
        "status": "under_implementation",
        "planned_investment": usd("30000000.00"),
        "planned_jobs": 300,
        "illustrative": False,
        "announced_on": "2025-01-10",
        "last_event_on": datetime.now(UTC).date().isoformat(),
        "version": 3,
    }
    [delta] = listing(client, country="UZ", sector="agriculture")["items"]
    assert delta["planned_investment"] == {"amount": "20000000000.50", "currency": "KZT"}
    assert delta["regions"] == []


def test_sort_orders(client: Client, catalogue: Catalogue) -> None:
    mine = {"portfolio": catalogue.portfolio}
    alpha_charlie = sorted([ALPHA, CHARLIE], key=catalogue.ids.__getitem__)  # ties: by id
    assert titles(client, sort="title", **mine) == [ALPHA, BRAVO, CHARLIE, DELTA]
    assert titles(client, sort="announced_on", **mine) == [BRAVO, *alpha_charlie, DELTA]
    assert titles(client, sort="last_event_on", **mine) == [DELTA, BRAVO, ALPHA, CHARLIE]
    # Currency first (KZT before USD), then the amount as a number (as text, Echo's
    # "5000000" would sort after "30000000").
    assert titles(client, sort="planned_investment") == [DELTA, ECHO, *alpha_charlie, BRAVO]
    for key in ("title", "announced_on", "last_event_on", "planned_investment"):
        assert titles(client, sort=f"-{key}") == titles(client, sort=key)[::-1], key


@pytest.mark.parametrize("sort", ["title", "-announced_on", "planned_investment"])
def test_paging_with_a_small_limit_returns_every_project_once(
    client: Client, catalogue: Catalogue, sort: str
) -> None:
    everything = [item["id"] for item in listing(client, sort=sort)["items"]]
    assert len(everything) == 5
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = listing(client, **params)
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


def test_a_bad_cursor_or_parameter_is_a_problem_naming_it(
    client: Client, catalogue: Catalogue
) -> None:
    by_title = listing(client, limit=1)["next_cursor"]
    assert by_title is not None
    forged = base64.urlsafe_b64encode(json.dumps(["title", ["x"]]).encode()).decode()
    for cursor in ("not a cursor", "e30", forged):
        assert_problem(client.get("/api/v1/projects", params={"cursor": cursor}), 422, "cursor")
    other_sort = client.get("/api/v1/projects", params={"cursor": by_title, "sort": "-title"})
    assert other_sort.status_code == 422
    assert other_sort.json()["field"] == "cursor"
    for params, name in [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"sort": "budget"}, "sort"),
        ({"status": "dormant"}, "status"),
        ({"region": "kz-61"}, "region"),
        ({"country": "KAZ"}, "country"),
        ({"portfolio": "not-a-uuid"}, "portfolio"),
    ]:
        assert_problem(client.get("/api/v1/projects", params=params), 400, name)
