"""The story the views are checked on (test_views_match_the_oracle.py): a small portfolio's
history recorded through the API, one write at a time, with a moment taken between writes
(so every recorded time differs and a ``known_at`` can fall between any two); the moments
drawn by a seeded random (``as_of`` any day of the story or none, ``known_at`` between two
writes, exactly at a write, or none); and a read at a moment."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient

from tests.oracle.reports import Oracle
from tests.oracle.views import cents

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"


MOMENTS = 14
STALE_DAYS = 60


@dataclass
class Story:
    portfolio: str = ""
    projects: list[str] = field(default_factory=list)
    moments: list[datetime] = field(default_factory=list)
    days: list[date] = field(default_factory=list)


def write(client: Client, story: Story, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """One write, with a moment before it and after it that differ from its recorded time."""
    time.sleep(0.002)
    story.moments.append(datetime.now(UTC))
    time.sleep(0.002)
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == 201, response.text
    if day := body.get("effective_date"):
        story.days.append(date.fromisoformat(day))
    return dict(response.json())


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def record(client: Client) -> Story:
    story = Story()
    story.portfolio = str(
        write(
            client,
            story,
            "/portfolios",
            {"name": "Moments", "forum": "Forum", "established_on": "2024-01-01"},
        )["id"]
    )
    targets = f"/portfolios/{story.portfolio}/targets"
    goal = {"investment": usd("100000000"), "jobs": 1000, "projects": 4}
    write(client, story, targets, {**goal, "effective_date": "2024-01-01"})

    def announce(
        title: str, sector: str, regions: list[str], amount: str, day: str, end: str | None = None
    ) -> str:
        body = {
            "portfolio_id": story.portfolio,
            "title": title,
            "sector": sector,
            "regions": regions,
            "planned_investment": usd(amount),
            "planned_jobs": 100,
            "effective_date": day,
            "illustrative": title == "Delta",
            **({"planned_end": end} if end else {}),
        }
        project = str(write(client, story, "/projects", body)["id"])
        story.projects.append(project)
        return project

    def event(project: str, body: dict[str, Any]) -> None:
        write(client, story, f"/projects/{project}/events", body)

    alpha = announce("Alpha", "energy", ["KZ-61"], "30000000", "2024-02-01", "2024-12-31")
    event(alpha, {"type": "committed", "amount": usd("10000000"), "effective_date": "2024-03-01"})
    event(alpha, {"type": "status_changed", "status": "agreed", "effective_date": "2024-04-01"})
    bravo = announce("Bravo", "metallurgy", ["UZ-SI"], "20000000", "2024-05-01", "2024-08-31")
    event(bravo, {"type": "committed", "amount": usd("5000000"), "effective_date": "2024-05-15"})
    event(alpha, {"type": "disbursed", "amount": usd("2000000"), "effective_date": "2024-06-01"})
    event(bravo, {"type": "milestone", "name": "Ground broken", "effective_date": "2024-06-10"})
    charlie = announce(
        "Charlie", "energy", ["KZ-61", "UZ-SI"], "8000000", "2024-03-01", "2024-06-30"
    )
    event(
        alpha,
        {"type": "jobs_created", "permanent": 40, "temporary": 10, "effective_date": "2024-08-01"},
    )
    write(client, story, targets, {**goal, "projects": 5, "effective_date": "2024-09-01"})
    event(bravo, {"type": "status_changed", "status": "suspended", "effective_date": "2024-09-01"})
    event(charlie, {"type": "cancelled", "reason": "withdrawn", "effective_date": "2024-10-01"})
    event(
        alpha,
        {
            "type": "corrected",
            "corrects": 2,
            "reason": "the agreement",
            "replacement": {"amount": usd("12000000")},
            "effective_date": "2024-11-01",
        },
    )
    event(
        bravo,
        {
            "type": "retracted",
            "retracts": 2,
            "reason": "a duplicate",
            "effective_date": "2024-11-15",
        },
    )
    delta = announce("Delta", "agriculture", ["UZ-TK"], "5000000", "2025-01-10")
    event(
        alpha,
        {
            "type": "corrected",
            "corrects": 1,
            "reason": "renamed",
            "replacement": {"title": "Alpha II", "sector": "metallurgy"},
            "effective_date": "2025-01-12",
        },
    )
    event(bravo, {"type": "status_changed", "status": "resumed", "effective_date": "2025-01-15"})
    event(bravo, {"type": "committed", "amount": usd("1000000"), "effective_date": "2023-12-01"})
    event(delta, {"type": "committed", "amount": usd("3000000"), "effective_date": "2025-02-01"})
    event(delta, {"type": "disbursed", "amount": usd("4000000"), "effective_date": "2025-02-20"})
    event(
        alpha,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-02-10",
        },
    )
    event(alpha, {"type": "completed", "effective_date": "2025-03-01"})
    event(
        bravo,
        {
            "type": "corrected",
            "corrects": 3,
            "reason": "the site diary",
            "replacement": {"effective_date": "2024-07-01"},
            "effective_date": "2025-03-05",
        },
    )
    time.sleep(0.002)
    story.moments.append(datetime.now(UTC))
    return story


@dataclass(frozen=True)
class Moment:
    as_of: date | None
    known_at: datetime | None

    def params(self) -> dict[str, str]:
        params = {}
        if self.as_of is not None:
            params["as_of"] = self.as_of.isoformat()
        if self.known_at is not None:
            params["known_at"] = self.known_at.isoformat().replace("+00:00", "Z")
        return params

    def asked(self) -> dict[str, Any]:
        """The moment as the oracle's keywords."""
        return {"as_of": self.as_of, "known_at": self.known_at}


def moments(story: Story, oracle: Oracle, rng: random.Random) -> list[Moment]:
    recorded = oracle.timestamps()
    chosen = [Moment(None, None)]
    while len(chosen) < MOMENTS:
        as_of = rng.choice(
            [
                None,
                rng.choice(story.days),
                rng.choice(story.days) + timedelta(days=rng.choice([-1, 1, 70, 200])),
                date(2023, 6, 1),
            ]
        )
        known_at = rng.choice([None, rng.choice(story.moments), rng.choice(recorded)])
        chosen.append(Moment(as_of, known_at))
    return chosen


def get(client: Client, path: str, moment: Moment, **params: Any) -> Any:
    response = client.get(path, params={**moment.params(), **params})
    assert response.status_code == 200, (path, moment, response.text)
    return response


def money(amount: str) -> Decimal:
    return cents(Decimal(amount))
