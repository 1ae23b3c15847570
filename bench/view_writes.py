"""The floor under a rebuild: the rows of the view written again, and nothing else.

A rebuild reads and decodes the log, works out each row, writes the rows and builds the
indexes the copies were made without. Its reference (read + decode) is only the first part;
this is the third and fourth: every row of the rebuilt view, already in memory, written by
the projector's own writer (tracker/readmodel/bulk_rows.py) into fresh copies of the tables,
in the rebuild's batches and transactions, then the deferred indexes built. Read + decode
plus this is what no rebuild can go below, however little it computes.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bench.databases import Opened
from tracker.readmodel import swap
from tracker.readmodel.bulk_rows import append_rows
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import REBUILD_BATCH
from tracker.readmodel.views import LIVE, rebuild_views


def write_view_again(handle: Opened) -> tuple[int, float]:
    """Write every row of the live view into fresh copies, as a rebuild writes its own:
    the rows written, and the seconds it took (the copies are dropped after)."""
    copies = rebuild_views()
    rows: list[tuple[Any, list[dict[str, Any]]]] = []
    with handle.engine.connect() as conn:
        for live, copy in zip(LIVE.all(), copies.all(), strict=True):
            rows.append((copy, [dict(row._mapping) for row in conn.execute(select(live))]))
    writer = Projector(
        handle.tracker, handle.engine, name="bench-floor", views=copies, rebuilding=True
    )
    with handle.engine.begin() as conn:
        swap.create(conn, copies)
    try:
        started = time.perf_counter()
        longest = max(len(table_rows) for _, table_rows in rows)
        for start in range(0, longest, REBUILD_BATCH):
            with writer.transaction() as conn:
                for copy, table_rows in rows:
                    append_rows(conn, copy, table_rows[start : start + REBUILD_BATCH])
        with writer.transaction() as conn:
            swap.more_memory(conn)
            swap.finish(conn, copies)
        seconds = time.perf_counter() - started
    finally:
        with handle.engine.begin() as conn:
            swap.drop(conn, copies)
    return sum(len(table_rows) for _, table_rows in rows), seconds
