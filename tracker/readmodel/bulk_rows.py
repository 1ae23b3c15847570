"""Appending many new rows to a read-model table through the driver, not a statement per row.

SQLAlchemy's ``executemany`` builds and processes the parameters of every row in Python
(the largest single cost of a rebuild after decoding events). Here a row's values are taken
at once (``itemgetter``) and converted a column at a time with the column types' own bind
processors (SQLite's dates and times, most of a ledger row's conversions, by the
``isoformat`` that writes the same text: half and a quarter of the processors' time), then
handed to the driver as they are:
PostgreSQL takes them with ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy``), SQLite with
the DB-API ``executemany``. Both run on the caller's connection, inside its transaction.

Only for plain appends: the columns are the table's, less its autoincrement ``id``; a row
that lacks a column gives it NULL (the view tables have no column defaults).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.types import Date, DateTime, TypeEngine

Row = dict[str, Any]
Converter = Callable[[Sequence[Any]], list[Any]]

#: A moment and a day as SQLite's DATETIME and DATE store them (SQLAlchemy's default formats).
_MOMENT, _MOMENT_TEXT = datetime(2001, 2, 3, 4, 5, 6, 7), "2001-02-03 04:05:06.000007"
_DAY, _DAY_TEXT = date(2001, 2, 3), "2001-02-03"


def append_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (dicts by column name) into ``table`` inside ``conn``'s transaction."""
    if not rows:
        return
    dialect = conn.dialect
    columns = [c for c in table.columns if c is not table.autoincrement_column]
    names = [c.name for c in columns]
    try:  # every row with every column (most batches): each row's values at once, in C
        values: list[Sequence[Any]] = (
            list(map(itemgetter(*names), rows))
            if len(names) > 1  # (a getter of one name gives its value, not a tuple)
            else [(row[names[0]],) for row in rows]
        )
    except KeyError:
        values = [tuple([row.get(name) for name in names]) for row in rows]
    converters = [
        (index, convert)
        for index, convert in (
            (index, _converter(column.type.dialect_impl(dialect), dialect))
            for index, column in enumerate(columns)
        )
        if convert is not None
    ]
    if converters:  # a column at a time, and back to rows
        by_column: list[Sequence[Any]] = list(zip(*values, strict=True))
        for index, convert in converters:
            by_column[index] = convert(by_column[index])
        values = list(zip(*by_column, strict=True))
    quote = dialect.identifier_preparer.quote
    target = quote(table.name)
    schema = _schema(conn, table)
    if schema:
        target = f"{quote(schema)}.{target}"
    listed = ", ".join(quote(name) for name in names)
    if dialect.name == "postgresql":
        driver: Any = conn.connection.driver_connection  # a psycopg connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {target} ({listed}) FROM STDIN") as copy,
        ):
            for record in values:
                copy.write_row(record)
        return
    marks = ", ".join("?" for _ in names)
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} ({listed}) VALUES ({marks})", values)
    finally:
        cursor.close()


def _schema(conn: Connection, table: Table) -> str | None:
    """The schema the connection puts the table in (``schema_translate_map``), if any."""
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    schema: str | None = translate.get(table.schema, table.schema)
    return schema


def _converter(impl: TypeEngine[Any], dialect: Dialect) -> Converter | None:
    """What turns a column's values into the driver's (``None`` if they go as they are)."""
    process = impl.bind_processor(dialect)
    if process is None:
        return None

    def each(values: Sequence[Any]) -> list[Any]:
        return [None if value is None else process(value) for value in values]

    if dialect.name != "sqlite":
        return each
    # The same text as the processor's, checked once, without its dict and format per value;
    # anything else (an aware moment, a moment in a DATE column) goes to the processor.
    if isinstance(impl, DateTime) and process(_MOMENT) == _MOMENT_TEXT:
        moment = datetime.isoformat

        def moments(values: Sequence[Any]) -> list[Any]:
            return [
                moment(value, " ", "microseconds")
                if type(value) is datetime and value.tzinfo is None
                else None
                if value is None
                else process(value)
                for value in values
            ]

        return moments
    if isinstance(impl, Date) and process(_DAY) == _DAY_TEXT:
        day = date.isoformat

        def days(values: Sequence[Any]) -> list[Any]:
            return [
                day(value) if type(value) is date else None if value is None else process(value)
                for value in values
            ]

        return days
    return each
