"""The read-model columns of a project's plan and of its ledger facts, and of a source, from
events; a superseded row's successor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Row = dict[str, Any]


def plan_values(plan: Any) -> Row:
    """The plan columns, from an ``Announced`` event (or anything shaped like a plan)."""
    return {
        "sector": plan.sector,
        "regions": " ".join(plan.regions),
        "countries": " ".join(plan.countries),
        "planned_investment": plan.planned_investment.amount,
        "currency": plan.planned_investment.currency,
        "planned_jobs": plan.planned_jobs,
    }


def fact_values(event: Any, kind: str) -> Row:
    """A ledger row's values of a fact of ``kind``: from its domain event, or from its
    stored state decoded straight (tracker/readmodel/stored_facts.py)."""
    amount = getattr(event, "amount", None)
    return {
        "kind": kind,
        "amount": amount.amount if amount else None,
        "currency": amount.currency if amount else None,
        "permanent": getattr(event, "permanent", 0),
        "temporary": getattr(event, "temporary", 0),
        "effective_date": event.effective_date,
    }


def plan_replacement(values: dict[str, Any]) -> Row:
    plan: Row = {}
    if "sector" in values:
        plan["sector"] = values["sector"]
    for name in ("regions", "countries"):
        if name in values:
            plan[name] = " ".join(values[name])
    if "planned_investment" in values:
        plan["planned_investment"] = values["planned_investment"].amount
        plan["currency"] = values["planned_investment"].currency
    if "planned_jobs" in values:
        plan["planned_jobs"] = values["planned_jobs"]
    return plan


def reopened(current: Row, position: int, recorded_at: datetime) -> Row:
    """A copy of a superseded row, as the start of the row that replaces it."""
    row = {key: value for key, value in current.items() if key != "id"}
    row.update(recorded_at=recorded_at, recorded_position=position)
    row.update(superseded_at=None, superseded_position=None)
    return row


def source_values(event: Any) -> Row:
    source = event.source
    return {
        "source_title": source.title if source else None,
        "source_url": source.url if source else None,
    }
