"""The headline says what it counts: the project target is a target, not the portfolio's
size; cancelled projects and temporary jobs are named when they are counted."""

from __future__ import annotations

import re
from html import unescape

from litestar.testing import TestClient

from tests.http.conftest import project_body

Client = TestClient  # type: ignore[type-arg]


def card(page: str, key: str) -> str:
    """The text of one headline card, tags removed."""
    start = page.index(f'id="card-{key}"')
    html = page[start : page.index("</article>", start)]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def targets(client: Client, portfolio_id: str) -> None:
    body = {"investment": {"amount": "3400000000", "currency": "USD"}, "jobs": 14600}
    made = client.post(f"/api/v1/portfolios/{portfolio_id}/targets", json={**body, "projects": 74})
    assert made.status_code == 201, made.text


def announce(client: Client, portfolio_id: str, title: str) -> str:
    made = client.post("/api/v1/projects", json=project_body(portfolio_id, title=title))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def record(client: Client, project: str, event: dict[str, object]) -> None:
    made = client.post(f"/api/v1/projects/{project}/events", json=event)
    assert made.status_code == 201, made.text


def test_one_project_against_a_target_of_74_is_not_called_74_in_the_portfolio(
    client: Client, portfolio_id: str
) -> None:
    targets(client, portfolio_id)
    announce(client, portfolio_id, "Only one")
    page = client.get(f"/portfolios/{portfolio_id}").text
    projects = card(page, "projects")
    assert "1.4 % of the 74 projects targeted" in projects
    assert "in the portfolio" not in projects
    assert "cancelled" not in projects  # nothing cancelled, nothing to say


def test_cancelled_projects_are_said_to_be_counted(client: Client, portfolio_id: str) -> None:
    targets(client, portfolio_id)
    kept = announce(client, portfolio_id, "Kept")
    dropped = announce(client, portfolio_id, "Dropped")
    record(client, dropped, {"type": "cancelled", "reason": "investor withdrew"})
    record(client, kept, {"type": "jobs_created", "permanent": 30, "temporary": 70})
    page = client.get(f"/portfolios/{portfolio_id}").text
    projects = card(page, "projects")
    assert "2.7 % of the 74 projects targeted" in projects
    assert "1 cancelled one included; 1 is not cancelled" in projects
    jobs = card(page, "jobs")
    assert "of the 14,600 jobs targeted, temporary jobs counted" in jobs
    assert "Temporary jobs are counted: 70 of the 100" in jobs
    assert "Permanent jobs alone: 30 (0.2 % of the target)" in jobs


def test_target_sources_are_links_wherever_targets_are_named(
    client: Client, portfolio_id: str
) -> None:
    source = {"title": "Forum communiqué", "url": "https://example.org/communique"}
    body = {"investment": {"amount": "3400000000", "currency": "USD"}, "jobs": 14600}
    for day in ("2024-01-01", "2025-01-01"):
        made = client.post(
            f"/api/v1/portfolios/{portfolio_id}/targets",
            json={**body, "projects": 74, "effective_date": day, "source": source},
        )
        assert made.status_code == 201, made.text
    announce(client, portfolio_id, "Only one")
    page = client.get(f"/portfolios/{portfolio_id}").text
    link = '<a href="https://example.org/communique" rel="noopener noreferrer nofollow"'
    targets = page[page.index('id="targets-source"') :]
    assert link in targets[: targets.index("</p>")]
    restatements = page[page.index('class="restatements"') :]
    assert restatements[: restatements.index("</p>")].count(link) == 2
