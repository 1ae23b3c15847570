"""A rebuild's copies of the view tables: made beside the live ones, finished once loaded, and
swapped in by renaming them, in the swap's transaction.

Renaming instead of copying every row back into the live tables spares the second write of
every row and the live indexes maintained row by row. After the swap the schema must be what
the migrations made, name for name (tests/integration/test_rebuild_schema.py):

- PostgreSQL: each live table is dropped and its copy renamed to it, then the copy's
  constraints, indexes and sequences, named after the copy, are renamed to the live names
  (``rm_plans_next_pkey`` → ``rm_plans_pkey``, ``ix_rm_plans_project_next`` →
  ``ix_rm_plans_project``). The reports' indexes are built on the copies once they are
  loaded, before the swap (:func:`finish`), so readers, who wait for the swap's locks, wait
  only for the renames. Every live table is locked at once, first, waiting at most
  ``LOCK_TIMEOUT`` for readers (else the swap is tried again: :class:`SwapBlocked`).
- SQLite has no ``ALTER INDEX … RENAME``. Its copies get every index before the swap too
  (:func:`finish`), and the swap gives each copy index whose text is the live one's but for
  the names its live name and text in the schema table (``writable_schema``, as SQLite's
  documentation allows for a change that leaves the stored content alone; the index's
  b-tree is untouched), then reloads the schema (``writable_schema = RESET``). Rebuilding
  them under the live names instead cost the swap as much as making them over again (7 s of
  a million-event rebuild). An index of the live table that no copy index matches is made
  again from the live text; a copy index that matches none is dropped. SQLite also writes
  the new name quoted into the table's ``CREATE TABLE`` text; when that quoting is the only
  difference from the live table's text, the live text is put back the same way, and any
  other difference stops the swap.

Which names each table had is compared after the renames; any difference stops the swap too,
and the transaction leaves the live tables as they were.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table, bindparam, text
from sqlalchemy.exc import DBAPIError

from tracker.readmodel.views import DEFERRED, REBUILD_SUFFIX, Views

#: How long the swap waits for readers to let go of the live tables (PostgreSQL) before it
#: gives up and is tried again: readers that come meanwhile queue behind it.
LOCK_TIMEOUT = "3s"

#: PostgreSQL: the memory the finishing of loaded copies may take, in its transaction only:
#: the deferred indexes sorted in memory rather than in temporary files (the server's
#: default ``maintenance_work_mem`` is 64 MB), and the recounts' groupings hashed in memory
#: (``work_mem``, 4 MB by default: a million ledger rows grouped per checkpoint and key spill).
FINISHING_MEMORY = {"maintenance_work_mem": "256MB", "work_mem": "64MB"}

#: SQLSTATEs of a swap that met readers' locks: deadlock detected, lock not available.
BLOCKED = frozenset({"40P01", "55P03"})

#: (table, kind, name) of what belongs to a table besides its columns.
Owned = set[tuple[str, str, str]]


class SwapBlocked(Exception):
    """Readers held the live tables longer than the swap waits (or a deadlock with one of
    them); nothing was swapped, and the swap may be tried again."""


class SwapRefused(Exception):
    """The copies do not describe as the live tables do; nothing was swapped."""


def create(conn: Connection, copies: Views) -> None:
    """Empty copies (whatever an earlier rebuild left is dropped), with their lookup indexes."""
    tables = copies.all()
    tables[0].metadata.drop_all(conn, tables=tables)
    tables[0].metadata.create_all(conn, tables=tables, checkfirst=False)  # none is left


def more_memory(conn: Connection) -> None:
    """PostgreSQL: ``FINISHING_MEMORY`` for the rest of the caller's transaction."""
    if conn.dialect.name != "postgresql":
        return
    for setting, value in FINISHING_MEMORY.items():
        conn.exec_driver_sql(f"SET LOCAL {setting} = '{value}'")


