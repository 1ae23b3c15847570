"""Rebuilding the read model: the whole log applied again into copies of the view's tables,
in big batches, and swapped in once they reach the head.

Readers keep the live figures meanwhile; a rebuild that stops leaves them untouched (the next
one starts its copies afresh). The copies are written by a projector of their own (their own
position row, ``REBUILD_NAME``), so an event that cannot be applied is set aside there as it
is live: no single event stops a rebuild either. The swap renames the copies to the live
tables' names in one transaction (tracker/readmodel/swap.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import delete, insert, update

from tracker.domain.errors import N_, TrackerError
from tracker.readmodel import fact_checkpoints, swap
from tracker.readmodel import tables as t
from tracker.readmodel.collector import collector_paused
from tracker.readmodel.fact_totals import recount
from tracker.readmodel.projector import NAME, TRY_AGAIN, Projector
from tracker.readmodel.views import rebuild_views

#: Events per transaction when rebuilding the whole view.
REBUILD_BATCH = 5000
#: The position row of a rebuild's copies, beside the live one.
REBUILD_NAME = f"{NAME}:rebuild"
#: How often a rebuild tries to catch up with writes that arrive while it swaps.
SWAP_ATTEMPTS = 3

_named = t.projection_position.c.name
log = logging.getLogger("tracker.readmodel")


class RebuildFailed(TrackerError):
    """The rebuild could not swap its copies in; the live view is untouched."""


def rebuild(live: Projector, progress: Callable[[int, int], None] | None = None) -> int:
    """Apply the whole log again into copies of ``live``'s tables and swap them in once they
    reach the head; return the position the live view is then at."""
    copies = Projector(
        live.tracker, live.engine, name=REBUILD_NAME, views=rebuild_views(), rebuilding=True
    )
    _prepare(copies)
    head = live.head_position()
    while True:
        with collector_paused():
            applied = copies.next_batch(None, REBUILD_BATCH)
        if progress and applied.events:
            progress(applied.position, head)
        if applied.events < REBUILD_BATCH:
            break
    _finish(copies)
    blocked: swap.SwapBlocked | None = None
    for _ in range(SWAP_ATTEMPTS):
        copies.catch_up()  # sets aside what fails, so the swap's own catch-up will not
        try:
            position = _swap_in(live, copies)
            break
        except swap.SwapBlocked as error:
            log.warning("the rebuild's swap met readers (%s); trying again", error)
            blocked = error
        except swap.SwapRefused as error:
            raise RebuildFailed(
                N_("the rebuilt tables were not swapped in: %(detail)s"), detail=str(error)
            ) from error
        except TRY_AGAIN:
            raise
        except Exception as error:  # noqa: BLE001 - an event written meanwhile failed
            log.warning("the rebuild's last events failed (%s); catching up again", error)
    else:
        if blocked is not None:
            raise RebuildFailed(
                N_(
                    "readers held the live tables through %(tries)s tries to swap the rebuilt "
                    "ones in (%(detail)s)"
                ),
                tries=SWAP_ATTEMPTS,
                detail=str(blocked),
            )
        raise RebuildFailed(
            N_("the rebuild could not reach the end of the event log in %(tries)s tries"),
            tries=SWAP_ATTEMPTS,
        )
    if live.engine.dialect.name != "postgresql":  # PostgreSQL's copies were analyzed
        live.refresh_statistics()
    return position


def _prepare(copies: Projector) -> None:
    """Empty copies of the tables, and a position row at the start of the log."""
    with copies.engine.begin() as conn:
        swap.create(conn, copies.views)
        conn.execute(delete(t.projection_position).where(_named == copies.name))
        conn.execute(insert(t.projection_position).values(name=copies.name, position=0))
    copies.left_at(0)


def _finish(copies: Projector) -> None:
    """Once the copies are loaded: their remaining indexes, built over the loaded rows (the
    swap renames them, on SQLite too), and the ledger's sums counted once; later batches
    keep the sums as the live ones do."""
    views = copies.views
    with copies.lock, copies.transaction() as conn:
        swap.more_memory(conn)
        swap.finish(conn, views)
        sums = (views.fact_totals, views.fact_checkpoints, views.fact_checkpoint_sums)
        swap.analyze(conn, [table for table in views.all() if all(table is not s for s in sums)])
        recount(conn, views.fact_totals, views.facts, views.projects)
        fact_checkpoints.recount(conn, views)
        swap.analyze(conn, list(sums))
    copies.keeps_totals = True


def _swap_in(live: Projector, copies: Projector) -> int:
    """In one transaction: hold the live position, bring the copies to the head, put them
    in the live tables' place and move the live position there."""
    with live.lock, live.engine.begin() as conn:
        held = live.lock_position(conn)
        position = copies.lock_position(conn)
        if position is None:
            raise RebuildFailed(N_("the rebuild's position row is gone (a rival rebuild?)"))
        while notifications := live.tracker.store.stored_after(position, REBUILD_BATCH):
            copies.apply(conn, notifications)
            position = notifications[-1].id
        swap.swap(conn, live.views, copies.views)
        positions = t.projection_position
        if held is None:
            conn.execute(insert(positions).values(name=live.name, position=position))
        else:
            conn.execute(update(positions).where(_named == live.name).values(position=position))
        conn.execute(delete(positions).where(_named == copies.name))
        live.tell_watchers(conn, position)
        live.left_at(position)
    live.announce(position)
    return position
