"""Listing queries over the current state of projects (``rm_projects``).

Paging is by keyset, not offset: the cursor carries the sort key of the last row returned, so
a page never repeats or skips a project when others are announced or change meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Connection, Float, and_, cast, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tracker.domain.errors import N_, ValidationError
from tracker.domain.status import TERMINAL
from tracker.readmodel import tables as t

SortKey = Literal[
    "title",
    "-title",
    "announced_on",
    "-announced_on",
    "planned_investment",
    "-planned_investment",
    "last_event_on",
    "-last_event_on",
]
SORTS: tuple[str, ...] = SortKey.__args__  # type: ignore[attr-defined]
KeyKind = Literal["text", "date", "number"]
_P = t.projects.c


@dataclass(frozen=True)
class ProjectFilter:
    portfolio_id: UUID | None = None
    sector: str | None = None
    region: str | None = None
    country: str | None = None
    status: str | None = None
    q: str | None = None
    illustrative: bool | None = None  # only illustrative projects, or only reported ones
    ids: frozenset[str] | None = None  # only these projects (e.g. the flagged ones)


@dataclass(frozen=True)
class ProjectRow:
    """One project as the read model currently holds it."""

    project_id: str
    portfolio_id: str
    title: str
    sector: str
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    status: str
    planned_investment: Decimal
    currency: str
    planned_jobs: int
    illustrative: bool
    announced_on: date
    last_event_on: date
    version: int
    last_recorded_at: datetime | None = None


@dataclass(frozen=True)
class ProjectPage:
    rows: list[ProjectRow]
    next_cursor: str | None


@dataclass(frozen=True)
class _Key:
    expression: ColumnElement[Any]
    descending: bool
    kind: KeyKind


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise ValidationError(
            N_("sort must be one of %(allowed)s"), allowed=", ".join(SORTS), field="sort"
        )


_KINDS: dict[str, tuple[KeyKind, ...]] = {
    "title": ("text", "text"),
    "planned_investment": ("text", "number", "text"),
    "announced_on": ("date", "text"),
    "last_event_on": ("date", "text"),
}


def cursor_values(cursor: str, sort: str) -> list[Any]:
    """The key values a cursor of ``sort`` carries, typed (for a listing made in Python)."""
    check_sort(sort)
    return typed_cursor(cursor, sort, _KINDS[sort.lstrip("-")])


def typed_cursor(cursor: str, sort: str, kinds: Sequence[KeyKind]) -> list[Any]:
    """The values a cursor of any keyset listing carries, each read as its kind."""
    return decode_cursor(cursor, sort, [_Key(literal(None), False, kind) for kind in kinds])


def _sort_keys(conn: Connection, sort: str) -> list[_Key]:
    """The ordering behind ``sort``, ending with the project id so that it is total; every
    key follows the direction, so ``-x`` lists exactly the reverse of ``x``.

    Planned investment is ordered by currency first: amounts in different currencies are not
    comparable without rates, and a listing must not pretend they are. SQLite stores amounts
    as decimal text, so there they are compared as numbers, not as strings.
    """
    check_sort(sort)
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    keys: list[tuple[ColumnElement[Any], KeyKind]]
    if name == "title":
        keys = [(_P.title, "text")]
    elif name == "planned_investment":
        amount: ColumnElement[Any] = _P.planned_investment
        if conn.dialect.name == "sqlite":
            amount = cast(_P.planned_investment, Float)
        keys = [(_P.currency, "text"), (amount, "number")]
    else:
        keys = [(_P.announced_on if name == "announced_on" else _P.last_event_on, "date")]
    keys.append((_P.project_id, "text"))
    return [_Key(expression, descending, kind) for expression, kind in keys]


def unicode_lower(conn: Connection) -> Callable[[ColumnElement[Any]], ColumnElement[Any]]:
    """Unicode-aware lower case: SQLite's own ``lower`` folds ASCII only, and titles are often
    Cyrillic, so there Python's is registered on the connection."""
    if conn.dialect.name != "sqlite":
        return func.lower
    raw = conn.connection.driver_connection
    raw.create_function("tracker_lower", 1, _py_lower, deterministic=True)  # type: ignore[union-attr]
    return func.tracker_lower


def _py_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def has_code(column: ColumnElement[Any], code: str) -> ColumnElement[bool]:
    """Whether a space-separated list of codes holds ``code`` itself (``UZ-S`` is not ``UZ-SI``)."""
    return (literal(" ") + column + literal(" ")).contains(f" {code} ", autoescape=True)