def finish(conn: Connection, copies: Views) -> None:
    """Build the indexes the copies were created without, over the loaded rows; the swap
    gives them their live names."""
    for table in copies.all():
        for index in table.info.get(DEFERRED, ()):
            index.create(conn)


def analyze(conn: Connection, tables: Sequence[Table]) -> None:
    """PostgreSQL: gather the planner's statistics on loaded copies, before the rebuild
    queries them (its recount would otherwise sort every ledger row by its text keys,
    expecting a hundred) and before they are swapped in: a table keeps its statistics when
    it is renamed, so the live tables need no second ``ANALYZE``. (SQLite's are refreshed
    after the swap.)"""
    if conn.dialect.name != "postgresql":
        return
    schema = conn.get_execution_options()["schema_translate_map"][None]
    quote = conn.dialect.identifier_preparer.quote
    if tables:  # one statement for all: one round trip
        listed = ", ".join(f"{quote(schema)}.{quote(table.name)}" for table in tables)
        conn.exec_driver_sql(f"ANALYZE {listed}")


def drop(conn: Connection, copies: Views) -> None:
    tables = copies.all()
    tables[0].metadata.drop_all(conn, tables=tables)


def swap(conn: Connection, live: Views, copies: Views) -> None:
    """Replace each live table by its copy, inside the caller's transaction."""
    pairs = list(zip(live.all(), copies.all(), strict=True))
    if conn.dialect.name == "postgresql":
        _swap_postgres(conn, pairs)
    else:
        _swap_sqlite(conn, pairs)


def live_name(name: str, copy: str, table: str) -> str:
    """What an object of the copy ``copy`` is called once it is the live ``table``'s."""
    if name.startswith(copy):
        return table + name[len(copy) :]
    if name.endswith(REBUILD_SUFFIX):
        return name[: -len(REBUILD_SUFFIX)]
    return name


# PostgreSQL

_OWNED_POSTGRES = text(
    """
    SELECT c.relname, 'constraint', k.conname FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND c.relname IN :tables
    UNION ALL
    SELECT c.relname, 'index', i.relname FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND c.relname IN :tables
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
    UNION ALL
    SELECT c.relname, 'sequence', s.relname FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
    AND d.deptype IN ('a', 'i') AND n.nspname = :schema AND c.relname IN :tables
    """
).bindparams(bindparam("tables", expanding=True))


def _owned_postgres(conn: Connection, schema: str, tables: Sequence[str]) -> Owned:
    rows = conn.execute(_OWNED_POSTGRES, {"schema": schema, "tables": list(tables)})
    return {(row[0], row[1], row[2]) for row in rows}


def _swap_postgres(conn: Connection, pairs: list[tuple[Table, Table]]) -> None:
    schema = conn.get_execution_options()["schema_translate_map"][None]
    quote = conn.dialect.identifier_preparer.quote

    def qualified(name: str) -> str:
        return f"{quote(schema)}.{quote(name)}"

    names = {copy.name: table.name for table, copy in pairs}
    before = _owned_postgres(conn, schema, list(names.values()))
    made = _owned_postgres(conn, schema, list(names))
    # All at once, first: readers wait from here to the commit, and a reader that holds one
    # table while it asks for another meets the swap before it has dropped anything.
    live = ", ".join(qualified(table.name) for table, _ in pairs)
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        conn.exec_driver_sql(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) in BLOCKED:
            raise SwapBlocked(str(error.orig).strip()) from error
        raise
    for table, copy in pairs:
        conn.exec_driver_sql(f"DROP TABLE {qualified(table.name)}")
        rename_table(conn, qualified(copy.name), quote(table.name))
    renames = {
        "constraint": "ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}",
        "index": "ALTER INDEX {schema}.{old} RENAME TO {new}",
        "sequence": "ALTER SEQUENCE {schema}.{old} RENAME TO {new}",
    }
    for copy_name, kind, name in sorted(made):
        new = live_name(name, copy_name, names[copy_name])
        if new != name:
            statement = renames[kind].format(
                table=qualified(names[copy_name]),
                schema=quote(schema),
                old=quote(name),
                new=quote(new),
            )
            conn.exec_driver_sql(statement)
    after = _owned_postgres(conn, schema, list(names.values()))
    if after != before:
        raise SwapRefused(
            f"the copies' constraints, indexes and sequences are not named as the live ones: "
            f"{sorted(after - before)} instead of {sorted(before - after)}"
        )


