"""Checkpoints of the ledger's sums, so that a report as known at a past moment reads little.

Why: a portfolio report as known at a moment ``K`` read the current sums (``rm_fact_totals``)
and took off every ledger row changed after ``K``: for a moment half-way through a million
events, half a million rows (4–6 s on SQLite, docs/BENCHMARKS.md). A checkpoint is the sums
as known at its moment ``E`` (``ends_at``): every ledger row recorded by ``E`` and not
superseded by ``E``, per portfolio, layer, kind, currency and value date. Then

    known(K) = known(E) + rows recorded in (E, K] still known at K
                        − rows recorded by E and superseded in (E, K]        (E ≤ K)
    known(K) = known(E) − rows recorded in (K, E] still known at E
                        + rows recorded by K and superseded in (K, E]        (E > K)

exactly, whatever the order of recorded times; the current sums are the checkpoint at the
end of time. A report reads the nearer of the checkpoints on either side of ``K``.

How the projector keeps them true: each change of the ledger is dated — a row counts from
its ``recorded_at`` and stops counting at ``max(recorded_at, superseded_at)`` — and a change
dated at or before a checkpoint's ``E`` is added to that checkpoint (normally none: times
grow with positions; a writer whose transaction commits late is the exception). Every
``EVERY`` positions (or as many as the sums have keys, if more: a checkpoint copies them
all) the projector makes one from the current sums, with ``E`` the latest date of any
change applied, so the copy is exactly what was known at ``E``. A rebuild counts them again
from its ledger (:func:`recount`), as it counts the sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Table,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from tracker.readmodel import tables as t
from tracker.readmodel.database import exact_sum, negated
from tracker.readmodel.views import Views

Row = dict[str, Any]
#: (portfolio, illustrative, kind, currency or "", value date)
Key = tuple[str, bool, str, str, date]
#: Positions between checkpoints (at least: no more often than the sums have keys).
EVERY = 20_000
_KEY = ("portfolio_id", "illustrative", "kind", "currency", "effective_date")
_SUMS = ("amount", "permanent", "temporary", "count")


@dataclass
class Sums:
    """The sums of one key: the amount (exact), the jobs and the count of rows."""

    amount: Decimal | None = None
    permanent: int = 0
    temporary: int = 0
    count: int = 0

    def add(self, amount: Decimal | None, permanent: int, temporary: int, count: int) -> None:
        if amount is not None:
            self.amount = amount if self.amount is None else self.amount + amount
        self.permanent += permanent
        self.temporary += temporary
        self.count += count


@dataclass
class CheckpointChange:
    """One projector batch's changes of the ledger, each with its date, and its last
    position: what the checkpoints need to stay true, and when to make the next one."""

    views: Views
    changes: list[tuple[datetime, Key, int, Row]] = field(default_factory=list)

    def add(self, row: Row, illustrative: bool, at: datetime, sign: int) -> None:
        key = (
            row["portfolio_id"],
            illustrative,
            row["kind"],
            row["currency"] or "",
            row["effective_date"],
        )
        self.changes.append((at, key, sign, row))

    def add_row(self, row: Row, illustrative: bool) -> None:
        """A ledger row this batch wrote: it counts from when it was recorded, and stops at
        its supersession if the batch closed it too."""
        self.add(row, illustrative, row["recorded_at"], 1)
        if row["superseded_at"] is not None:
            self.add(row, illustrative, max(row["recorded_at"], row["superseded_at"]), -1)

    def add_closed(self, row: Row, illustrative: bool, closed_at: datetime) -> None:
        """A stored ledger row this batch superseded at ``closed_at``."""
        self.add(row, illustrative, max(row["recorded_at"], closed_at), -1)

    def write(self, conn: Connection, position: int | None) -> None:
        """Add the changes to the checkpoints they date before, then make a new one if
        the last is far enough behind ``position`` (the batch's last; the sums written)."""
        last = conn.execute(_last_checkpoint(self.views.fact_checkpoints)).one_or_none()
        if last is None:
            if position is not None:
                _maybe_checkpoint(conn, self.views, position, None)
            return
        if self.changes and min(at for at, *_ in self.changes) <= last.ends_at:
            self._backdate(conn)
        if position is not None:
            _maybe_checkpoint(conn, self.views, position, last)

    def _backdate(self, conn: Connection) -> None:
        earliest = min(at for at, *_ in self.changes)
        ends = conn.scalars(
            select(self.views.fact_checkpoints.c.ends_at).where(
                self.views.fact_checkpoints.c.ends_at >= earliest
            )
        ).all()
        for end in ends:
            sums: dict[Key, Sums] = {}
            for at, key, sign, row in self.changes:
                if at <= end:
                    amount = row["amount"]
                    sums.setdefault(key, Sums()).add(
                        None if amount is None else sign * amount,
                        sign * int(row["permanent"] or 0),
                        sign * int(row["temporary"] or 0),
                        sign,
                    )
            _add_sums(conn, self.views, end, sums)


def _add_sums(conn: Connection, views: Views, end: datetime, sums: dict[Key, Sums]) -> None:
    if sums:
        conn.execute(
            upsert_sums(conn, views.fact_checkpoint_sums),
            [_row(end, key, s) for key, s in sorted(sums.items())],
        )


def _row(end: datetime, key: Key, sums: Sums) -> Row:
    return {
        "ends_at": end,
        **dict(zip(_KEY, key, strict=True)),
        "amount": sums.amount,
        "permanent": sums.permanent,
        "temporary": sums.temporary,
        "count": sums.count,
    }


def upsert_sums(conn: Connection, table: Table) -> Any:
    """Add each row's sums to the stored ones, keyed by ``table``'s primary key (SQLite keeps
    amounts as decimal text, added by the ``decimal_add`` function of
    tracker/readmodel/database.py)."""
    return _upsert_sums(conn.dialect.name, table)


@cache
def _last_checkpoint(checkpoints: Table) -> Any:
    """Made once per table, as :func:`_upsert_sums`."""
    points = checkpoints.c
    return select(points.ends_at, points.position).order_by(points.ends_at.desc()).limit(1)


@cache
def _upsert_sums(dialect_name: str, table: Table) -> Any:
    """Made once per table: SQLAlchemy keys its compiled statements by a walk of the
    statement, which a statement object remembers, and a projector batch writes sums."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(table)
    new = statement.excluded
    current = table.c
    amount = (
        func.coalesce(current.amount + new.amount, current.amount, new.amount)
        if dialect is postgresql
        else func.decimal_add(current.amount, new.amount)
    )
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            "amount": amount,
            "permanent": current.permanent + new.permanent,
            "temporary": current.temporary + new.temporary,
            "count": current.count + new.count,
        },
    )


def _maybe_checkpoint(conn: Connection, views: Views, position: int, last: Any) -> None:
    """A checkpoint of the present sums if ``last`` (the latest, if any) is far enough
    behind ``position``."""
    points = views.fact_checkpoints.c
    behind = position - (last.position if last else 0)
    if behind < EVERY or behind < spacing(conn, views):
        return
    end = latest_change(conn, views)
    if end is None:
        return
    if last is not None and end <= last.ends_at:
        # Every change since was dated by then and so added to it: it is the present sums.
        conn.execute(
            update(views.fact_checkpoints)
            .where(points.ends_at == last.ends_at)
            .values(position=position)
        )
        return
    conn.execute(insert(views.fact_checkpoints).values(ends_at=end, position=position))
    totals = views.fact_totals.c
    conn.execute(
        insert(views.fact_checkpoint_sums).from_select(
            ["ends_at", *_KEY, *_SUMS],
            select(
                literal(end, DateTime).label("ends_at"),
                *(totals[name] for name in (*_KEY, *_SUMS)),
            ),
        )
    )


def spacing(conn: Connection, views: Views) -> int:
    """Positions between checkpoints: ``EVERY``, or as many as the sums have keys (each
    checkpoint copies them all: at most one row per position)."""
    keys = conn.execute(select(func.count()).select_from(views.fact_totals)).scalar_one()
    return max(EVERY, int(keys))


def latest_change(conn: Connection, views: Views) -> datetime | None:
    """The latest date of any change of the ledger (recorded or superseded), one index
    lookup per portfolio and column."""
    facts = views.facts.c
    latest: datetime | None = None
    for portfolio in conn.scalars(select(views.portfolios.c.portfolio_id)).all():
        for column in (facts.recorded_at, facts.superseded_at):
            found = conn.execute(
                select(func.max(column)).where(facts.portfolio_id == portfolio)
            ).scalar()
            if found is not None and (latest is None or found > latest):
                latest = found
    return latest


# A rebuild


def recount(conn: Connection, views: Views) -> None:
    """Count the checkpoints again from the ledger (a rebuild's, once loaded): one every
    ``EVERY`` positions (or as many as the sums have keys), each dated with the latest change
    by then, as the projector would have made them batch by batch."""
    conn.execute(delete(views.fact_checkpoint_sums))
    conn.execute(delete(views.fact_checkpoints))
    every = spacing(conn, views)
    facts = views.facts.c
    latest: dict[int, datetime] = {}
    opened = facts.recorded_position // every
    closed = facts.superseded_position // every
    for position, at in (
        *conn.execute(select(opened, func.max(facts.recorded_at)).group_by(opened)),
        *conn.execute(
            select(closed, func.max(facts.superseded_at))
            .where(facts.superseded_position.is_not(None))
            .group_by(closed)
        ),
    ):
        latest[position] = max(at, latest.get(position, at))
    if not latest:
        return
    ends: dict[datetime, int] = {}
    running: datetime | None = None
    last_bucket = max(latest)
    for bucket in sorted(latest):
        if bucket == last_bucket:
            break  # the latest changes are read back from the present sums
        running = latest[bucket] if running is None else max(running, latest[bucket])
        ends[running] = (bucket + 1) * every - 1
    if not ends:
        return
    conn.execute(
        insert(views.fact_checkpoints),
        [{"ends_at": end, "position": position} for end, position in ends.items()],
    )
    _fill(conn, views, sorted(ends))


def _fill(conn: Connection, views: Views, ends: list[datetime]) -> None:
    """Each checkpoint's sums, in SQL, from the previous checkpoint's: one statement per
    checkpoint that reads the previous sums and the ledger rows changed in between (over the
    ledger's indexes on the recorded and superseded times), instead of the whole ledger
    summed again per checkpoint."""
    sums = views.fact_checkpoint_sums
    columns = ["ends_at", *_KEY, *_SUMS]
    previous: datetime | None = None
    for end in ends:
        conn.execute(insert(sums).from_select(columns, _next_sums(views, previous, end)))
        previous = end


def _next_sums(views: Views, previous: datetime | None, end: datetime) -> Any:
    """The sums at ``end``: those at ``previous`` (none before the first checkpoint) and the
    ledger's changes dated in between, each row counting (+) from when it was recorded and
    stopping (−) when it was superseded (or recorded, if that was later); a key whose rows
    all stopped counting is left out."""
    facts, projects, kept = views.facts.c, views.projects.c, views.fact_checkpoint_sums.c
    keys = (
        facts.portfolio_id,
        projects.illustrative,
        facts.kind,
        func.coalesce(facts.currency, "").label("currency"),
        facts.effective_date,
    )
    # The portfolios named, so that the ledger is read over its (portfolio, time) indexes.
    named = select(projects.portfolio_id).distinct()

    def within(column: Any) -> list[Any]:
        return [column <= end] if previous is None else [column > previous, column <= end]

    def changed(sign: int, *where: Any) -> Any:
        return (
            select(
                *keys,
                (facts.amount if sign > 0 else negated(facts.amount)).label("amount"),
                (facts.permanent if sign > 0 else -facts.permanent).label("permanent"),
                (facts.temporary if sign > 0 else -facts.temporary).label("temporary"),
                literal_column(str(sign)).label("count"),
            )
            .join_from(views.facts, views.projects, projects.project_id == facts.project_id)
            .where(facts.portfolio_id.in_(named), *where)
        )

    parts = [
        changed(1, *within(facts.recorded_at)),
        changed(-1, *within(facts.superseded_at), facts.superseded_at >= facts.recorded_at),
        changed(-1, *within(facts.recorded_at), facts.superseded_at < facts.recorded_at),
    ]
    if previous is not None:
        parts.append(
            select(*(kept[name] for name in (*_KEY, *_SUMS))).where(kept.ends_at == previous)
        )
    rows = union_all(*parts).subquery()
    grouping = [rows.c[name] for name in _KEY]
    return (
        select(
            literal(end, DateTime).label("ends_at"),
            *grouping,
            exact_sum(rows.c.amount),
            func.sum(rows.c.permanent),
            func.sum(rows.c.temporary),
            func.sum(rows.c.count),
        )
        .group_by(*grouping)
        .having(func.sum(rows.c.count) != 0)
    )


# Reading


@dataclass(frozen=True)
class Nearest:
    """The checkpoint a report as known at a moment starts from: ``ends_at`` (``None``: the
    present sums) and whether it lies after the moment."""

    ends_at: datetime | None
    after: bool


def nearest(conn: Connection, portfolio_id: str, known_at: datetime) -> Nearest:
    """Of the checkpoints either side of ``known_at`` (the present sums the last one after),
    the one fewer of the portfolio's ledger rows were recorded between."""
    points = t.fact_checkpoints.c
    before = conn.execute(
        select(func.max(points.ends_at)).where(points.ends_at <= known_at)
    ).scalar()
    after = conn.execute(select(func.min(points.ends_at)).where(points.ends_at > known_at)).scalar()
    if before is None:
        return Nearest(after, True)
    if _recorded_between(conn, portfolio_id, before, known_at) <= _recorded_between(
        conn, portfolio_id, known_at, after
    ):
        return Nearest(before, False)
    return Nearest(after, True)


def _recorded_between(
    conn: Connection, portfolio_id: str, start: datetime, end: datetime | None
) -> int:
    facts = t.facts.c
    query = select(func.count()).where(
        facts.portfolio_id == portfolio_id, facts.recorded_at > start
    )
    if end is not None:
        query = query.where(facts.recorded_at <= end)
    return int(conn.execute(query).scalar_one())


def checkpoint_rows(portfolio_id: str, layer: str, as_of: date | None, ends_at: datetime) -> Any:
    """The checkpoint's sums per layer, kind, currency and value date (as ``fact_totals``
    reads the present ones; the caller adds a value date's layers up)."""
    sums = t.fact_checkpoint_sums.c
    query = select(
        sums.kind,
        sums.currency,
        sums.effective_date,
        sums.amount,
        sums.permanent,
        sums.temporary,
        sums.count,
    ).where(sums.ends_at == ends_at, sums.portfolio_id == portfolio_id)
    if layer != "all":
        query = query.where(sums.illustrative.is_(layer == "illustrative"))
    if as_of is not None:
        query = query.where(sums.effective_date <= as_of)
    return query


def between(known_at: datetime, point: Nearest) -> Iterable[tuple[int, list[Any]]]:
    """The ledger conditions to add (sign 1) and take off (-1) from the checkpoint's sums to
    have those known at ``known_at`` (see the module's doc)."""
    facts = t.facts.c
    if point.ends_at is None:  # the present
        return (
            (-1, [facts.recorded_at > known_at, facts.superseded_at.is_(None)]),
            (1, [facts.recorded_at <= known_at, facts.superseded_at > known_at]),
        )
    end = point.ends_at
    if point.after:
        return (
            (
                -1,
                [
                    facts.recorded_at > known_at,
                    facts.recorded_at <= end,
                    (facts.superseded_at.is_(None) | (facts.superseded_at > end)),
                ],
            ),
            (
                1,
                [
                    facts.recorded_at <= known_at,
                    facts.superseded_at > known_at,
                    facts.superseded_at <= end,
                ],
            ),
        )
    return (
        (
            1,
            [
                facts.recorded_at > end,
                facts.recorded_at <= known_at,
                (facts.superseded_at.is_(None) | (facts.superseded_at > known_at)),
            ],
        ),
        (
            -1,
            [facts.recorded_at <= end, facts.superseded_at > end, facts.superseded_at <= known_at],
        ),
    )
