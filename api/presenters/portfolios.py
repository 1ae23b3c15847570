"""A portfolio and its restated targets, as ``GET /api/v1/portfolios/{id}`` answers."""

from __future__ import annotations

from datetime import date, datetime

from api import schemas as s
from api.presenters.values import money_out, source_out
from tracker.domain.portfolio import Portfolio, Targets


def targets_out(t: Targets) -> s.TargetsOut:
    return s.TargetsOut(
        t.version,
        t.effective_date,
        money_out(t.investment),
        t.jobs,
        t.projects,
        source_out(t.source),
    )


def portfolio_out(p: Portfolio, as_of: date | None, known_at: datetime | None) -> s.PortfolioOut:
    in_force = p.targets_as_of(as_of)
    return s.PortfolioOut(
        id=p.id,
        name=p.name,
        forum=p.forum,
        established_on=p.established_on,
        illustrative=p.illustrative,
        version=p.version,
        targets=targets_out(in_force) if in_force else None,
        target_history=[targets_out(t) for t in p.targets],
        rate_sets=list(p.rate_sets),
        as_of=as_of,
        known_at=known_at,
    )