def rename_table(conn: Connection, old: str, new: str) -> None:
    """``ALTER TABLE … RENAME``: ``old`` as the dialect qualifies it, ``new`` bare."""
    conn.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")


# SQLite


def _sqlite_objects(conn: Connection, kind: str, table: str) -> list[tuple[str, str]]:
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        (kind, table),
    )
    return [(row[0], row[1]) for row in rows]


def _swap_sqlite(conn: Connection, pairs: list[tuple[Table, Table]]) -> None:
    # A SQLite built with secure deletion (Debian's) overwrites every page a dropped table
    # frees: the whole old view written once more, half the swap's time. The old rows are
    # the event log's, which the same file keeps: FAST overwrites only what costs no write.
    [(secure,)] = conn.exec_driver_sql("PRAGMA secure_delete").fetchall()
    conn.exec_driver_sql("PRAGMA secure_delete = FAST")
    try:
        _rename_sqlite(conn, pairs)
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete = {('OFF', 'ON', 'FAST')[secure]}")


def _rename_sqlite(conn: Connection, pairs: list[tuple[Table, Table]]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    texts: list[tuple[str, str, str, str]] = []  # (type, name now, live name, live text)
    remade: list[str] = []  # the live indexes no copy index matched, made again
    for table, copy in pairs:
        [(_, live_sql)] = _sqlite_objects(conn, "table", table.name)
        live = dict(_sqlite_objects(conn, "index", table.name))
        made = _sqlite_objects(conn, "index", copy.name)
        conn.exec_driver_sql(f"DROP TABLE {quote(table.name)}")
        rename_table(conn, quote(copy.name), quote(table.name))
        [(_, renamed_sql)] = _sqlite_objects(conn, "table", table.name)
        if renamed_sql != live_sql:
            _check_table_text(table.name, live_sql, renamed_sql)
            texts.append(("table", table.name, table.name, live_sql))
        matched: set[str] = set()
        for name, sql in made:
            new = live_name(name, copy.name, table.name)
            if new in live and _same_index(sql, live[new], (name, copy.name), (new, table.name)):
                texts.append(("index", name, new, live[new]))
                matched.add(new)
            else:
                conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        remade.extend(sql for name, sql in live.items() if name not in matched)
    if texts:
        conn.exec_driver_sql("PRAGMA writable_schema = ON")
        try:
            for kind, name, new, sql in texts:
                conn.exec_driver_sql(
                    "UPDATE sqlite_master SET name = ?, sql = ? WHERE type = ? AND name = ?",
                    (new, sql, kind, name),
                )
        finally:
            conn.exec_driver_sql("PRAGMA writable_schema = RESET")  # and read the schema again
    for sql in remade:
        conn.exec_driver_sql(sql)


def _same_index(sql: str, live_sql: str, copy: tuple[str, str], live: tuple[str, str]) -> bool:
    """Whether a copy's index (``copy``: its name, its table's) is the live one's text but
    for the names."""
    (name, table), (new, live_table) = copy, live
    return (
        sql.replace(f"INDEX {name} ON {table} (", f"INDEX {new} ON {live_table} (", 1) == live_sql
    )


def _check_table_text(table: str, live_sql: str, renamed_sql: str) -> None:
    """Refuse a copy whose ``CREATE TABLE`` text is not the live one's but for the quotes
    the rename put around its name."""
    if renamed_sql.replace(f'"{table}"', table, 1) != live_sql:
        raise SwapRefused(
            f"the copy of {table} is not defined as the live table: {renamed_sql!r} "
            f"instead of {live_sql!r}"
        )
