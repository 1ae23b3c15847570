"""A portfolio and its restated targets, as ``GET /api/v1/portfolios/{id}`` answers."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from api import schemas as s
from api.presenters.values import money_out, source_out
from tracker.domain.portfolio import Portfolio, Targets
from tracker.readmodel.portfolio_list import PortfolioPage


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


def portfolio_page_out(
    page: PortfolioPage, position: int, as_of: date | None, known_at: datetime | None
) -> s.PortfolioPageOut:
    items = [
        s.PortfolioSummaryOut(
            UUID(r.portfolio_id), r.name, r.forum, r.established_on, r.illustrative, r.recorded_at
        )
        for r in page.rows
    ]
    return s.PortfolioPageOut(items, page.next_cursor, position, as_of=as_of, known_at=known_at)
