"""SQLAlchemy engine for the read model, and the exact decimal arithmetic SQLite lacks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import sqlalchemy.exc
from eventsourcing import persistence
from sqlalchemy import Engine, String, create_engine, event, or_, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, Numeric, TypeDecorator, TypeEngine

from tracker.settings import Settings

#: Every error the database's layers raise: SQLAlchemy (the read model and the key store; it
#: wraps the driver's errors), the event store (eventsourcing) and the driver (psycopg).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.SQLAlchemyError,
    persistence.PersistenceError,
    psycopg.Error,
)
#: The database is down, locked or out of connections, as each of those layers says it: the
#: work never ran, and the same work may succeed when tried again shortly.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError,
)
#: The database is unavailable, busy or gone, or the connection to it broke: try the same
#: events again later (the projector). Anything else an event raises while it is applied is
#: the event's own doing, and it is set aside.
UNAVAILABLE: tuple[type[Exception], ...] = (
    *DATABASE_UNAVAILABLE,
    sqlalchemy.exc.DisconnectionError,
    psycopg.InterfaceError,
    OSError,
)


def naive_utc(moment: datetime) -> datetime:
    """Recorded times are stored as naive UTC on both databases.

    Made by ``datetime.combine`` of the day and the (naive) time of day, not by
    ``replace(tzinfo=None)``: the same moment, a third of the cost (``replace`` parses its
    keywords), which a rebuild pays once for every event; a stored time is UTC already."""
    zone = moment.tzinfo
    if zone is None:
        return moment
    if zone is not UTC:
        moment = moment.astimezone(UTC)
    return datetime.combine(moment.date(), moment.time())


def known_rows(table: Any, known_at: datetime | None) -> list[Any]:
    """Conditions for the rows of a bitemporal table believed at ``known_at``: recorded by
    then and not superseded by then (every current row without a moment)."""
    superseding = "superseded_at" in table.c
    if known_at is None:
        return [table.c.superseded_at.is_(None)] if superseding else []
    moment = naive_utc(known_at)
    conditions = [table.c.recorded_at <= moment]
    if superseding:
        conditions.append(or_(table.c.superseded_at.is_(None), table.c.superseded_at > moment))
    return conditions


def stored_utc(moment: datetime) -> datetime:
    """A recorded time as read back (naive UTC), with its zone again."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Amount(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC(38, 6) on PostgreSQL, decimal text on SQLite.

    SQLite would store NUMERIC as a float; text keeps every digit, and ``exact_sum`` adds it.
    """

    impl = Numeric(38, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(postgresql.NUMERIC(38, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def as_stored(column: Any) -> Any:
    """``column`` read back as the driver gives it, not converted row by row in Python: an
    amount as decimal text (SQLite) or a ``Decimal`` (PostgreSQL), a date as ISO text or a
    ``date``. For reads of many rows that convert only some (``stored_date`` and
    ``Decimal`` take either form)."""
    return type_coerce(column, NullType()).label(column.name)


def stored_date(value: date | str) -> date:
    """A date read ``as_stored``."""
    return date.fromisoformat(value) if isinstance(value, str) else value


class exact_sum(FunctionElement[Decimal]):
    """SUM that never goes through floating point."""

    type = Amount()
    inherit_cache = True


@compiles(exact_sum)
def _sum_default(element: exact_sum, compiler: Any, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(exact_sum, "sqlite")
def _sum_sqlite(element: exact_sum, compiler: Any, **kw: Any) -> str:
    # The aggregate is Python, called once per row it is given; a NULL (a count of jobs has
    # no amount: a fifth of a ledger) adds nothing, so it is not given one.
    amount = compiler.process(element.clauses, **kw)
    return f"decimal_sum({amount}) FILTER (WHERE {amount} IS NOT NULL)"


class negated(FunctionElement[Decimal]):
    """An amount with its sign turned, exactly (on SQLite amounts are decimal text: the sign
    is turned in the text, never through floating point)."""

    type = Amount()
    inherit_cache = True


@compiles(negated)
def _negated_default(element: negated, compiler: Any, **kw: Any) -> str:
    return f"-({compiler.process(element.clauses, **kw)})"


@compiles(negated, "sqlite")
def _negated_sqlite(element: negated, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"(CASE WHEN substr({text}, 1, 1) = '-' THEN substr({text}, 2) ELSE '-' || {text} END)"


def _decimal_add(left: str | None, right: str | None) -> str | None:
    """SQLite function: the sum of two decimal texts (either may be NULL)."""
    if left is None or right is None:
        return left if right is None else right
    return str(Decimal(left) + Decimal(right))


class _DecimalSum:
    """SQLite aggregate over decimal text."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: str | None) -> None:
        if value is not None:
            self.total = (self.total or Decimal(0)) + Decimal(value)

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)


def create_readmodel_engine(settings: Settings, *, pool_size: int | None = None) -> Engine:
    """An engine on the tracker's database; on PostgreSQL every table is in ``db_schema``."""
    url = settings.sqlalchemy_url()
    if settings.is_postgres:
        engine = create_engine(
            url,
            pool_size=pool_size or settings.pool_size,
            max_overflow=0,
            pool_timeout=settings.db_timeout,
            pool_pre_ping=True,
            connect_args={"connect_timeout": settings.db_timeout},
            execution_options={"schema_translate_map": {None: settings.db_schema}},
        )
        return engine
    engine = create_engine(url, connect_args={"timeout": settings.db_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.create_aggregate("decimal_sum", 1, _DecimalSum)
        dbapi_connection.create_function("decimal_add", 2, _decimal_add, deterministic=True)
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=FULL")

    return engine
