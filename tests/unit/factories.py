"""Small builders for domain tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from tracker.domain.project import Plan, Project
from tracker.domain.values import Envelope, Money


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def on(day: str, **kwargs: object) -> Envelope:
    return Envelope("desk", date.fromisoformat(day), **kwargs)  # type: ignore[arg-type]


def plan(**overrides: object) -> Plan:
    values: dict[str, object] = {
        "title": "Copper cathode plant",
        "sector": "metallurgy",
        "regions": ("KZ-61", "UZ-SI"),
        "countries": (),
        "parties": ("KazInvest",),
        "planned_investment": usd("1000000"),
        "planned_jobs": 200,
        "planned_start": None,
        "planned_end": None,
    }
    values.update(overrides)
    return Plan(**values)  # type: ignore[arg-type]


def announced(**overrides: object) -> Project:
    return Project.announce(uuid4(), plan(**overrides), on("2024-01-10"))