def _conditions(conn: Connection, filters: ProjectFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.portfolio_id is not None:
        conditions.append(_P.portfolio_id == str(filters.portfolio_id))
    if filters.sector is not None:
        conditions.append(_P.sector == filters.sector)
    if filters.status is not None:
        conditions.append(_P.status == filters.status)
    if filters.region is not None:
        conditions.append(has_code(_P.regions, filters.region))
    if filters.country is not None:
        conditions.append(has_code(_P.countries, filters.country))
    if filters.q:
        lower = unicode_lower(conn)
        conditions.append(lower(_P.title).contains(filters.q.lower(), autoescape=True))
    if filters.illustrative is not None:
        conditions.append(_P.illustrative.is_(filters.illustrative))
    if filters.ids is not None:
        conditions.append(_P.project_id.in_(sorted(filters.ids)))
    return conditions


def _after(keys: Sequence[_Key], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys``, spelt out key by key
    (``a > x OR a = x AND b > y``), so each value is bound with its own column's type."""
    alternatives = []
    for i, key in enumerate(keys):
        equal = [k.expression == v for k, v in zip(keys[:i], values[:i], strict=True)]
        beyond = key.expression < values[i] if key.descending else key.expression > values[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


def list_projects(
    conn: Connection,
    filters: ProjectFilter,
    *,
    sort: str = "title",
    limit: int = 50,
    cursor: str | None = None,
) -> ProjectPage:
    keys = _sort_keys(conn, sort)
    statement = select(
        t.projects, *(k.expression.label(f"sort_{i}") for i, k in enumerate(keys))
    ).where(*_conditions(conn, filters))
    if cursor is not None:
        statement = statement.where(_after(keys, decode_cursor(cursor, sort, keys)))
    statement = statement.order_by(
        *(k.expression.desc() if k.descending else k.expression.asc() for k in keys)
    ).limit(limit + 1)
    rows = conn.execute(statement).all()
    page, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = page[-1]._mapping
        next_cursor = encode_cursor(sort, [last[f"sort_{i}"] for i in range(len(keys))])
    return ProjectPage([project_row(r) for r in page], next_cursor)


def stale_projects(
    conn: Connection, portfolio_id: UUID, *, days: int, today: date
) -> list[ProjectRow]:
    """Open projects of a portfolio with no event effective in the last ``days`` days,
    the longest silent first."""
    threshold = today - timedelta(days=days)
    rows = conn.execute(
        select(t.projects)
        .where(_P.portfolio_id == str(portfolio_id))
        .where(_P.status.not_in([s.value for s in TERMINAL]))
        .where(_P.last_event_on < threshold)
        .order_by(_P.last_event_on, _P.project_id)
    )
    return [project_row(r) for r in rows]


def project_ids(conn: Connection, portfolio_id: UUID) -> list[str]:
    """The ids of every project of the portfolio the read model holds (for an export)."""
    query = select(_P.project_id).where(_P.portfolio_id == str(portfolio_id))
    return list(conn.execute(query.order_by(_P.project_id)).scalars())


def project_row(row: Any) -> ProjectRow:
    """A row of ``rm_projects`` as a ``ProjectRow``."""
    return ProjectRow(
        project_id=row.project_id,
        portfolio_id=row.portfolio_id,
        title=row.title,
        sector=row.sector,
        regions=tuple(row.regions.split()),
        countries=tuple(row.countries.split()),
        status=row.status,
        planned_investment=row.planned_investment,
        currency=row.currency,
        planned_jobs=row.planned_jobs,
        illustrative=row.illustrative,
        announced_on=row.announced_on,
        last_event_on=row.last_event_on,
        version=row.version,
        last_recorded_at=row.last_recorded_at,
    )


# Cursors: base64url of JSON [sort, [key values…]]. Opaque to clients, so its shape may change.


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    plain = [_plain(v) for v in values]
    text = json.dumps([sort, plain], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_cursor(cursor: str, sort: str, keys: Sequence[_Key]) -> list[Any]:
    """The key values a cursor carries, typed for comparison; refuses anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        cursor_sort, values = json.loads(text)
        if cursor_sort != sort:
            raise ValidationError(
                N_("this cursor belongs to sort=%(cursor_sort)s, not sort=%(sort)s"),
                cursor_sort=cursor_sort,
                sort=sort,
                field="cursor",
            )
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("wrong number of values")
        return [_typed(v, k.kind) for v, k in zip(values, keys, strict=True)]
    except ValidationError:
        raise
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error, InvalidOperation):
        raise ValidationError(
            N_("not a cursor returned by this listing (use next_cursor as given)"), field="cursor"
        ) from None


def _typed(value: Any, kind: KeyKind) -> Any:
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "number" and isinstance(value, str):
        number = Decimal(value)
        if number.is_finite():
            return number
    if kind == "number" and isinstance(value, float | int) and not isinstance(value, bool):
        return float(value)  # SQLite's numeric view of decimal text
    if kind == "text" and isinstance(value, str):
        return value
    raise ValueError(f"{value!r} is not a {kind} key")
