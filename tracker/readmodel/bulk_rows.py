"""Appending many new rows to a read-model table through the driver, not a statement per row.

SQLAlchemy's ``executemany`` builds and processes the parameters of every row in Python
(the largest single cost of a rebuild after decoding events). Here the values are converted
once per column with the column types' own bind processors, then handed to the driver as
they are: PostgreSQL takes them with ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy``),
SQLite with the DB-API ``executemany``. Both run on the caller's connection, inside its
transaction.

Only for plain appends: the columns are the table's, less its autoincrement ``id``; a row
that lacks a column gives it NULL (the view tables have no column defaults).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

Row = dict[str, Any]


def append_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (dicts by column name) into ``table`` inside ``conn``'s transaction."""
    if not rows:
        return
    dialect = conn.dialect
    columns = [c for c in table.columns if c is not table.autoincrement_column]
    names = [c.name for c in columns]
    processors = [
        (index, process)
        for index, process in enumerate(
            c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        )
        if process is not None
    ]
    values = [[row.get(name) for name in names] for row in rows]
    for record in values if processors else ():
        for index, process in processors:
            value = record[index]
            if value is not None:
                record[index] = process(value)
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
