"""The demo's two layers on the portfolio page: counted apart, the reported share of every
headline figure, and the statements beside what is tracked."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient

from api.app import create_app
from tests.databases import MigrationScript, copy_sqlite, migrated_postgres
from tests.http.conftest import make_key
from tracker.application import TrackerApplication
from tracker.demo import load_demo
from tracker.demo_record import load_public_record
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]

#: The tests only read the demo: it is loaded once per database for the whole module (on
#: PostgreSQL that took some 20-36 s a test), and the module's tests run in one xdist worker.
pytestmark = pytest.mark.xdist_group("reported_layer_pages")


@dataclass(frozen=True)
class Demo:
    """A running app (admin client) on a database holding the demo, read model caught up."""

    client: Client
    portfolio: str


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The demo on a migrated database of each kind (as the ``settings`` fixture makes one),
    served by the app."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("reported") / "tracker.db"
        copy_sqlite(request.getfixturevalue("migrated_sqlite"), path)
        yield from serve_the_demo(Settings(database_url=f"sqlite:///{path}", snapshot_interval=5))
        return
    url: str = request.getfixturevalue("postgres_url")
    script: MigrationScript = request.getfixturevalue("migration_script")
    with migrated_postgres(url, script, prefix="t_") as schema:
        yield from serve_the_demo(
            Settings(database_url=url, db_schema=schema, snapshot_interval=5, pool_size=10)
        )


def serve_the_demo(settings: Settings) -> Iterator[Demo]:
    """As before the module shared it: the app runs, the demo is loaded beside it, and its
    read model is waited for."""
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'test-admin', Role.ADMIN)}"
        tracker = TrackerApplication(settings)
        try:
            portfolio = str(load_demo(tracker, datetime.now(UTC)).portfolio_id)
            head = tracker.recorder.max_notification_id()
        finally:
            tracker.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress = client.get(
                f"/api/v1/portfolios/{portfolio}/progress", params={"min_position": str(head)}
            )
            if progress.status_code == 200 and progress.json()["position"] >= head:
                break
        else:
            raise AssertionError(f"the read model did not reach position {head}")
        yield Demo(client, portfolio)


@pytest.fixture
def client(site: Demo) -> Client:
    return site.client


@pytest.fixture
def demo(site: Demo) -> str:
    """The demo's portfolio, once the app's read model has applied all of it."""
    return site.portfolio


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
