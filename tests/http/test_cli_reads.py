"""Finding things: ``GET /api/v1/portfolios`` and ``tracker portfolios list``, errors that
list the choices, RFC 3339 ``--known-at``, and the CLI's ``--json`` equal to the API's body."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from api.cli import main
from tests.http.conftest import project_body
from tests.problems import assert_problem
from tests.rates import give_rates_over_http
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]


def tracker_cli(settings: Settings, *args: str) -> Result:
    env = {"TRACKER_DATABASE_URL": settings.database_url, "TRACKER_DB_SCHEMA": settings.db_schema}
    return CliRunner().invoke(main, list(args), env=env)


def establish(client: Client, name: str, established_on: str) -> str:
    body = {"name": name, "forum": f"{name} forum", "established_on": established_on}
    response = client.post("/api/v1/portfolios", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def get(client: Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_portfolios_are_listed_in_pages_at_any_moment(client: Client, settings: Settings) -> None:
    late = establish(client, "Late", "2025-03-01")
    early = establish(client, "Early", "2023-05-01")
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    middle = establish(client, "Middle", "2024-10-22")

    first = get(client, "/api/v1/portfolios", limit=2)
    assert [i["id"] for i in first["items"]] == [early, middle]
    assert first["items"][0]["name"] == "Early" and first["items"][0]["forum"] == "Early forum"
    second = get(client, "/api/v1/portfolios", limit=2, cursor=first["next_cursor"])
    assert [i["id"] for i in second["items"]] == [late] and second["next_cursor"] is None

    as_of = get(client, "/api/v1/portfolios", as_of="2024-12-31")
    assert [i["id"] for i in as_of["items"]] == [early, middle]
    known = get(client, "/api/v1/portfolios", known_at=between.isoformat())
    assert [i["id"] for i in known["items"]] == [early, late]

    bad = client.get("/api/v1/portfolios", params={"cursor": "nonsense"})
    assert_problem(bad, 422, "cursor")
    assert_problem(client.get("/api/v1/portfolios", params={"limit": 0}), 400)

    listed = tracker_cli(settings, "portfolios", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == get(client, "/api/v1/portfolios")
    table = tracker_cli(settings, "portfolios", "list")
    assert table.exit_code == 0, table.output
    for portfolio_id, name in ((early, "Early"), (middle, "Middle"), (late, "Late")):
        assert portfolio_id in table.output and name in table.output
    then = tracker_cli(settings, "portfolios", "list", "--json", "--known-at", between.isoformat())
    assert [i["id"] for i in json.loads(then.output)["items"]] == [early, late]


def test_a_report_that_needs_a_choice_lists_the_choices(client: Client, settings: Settings) -> None:
    empty = tracker_cli(settings, "report")
    assert empty.exit_code == 2 and "no portfolio yet" in empty.output
    first = establish(client, "Kazakhstan–Uzbekistan", "2024-10-22")
    second = establish(client, "Uzbekistan–Tajikistan", "2025-01-15")
    asked = tracker_cli(settings, "report")
    assert asked.exit_code == 2, asked.output
    assert "2 portfolios; choose one with --portfolio" in asked.output
    for portfolio_id, name in ((first, "Kazakhstan–Uzbekistan"), (second, "Uzbekistan–Tajikistan")):
        assert f"{portfolio_id}  {name}" in asked.output
    russian = tracker_cli(settings, "--lang", "ru", "report")
    assert "2 портфеля; выберите один с помощью --portfolio" in russian.output
    assert f"{first}  Kazakhstan–Uzbekistan" in russian.output


def test_the_tables_speak_the_readers_language(
    client: Client, settings: Settings, portfolio_with_figures: str
) -> None:
    portfolio = portfolio_with_figures
    for lang, words in (
        ("ru", ["обязательства", "без пересчёта", "1 500 000 000,50"]),
        ("kk", ["міндеттемелер", "қайта есептелмеген"]),
        ("uz", ["majburiyatlar", "konvertatsiya qilinmagan"]),
        ("en", ["committed", "unconverted", "1,500,000,000.50"]),
    ):
        shown = tracker_cli(settings, "--lang", lang, "report", "--portfolio", portfolio)
        assert shown.exit_code == 0, shown.output
        for word in words:
            assert word in shown.output.replace("\u00a0", " ").replace("\u202f", " "), (lang, word)
        by_sector = tracker_cli(
            settings, "--lang", lang, "report", "--portfolio", portfolio, "--by", "sector"
        )
        assert by_sector.exit_code == 0 and "metallurgy" in by_sector.output


@pytest.fixture
def portfolio_with_figures(client: Client) -> str:
    """Amounts in USD, in KZT converted at a rate with many digits, and in RUB left
    unconverted: the figures whose encoding differed between the CLI and the API."""
    portfolio = establish(client, "KZ–UZ", "2024-10-22")
    give_rates_over_http(
        client,
        portfolio,
        [
            {"currency": "KZT", "date": "2024-10-01", "units_per_usd": "483.270001"},
            {"currency": "KZT", "date": "2025-01-01", "units_per_usd": "523.541"},
        ],
    )
    projects = []
    for title, sector, money in (
        ("Copper plant", "metallurgy", {"amount": "50000000.00", "currency": "USD"}),
        ("Grain hub", "agriculture", {"amount": "956200000000", "currency": "KZT"}),
        ("Bus works", "machinery", {"amount": "1500000000.50", "currency": "RUB"}),
    ):
        body = project_body(portfolio, title=title, sector=sector, planned_investment=money)
        made = client.post("/api/v1/projects", json=body)
        assert made.status_code == 201, made.text
        projects.append((made.json()["id"], money))
    for project, money in projects:
        recorded = client.post(
            f"/api/v1/projects/{project}/events",
            json={"type": "committed", "amount": money, "effective_date": "2025-02-10"},
        )
        assert recorded.status_code == 201, recorded.text
    return portfolio


@pytest.mark.parametrize(
    ("report", "params", "options"),
    [
        ("progress", {}, []),
        ("breakdown", {"by": "sector"}, ["--by", "sector"]),
        ("timeline", {"interval": "quarter"}, ["--timeline", "quarter"]),
    ],
)
def test_the_cli_json_is_the_api_body(
    client: Client,
    settings: Settings,
    portfolio_with_figures: str,
    report: str,
    params: dict[str, str],
    options: list[str],
) -> None:
    portfolio = portfolio_with_figures
    moment = datetime.now(timezone(timedelta(hours=5))).isoformat(timespec="microseconds")
    for moment_params, moment_options in (
        ({}, []),
        (
            {"known_at": moment, "as_of": "2025-06-30"},
            ["--known-at", moment, "--as-of", "2025-06-30"],
        ),
        (  # silent since 10 February: every project is flagged by 30 June
            {"flag": "no_news", "no_news_days": "30", "as_of": "2025-06-30"},
            ["--flag", "no_news", "--no-news-days", "30", "--as-of", "2025-06-30"],
        ),
    ):
        path = f"/api/v1/portfolios/{portfolio}/{report}"
        api = get(client, path, **params, **moment_params)
        cli = tracker_cli(
            settings, "report", "--portfolio", portfolio, "--json", *options, *moment_options
        )
        assert cli.exit_code == 0, cli.output
        assert json.loads(cli.output) == api
        assert "unconverted" in cli.output


def test_report_known_at_reads_rfc3339_as_the_api_does(
    client: Client, settings: Settings, portfolio_with_figures: str
) -> None:
    portfolio = portfolio_with_figures
    now = datetime.now(UTC)
    for written in (
        now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        now.astimezone().isoformat(),
        now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00",
        (now - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S") + ".123456789Z",
    ):
        result = tracker_cli(settings, "report", "--portfolio", portfolio, "--known-at", written)
        assert result.exit_code == 0, (written, result.output)
        assert "committed" in result.output
    for nonsense in ("0.5", "2024-13-01T00:00:00Z", "yesterday"):
        refused = tracker_cli(settings, "report", "--portfolio", portfolio, "--known-at", nonsense)
        assert refused.exit_code == 2, (nonsense, refused.output)
        assert "RFC 3339" in refused.output
        api = client.get(f"/api/v1/portfolios/{portfolio}/progress", params={"known_at": nonsense})
        assert_problem(api, 400)
    future = (now + timedelta(days=1)).isoformat()
    ahead = tracker_cli(settings, "report", "--portfolio", portfolio, "--known-at", future)
    assert ahead.exit_code == 2 and "in the future" in ahead.output
