"""The hash chain's cost (docs/integrity.md): the write path with and without it, and
verifying the log against reading and decoding the same events.

Only numbers here; bench/run.py turns them into figures next to their references.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from bench.measure import interleaved_medians
from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment
from tracker.domain.values import Envelope, Money
from tracker.integrity.verify import verify_log
from tracker.readmodel.projector import BATCH

#: Seconds of one block of writes; blocks with and without the chain alternate, so that
#: whatever else the machine does falls on both alike.
BLOCK = 0.5


def read_and_decode(tracker: TrackerApplication) -> tuple[int, float]:
    """Read every notification in the projector's batches and decode it; nothing else.
    The events read and the seconds it took."""
    recorder, mapper = tracker.recorder, tracker.mapper
    count, start = 0, 0
    started = time.perf_counter()
    while True:
        batch = recorder.select_notifications(start=start, limit=BATCH, inclusive_of_start=False)
        if not batch:
            break
        for notification in batch:
            mapper.to_domain_event(notification)
        count += len(batch)
        start = batch[-1].id
    return count, time.perf_counter() - started


def verification(
    tracker: TrackerApplication, engine: Engine, repeat: int = 1
) -> tuple[int, float, float]:
    """Verify the whole log, and read and decode it, ``repeat`` times turn about: the
    events, and the median seconds of each."""
    walked: list[int] = []

    def verify() -> None:
        found = verify_log(tracker.store, engine)
        if not found.holds:
            raise RuntimeError(f"the bench's own log does not verify: {found.problems()}")
        walked.append(found.walked.events)

    verify_seconds, decode_seconds = interleaved_medians(
        verify, lambda: read_and_decode(tracker), repeat=repeat, budget=60
    )
    return walked[-1], verify_seconds, decode_seconds


def writes_with_and_without(
    tracker: TrackerApplication, projects: list[uuid.UUID], seconds: float
) -> tuple[float, float]:
    """Events/s of ``TrackerApplication.record`` (one event per transaction, the chain's
    worst case) with the chain, and the same writes without it, in alternating blocks: each
    side's median block (a block that meets a WAL checkpoint or another process's burst is
    one block of many, not a tenth of the figure).

    The writes without it leave events without links: nothing may verify the log after it.
    """
    command = CommitInvestment(Money(Decimal("1000.00"), "USD"))
    envelope = Envelope("bench", date(2025, 2, 1))
    rates: dict[bool, list[float]] = {True: [], False: []}
    block = written = 0
    try:
        while min(len(r) for r in rates.values()) * BLOCK < seconds:
            chained = block % 2 == 0
            tracker.store.chained = chained
            count = 0
            started = time.perf_counter()
            while time.perf_counter() - started < BLOCK:
                tracker.record(projects[written % len(projects)], command, envelope)
                written += 1
                count += 1
            rates[chained].append(count / (time.perf_counter() - started))
            block += 1
    finally:
        tracker.store.chained = True
    return statistics.median(rates[True]), statistics.median(rates[False])
