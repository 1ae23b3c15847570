"""When a portfolio's record last changed: the "last updated" every page states.

The latest moment, by ``known_at``, at which an event about the portfolio was recorded: the
portfolio's own (establishment, targets, statements, rate-set choices), its projects' (plans
and their corrections, statuses, milestones, facts and their corrections and retractions,
the latest event of a project as ``rm_projects`` holds it), its documents' and its
indicators'. Read from the read model's recorded times; a correction of a milestone recorded
before ``known_at`` and followed by a later event of its project is the one event it cannot
see for a past moment (no table keeps it by time), so a past page may state an earlier
"last updated" in that case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select, union_all

from tracker.readmodel import tables as t
from tracker.readmodel.database import naive_utc, stored_utc

#: (table, column) pairs holding the moment an event about a portfolio was recorded.
_RECORDED: tuple[tuple[Any, str], ...] = (
    (t.portfolios, "recorded_at"),
    (t.targets, "recorded_at"),
    (t.statements, "recorded_at"),
    (t.rate_choices, "recorded_at"),
    (t.plans, "recorded_at"),
    (t.plans, "superseded_at"),
    (t.statuses, "recorded_at"),
    (t.milestones, "recorded_at"),
    (t.facts, "recorded_at"),
    (t.facts, "superseded_at"),
    (t.projects, "last_recorded_at"),
    (t.document_versions, "recorded_at"),
    (t.observations, "recorded_at"),
    (t.indicator_targets, "recorded_at"),
)


def last_recorded(
    conn: Connection, portfolio_id: UUID, known_at: datetime | None = None
) -> datetime | None:
    """The latest recorded time of an event about the portfolio, by ``known_at``."""
    parts = []
    for table, name in _RECORDED:
        column = table.c[name]
        query = select(func.max(column).label("at")).where(
            table.c.portfolio_id == str(portfolio_id)
        )
        if known_at is not None:
            query = query.where(column <= naive_utc(known_at))
        parts.append(query)
    latest = conn.execute(select(func.max(union_all(*parts).subquery().c.at))).scalar()
    return stored_utc(latest) if latest is not None else None
