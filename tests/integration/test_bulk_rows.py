"""Rows appended through the driver (tracker/readmodel/bulk_rows.py) are stored as
SQLAlchemy's own insert stores them: the same text for SQLite's dates and times, whichever
way a value is converted (the quick ``isoformat`` or the type's processor)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    type_coerce,
)

from tracker.readmodel.bulk_rows import append_rows
from tracker.readmodel.database import Amount


def _table(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", DateTime),
        Column("on_day", Date),
        Column("amount", Amount),
        Column("flag", Boolean),
    )


NAMES = ("at", "on_day", "amount", "flag")
ROWS: list[dict[str, Any]] = [
    {
        "at": datetime(2025, 2, 1, 10, 0, 0, 1),
        "on_day": date(2025, 2, 1),
        "amount": Decimal("1.50"),
        "flag": True,
    },
    {"at": datetime(2025, 2, 1), "on_day": date(5, 1, 1), "amount": None, "flag": False},
    {"at": date(2025, 2, 1), "on_day": None},
    {},
]
#: SQLite only: PostgreSQL's COPY reads an aware moment into a naive column without its
#: offset, which a bound parameter converts (the projector writes naive UTC moments only).
AWARE: list[dict[str, Any]] = [
    {"at": datetime(2025, 2, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=5)))},
    {"at": datetime(2025, 2, 1, tzinfo=UTC), "on_day": datetime(2025, 3, 4, 5, 6)},
]


def test_appended_rows_are_stored_as_sqlalchemy_s_insert_stores_them(engine: Engine) -> None:
    rows = ROWS + AWARE if engine.dialect.name == "sqlite" else ROWS
    by_driver, by_insert = _table("bulk_by_driver"), _table("bulk_by_insert")
    with engine.begin() as conn:
        one_column = Table("bulk_one", MetaData(), Column("at", DateTime))
        for table in (by_driver, by_insert, one_column):
            table.create(conn)
        append_rows(conn, by_driver, rows[:2])  # every column given: taken row by row
        append_rows(conn, by_driver, rows)  # some rows lack some: NULL
        append_rows(conn, one_column, [{"at": datetime(2025, 2, 1, 1, 2, 3)}])  # a 1-tuple
        conn.execute(insert(one_column), [{"at": datetime(2025, 2, 1, 1, 2, 3)}])
        conn.execute(
            insert(by_insert),
            [{**dict.fromkeys(NAMES), **r} for r in rows[:2] + rows],
        )
    with engine.connect() as conn:  # as stored: SQLite's text, not parsed back
        stored = [
            conn.execute(
                select(*(type_coerce(table.c[n], String) for n in NAMES)).order_by(table.c.id)
            ).all()
            for table in (by_driver, by_insert)
        ]
        alone = conn.execute(select(type_coerce(one_column.c.at, String))).scalars().all()
    assert len(stored[0]) == len(rows) + 2
    assert len(alone) == 2 and alone[0] == alone[1]
    assert stored[0] == stored[1]
