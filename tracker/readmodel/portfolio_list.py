"""The portfolios there are, at any moment: ``GET /api/v1/portfolios`` and
``tracker portfolios list``.

A portfolio is listed from the day it was established (``as_of``) and from the moment it was
recorded (``known_at``); its name, forum and date never change. Keyset pages in the order the
portfolios were established (then by id), so none repeats or is skipped when another is
established meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, or_, select

from tracker.readmodel import tables as t
from tracker.readmodel.database import naive_utc, stored_utc
from tracker.readmodel.queries import encode_cursor, typed_cursor

_P = t.portfolios.c
#: The name the cursors of this listing carry (one listing order).
ORDER = "established_on"


@dataclass(frozen=True)
class PortfolioRow:
    portfolio_id: str
    name: str
    forum: str
    established_on: date
    illustrative: bool
    recorded_at: datetime


@dataclass(frozen=True)
class PortfolioPage:
    rows: list[PortfolioRow]
    next_cursor: str | None


def list_portfolios(
    conn: Connection,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> PortfolioPage:
    """The portfolios established by ``as_of`` and recorded by ``known_at``, the first
    established first."""
    statement = select(t.portfolios)
    if as_of is not None:
        statement = statement.where(_P.established_on <= as_of)
    if known_at is not None:
        statement = statement.where(_P.recorded_at <= naive_utc(known_at))
    if cursor is not None:
        established_on, portfolio_id = typed_cursor(cursor, ORDER, ("date", "text"))
        statement = statement.where(
            or_(
                _P.established_on > established_on,
                and_(_P.established_on == established_on, _P.portfolio_id > portfolio_id),
            )
        )
    statement = statement.order_by(_P.established_on, _P.portfolio_id).limit(limit + 1)
    rows = [
        PortfolioRow(
            r.portfolio_id,
            r.name,
            r.forum,
            r.established_on,
            r.illustrative,
            stored_utc(r.recorded_at),
        )
        for r in conn.execute(statement)
    ]
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if more else None
    next_cursor = encode_cursor(ORDER, [last.established_on, last.portfolio_id]) if last else None
    return PortfolioPage(page, next_cursor)
