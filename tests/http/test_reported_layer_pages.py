"""The demo's two layers on the portfolio page: counted apart, the reported share of every
headline figure, and the statements beside what is tracked."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from tests.http.conftest import DemoSite
from tracker.demo_record import load_public_record

Client = TestClient  # type: ignore[type-arg]

#: The tests only read the demo: it is loaded once per database for the whole module
#: (``demo_site``; on PostgreSQL that took some 25-34 s a test), and the module's tests run
#: in one xdist worker (``WORKER_GROUPS`` in tests/conftest.py).


@pytest.fixture
def client(demo_site: DemoSite) -> Client:
    return demo_site.client


@pytest.fixture
def demo(demo_site: DemoSite) -> str:
    """The demo's portfolio, once the app's read model has applied all of it."""
    return demo_site.portfolio


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def test_each_layer_counts_apart_and_the_page_says_how_much_is_reported(
    client: Client, demo: str
) -> None:
    record = load_public_record()
    both = client.get(f"/portfolios/{demo}").text
    reported = client.get(f"/portfolios/{demo}", params={"layer": "reported"}).text
    invented = client.get(f"/portfolios/{demo}", params={"layer": "illustrative"}).text
    assert int(figure(reported, "projects")) == len(record.projects)
    assert int(figure(reported, "projects")) + int(figure(invented, "projects")) == int(
        figure(both, "projects")
    )
    api = client.get(f"/api/v1/portfolios/{demo}/progress", params={"layer": "reported"}).json()
    assert figure(reported, "committed") == api["committed"]["amount"]
    assert f"Of which from public reports: {len(record.projects)} (" in both
    assert "Only from public reports" in reported and "Count every project" in reported
    # Every statement of the public record, with its source, beside the tracked figures.
    assert both.count('class="statement"') == len(record.statements)
    assert "76 documents worth more than USD 352 M" in both
    assert "Tracked for that day" in both
    # The forum's "76 documents, > USD 352 M" beside what the register itemised by then.
    assert "Announced <time" in both and "Itemised here by that day: 1," in both
    statements = client.get(f"/api/v1/portfolios/{demo}/statements").json()["items"]
    [forum] = [s for s in statements if s["count"] == 76]
    assert forum["itemised"]["documents"] == len(record.documents)
    # As of the Samarkand forum, the statements made after it are not shown.
    at_forum = client.get(f"/portfolios/{demo}", params={"as_of": "2024-10-22"}).text
    later = sum(s.day.isoformat() > "2024-10-22" for s in record.statements)
    assert at_forum.count('class="statement"') == len(record.statements) - later
    assert figure(at_forum, "projects") == "74"


def test_an_unknown_layer_is_said_on_the_page(client: Client, demo: str) -> None:
    page = client.get(f"/portfolios/{demo}", params={"layer": "rumoured"})
    assert page.status_code == 200 and "Unknown layer" in page.text  # as for other filters


def test_the_trade_indicator_stands_against_the_goal_at_any_as_of(
    client: Client, demo: str
) -> None:
    def trade(**params: str) -> dict[str, object]:
        response = client.get(f"/api/v1/portfolios/{demo}/indicators", params=params)
        assert response.status_code == 200, response.text
        [found] = [i for i in response.json()["items"] if i["name"] == "Mutual trade turnover"]
        return dict(found)

    at_forum = trade(as_of="2024-10-22")
    assert at_forum["progress_to_target"] == "0.4400"  # 2023: USD 4.4 B of USD 10 B a year
    assert len(at_forum["observations"]) == 2  # 2023, and Jan-Aug 2024 to date
    assert trade(as_of="2024-06-01")["observations"] == []  # reported at the forum
    today = trade()
    assert today["target"]["target_date"] == "2030-12-31"  # type: ignore[index]
    assert "Mutual trade turnover" in client.get(f"/portfolios/{demo}").text
