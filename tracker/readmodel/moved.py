"""The read model's rows that moved between two moments, for ``changes``.

Only the ledger rows recorded, closed or effective between the moments are read, plus the
sums of the value dates they (or a rate move) touch; and the positions of the events that
announced a project, corrected its plan, changed its status or restated the targets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, false, func, literal, or_, select, union_all

from tracker.readmodel import tables as t
from tracker.readmodel.database import as_stored, exact_sum, naive_utc
from tracker.readmodel.reports import (
    ReportQuery,
    TargetsInForce,
    counted_at_moment,
    counted_facts,
    in_scope,
)

MONEY_KINDS = ("committed", "disbursed")
#: The columns ``moved_facts`` reads of each ledger row, in order; those in ``STORED`` as the
#: driver gives them (``database.as_stored``: most rows need neither converted).
MOVED = (
    "project_id",
    "kind",
    "currency",
    "amount",
    "permanent",
    "temporary",
    "effective_date",
    "recorded_position",
    "superseded_position",
)
STORED = frozenset({"amount", "effective_date"})
#: A ledger row's kind and currency (``None``: jobs).
Kind = tuple[str, str | None]


def _counted(query: ReportQuery) -> Any:
    """1 if a ledger row counts at the query's moment (as ``counted_facts`` selects it), else
    0: worked out by the database, so that the rows need not bring their times back."""
    conditions = counted_at_moment(query)
    return case((and_(*conditions), 1), else_=0) if conditions else literal(1)


def _window(column: Any, start: Any, end: Any) -> Any:
    """``start < column <= end``; no start is nothing (the start moment is the latest)."""
    if start is None:
        return false()
    condition = column > start
    return condition if end is None else and_(condition, column <= end)


def current_kinds(conn: Connection, start: ReportQuery, end: ReportQuery) -> list[Kind] | None:
    """The kinds and currencies (``None`` for jobs) of the portfolio's current ledger rows
    effective between the two ``as_of``, from the sums the projector keeps
    (tracker/readmodel/fact_totals.py); ``None`` when the end is not the latest knowledge.

    When it is, a row effective between the days that counts at one moment and not the
    other is current (or was closed after the start's ``known_at``, and is found as such),
    so naming these lets the ledger's report index find the rows, instead of a scan."""
    if end.known_at is not None or start.as_of is None:
        return None
    sums = t.fact_totals.c
    query = (
        select(sums.kind, sums.currency)
        .distinct()
        .where(sums.portfolio_id == str(start.portfolio_id))
        .where(_window(sums.effective_date, start.as_of, end.as_of))
    )
    return sorted((kind, currency or None) for kind, currency in conn.execute(query))


def moved_facts(
    start: ReportQuery,
    end: ReportQuery,
    among: Collection[str] | None = None,
    entered: Collection[str] = (),
    kinds: Collection[Kind] | None = None,
) -> Any:
    """The ledger rows that may count at one moment and not the other: recorded or closed
    between the two ``known_at``, or effective between the two ``as_of`` (of ``kinds``
    only, when given: ``current_kinds``); of the projects ``among`` only (when the filters
    narrow), and every row of those ``entered`` (counted at one moment and not the other,
    the filters judged at each). Each row in the order of ``MOVED``, ``then`` and ``now``
    saying whether it counts at each moment, the filters left aside; without filters (no
    ``among``), only the rows that count at one moment and not the other."""
    f = t.facts.c
    then, now = _counted(start), _counted(end)
    known = (
        None if start.known_at is None else naive_utc(start.known_at),
        None if end.known_at is None else naive_utc(end.known_at),
    )
    effective = _window(f.effective_date, start.as_of, end.as_of)
    terms = (
        None
        if kinds is None
        else [
            and_(
                f.kind == kind,
                f.currency.is_(None) if currency is None else f.currency == currency,
                effective,
            )
            for kind, currency in kinds
        ]
    )
    rows = (
        select(
            *(as_stored(f[name]) if name in STORED else f[name] for name in MOVED),
            then.label("then"),
            now.label("now"),
        )
        .where(f.portfolio_id == str(start.portfolio_id), *in_scope(f.project_id, start))
        .where(*([then != now] if among is None else [f.project_id.in_(sorted(among))]))
    )
    if terms is not None and start.known_at is None and not entered:
        # Only rows effective between the days: each kind and currency one range of the
        # report index, read from it alone (PostgreSQL reads an OR of ranges through a
        # bitmap of the table's pages instead).
        if not terms:
            return rows.where(false())
        return union_all(*(rows.where(term) for term in terms))
    return rows.where(
        or_(
            _window(f.recorded_at, *known),
            _window(f.superseded_at, *known),
            effective if terms is None else or_(false(), *terms),
            *([f.project_id.in_(sorted(entered))] if entered else []),
        )
    )


def sums_at_start(
    conn: Connection,
    start: ReportQuery,
    ranges: list[tuple[str, date, date]],
    among: Collection[str] | None = None,
) -> dict[tuple[str, str, str, date], tuple[Decimal, int]]:
    """The start's sum and count of each (holder, kind, currency, value date) within
    ``ranges``: the holder is the portfolio (""), or each project ``among`` those the
    filters count at the start (a narrowed report converts each project's sums apart)."""
    if start.as_of is not None:  # nothing effective later counts at the start
        ranges = [(c, first, min(last, start.as_of)) for c, first, last in ranges]
        ranges = [(c, first, last) for c, first, last in ranges if first <= last]
    if not ranges or (among is not None and not among):
        return {}
    f = t.facts.c
    keys = (f.kind, f.currency, f.effective_date)
    holder = f.project_id if among is not None else literal("")
    rows = conn.execute(
        select(
            holder.label("holder"),
            *keys,
            exact_sum(f.amount).label("amount"),
            func.count().label("n"),
        )
        .where(*counted_facts(start))
        .where(*([] if among is None else [f.project_id.in_(sorted(among))]))
        .where(
            or_(  # each a range of the report index (portfolio, kind, currency, date)
                *(
                    and_(
                        f.kind == kind,
                        f.currency == currency,
                        f.effective_date.between(first, last),
                    )
                    for kind in MONEY_KINDS
                    for currency, first, last in ranges
                )
            )
        )
        .group_by(*([] if among is None else [f.project_id]), *keys)
    )
    return {(r.holder, r.kind, r.currency, r.effective_date): (r.amount, int(r.n)) for r in rows}


def project_positions(
    conn: Connection, start: ReportQuery, end: ReportQuery
) -> dict[str, set[int]]:
    """Per project, the events between the moments that announced it, corrected its plan
    or changed its status (its ledger events are added as they are found)."""
    known = (
        None if start.known_at is None else naive_utc(start.known_at),
        None if end.known_at is None else naive_utc(end.known_at),
    )
    found: dict[str, set[int]] = defaultdict(set)
    for table, effective in ((t.plans, t.plans.c.announced_on), (t.statuses, None)):
        day = effective if effective is not None else table.c.effective_date
        rows = conn.execute(
            select(table.c.project_id, table.c.recorded_position)
            .where(table.c.portfolio_id == str(start.portfolio_id))
            .where(
                or_(
                    _window(table.c.recorded_at, *known),
                    _window(day, start.as_of, end.as_of),
                )
            )
        )
        for row in rows:
            found[row.project_id].add(row.recorded_position)
    return found


def target_position(
    conn: Connection, end: ReportQuery, targets: TargetsInForce | None
) -> int | None:
    if targets is None:
        return None
    position = conn.execute(
        select(t.targets.c.recorded_position).where(
            t.targets.c.portfolio_id == str(end.portfolio_id),
            t.targets.c.version == targets.version,
        )
    ).scalar_one_or_none()
    return None if position is None else int(position)
