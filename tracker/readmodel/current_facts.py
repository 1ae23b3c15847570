"""The current ledger rows of the facts a batch's corrections and retractions name, by
(project, version of the event that recorded the fact).

A list of key pairs, ``(project_id, fact_version) IN ((…), …)``, is read over the ledger's
(project, version) index by PostgreSQL, but SQLite reads the whole ledger for it, once per
batch that corrects or retracts anything: 0.1 s at 200,000 events, growing with the ledger
(a rebuild's batches paid it over and over, and so did the live projector). On SQLite the
keys go as one JSON array instead, joined to the ledger row by row over that index.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, select, tuple_

#: The ledger row of a fact: (project id, version of the event that recorded the fact).
FactKey = tuple[str, int]
Row = dict[str, Any]

#: How many keys one ``IN (…)`` carries at most (SQLite allows 32,766 parameters).
IN_CHUNK = 1000


@cache
def _statements(facts: Table) -> tuple[Any, Any]:
    """(PostgreSQL's, SQLite's) statement for one ledger table, built once."""
    current = facts.c.superseded_position.is_(None)
    listed = (
        select(facts)
        .where(
            tuple_(facts.c.project_id, facts.c.fact_version).in_(bindparam("ids", expanding=True))
        )
        .where(current)
    )
    wanted = func.json_each(bindparam("keys")).table_valued("value", name="wanted")
    joined = (
        select(facts)
        .join_from(
            wanted,
            facts,
            and_(
                facts.c.project_id == func.json_extract(wanted.c.value, "$[0]"),
                facts.c.fact_version == func.json_extract(wanted.c.value, "$[1]"),
            ),
        )
        .where(current)
    )
    return listed, joined


def current_facts(conn: Connection, facts: Table, keys: Collection[FactKey]) -> Iterator[Row]:
    """The current rows of ``facts`` (a ledger table) with these keys."""
    if not keys:
        return
    listed, joined = _statements(facts)
    wanted = sorted(keys)
    if conn.dialect.name == "sqlite":
        for row in conn.execute(joined, {"keys": json.dumps(wanted)}):
            yield dict(row._mapping)
        return
    for start in range(0, len(wanted), IN_CHUNK):
        for row in conn.execute(listed, {"ids": wanted[start : start + IN_CHUNK]}):
            yield dict(row._mapping)
