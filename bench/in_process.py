"""In-process figures on one database: writes in a loop, long histories, rebuild,
verification and the hash chain's cost on writes.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from bench import chain, data
from bench.databases import Database, Opened
from bench.figures import Figure, Run
from bench.measure import interleaved_medians, median_seconds, profiling, summarize
from bench.reads import WRITE_CONNECTIONS
from bench.view_writes import write_view_again
from tracker.domain.commands import CommitInvestment
from tracker.domain.values import Envelope, Money
from tracker.readmodel.rebuild import rebuild

LONG_HISTORY = 10_025  # 25 events past the snapshot at 10,000: the average case
SHORT_HISTORY = 10


def measure_loop_writes(
    run: Run, db: Database, handle: Opened, projects: list[uuid.UUID], http_rate: float
) -> None:
    """The same command, in-process, one after the other, on the same database."""
    command = CommitInvestment(Money(Decimal("1000.00"), "USD"))
    envelope = Envelope("bench", date(2025, 2, 1))
    for project in projects[:5]:  # warm up
        handle.tracker.record(project, command, envelope)
    count = 0
    started = time.perf_counter()
    deadline = started + run.args.seconds
    while time.perf_counter() < deadline:
        handle.tracker.record(projects[count % len(projects)], command, envelope)
        count += 1
    rate = count / (time.perf_counter() - started)
    handle.projector.catch_up()
    run.add(
        Figure(
            "write",
            db.label,
            "POST …/events, durable (HTTP)",
            http_rate,
            "events/s",
            "TrackerApplication.record loop",
            rate,
            ("≥", 0.6),
            note=f"{WRITE_CONNECTIONS} connections; the loop is one thread, no HTTP, no projection",
        )
    )


def measure_histories(run: Run, db: Database, handle: Opened, portfolio: uuid.UUID) -> None:
    tracker = handle.tracker
    long_id = data.long_history(tracker, portfolio, LONG_HISTORY)
    short_id = data.long_history(tracker, portfolio, SHORT_HISTORY)
    handle.projector.catch_up()
    long_load, short_load = interleaved_medians(
        lambda: tracker.project(long_id), lambda: tracker.project(short_id), repeat=500, budget=8
    )
    now = datetime.now(UTC)
    known_load = median_seconds(lambda: tracker.project(long_id, known_at=now), repeat=5, budget=10)
    run.add(
        Figure(
            "histories",
            db.label,
            f"load a project of {LONG_HISTORY:,} events",
            long_load * 1000,
            "ms",
            f"a project of {SHORT_HISTORY} events",
            short_load * 1000,
            ("≤", 3.0),
            note=f"snapshots every {db.settings.snapshot_interval} events",
        )
    )
    run.add(
        Figure(
            "histories",
            db.label,
            "same, as known at a moment (?known_at)",
            known_load * 1000,
            "ms",
            f"a project of {SHORT_HISTORY} events",
            short_load * 1000,
            None,
            note="folds every event: no snapshot is used for known_at",
        )
    )


#: Rebuilds (each beside a read + decode of the same log) whose medians make the figure.
REBUILDS = 3


def measure_rebuild(run: Run, db: Database, handle: Opened) -> None:
    events, _ = chain.read_and_decode(handle.tracker)
    decode_seconds, rebuild_seconds = interleaved_medians(
        lambda: chain.read_and_decode(handle.tracker),
        lambda: rebuild(handle.projector),
        repeat=REBUILDS,
        budget=60,
    )
    # Profiled on a second rebuild: the sampler's own start and stop stay out of the figure.
    out = run.logs / f"rebuild-{db.label}.txt"
    with profiling(run.py_spy, os.getpid(), min(rebuild_seconds + 1, 6), out):
        rebuild(handle.projector)
    if run.py_spy and out.exists():
        run.profiles.append(
            summarize(
                out,
                f"Projector rebuild ({db.label})",
                focus="tracker/readmodel/rebuild.py",  # any frame of it: inside rebuild()
            )
        )
    run.add(
        Figure(
            "rebuild",
            db.label,
            f"projector rebuild ({events:,} events)",
            events / rebuild_seconds,
            "events/s",
            "read + decode the same events",
            events / decode_seconds,
            ("≥", 0.5),
            note=f"rebuild {rebuild_seconds:.2f} s, read + decode {decode_seconds:.2f} s "
            f"(medians of {REBUILDS}, taken turn about)",
        )
    )
    rows, write_seconds = write_view_again(handle)
    floor_seconds = decode_seconds + write_seconds
    run.add(
        Figure(
            "rebuild",
            db.label,
            "same, next to its floor",
            events / rebuild_seconds,
            "events/s",
            "read + decode, and the view's rows written alone",
            events / floor_seconds,
            None,
            note=f"the floor: read + decode ({decode_seconds:.2f} s), then the {rows:,} rows of "
            f"the rebuilt view written again by the projector's own writer into fresh copies "
            f"with their indexes, nothing computed ({write_seconds:.2f} s)",
        )
    )


def measure_verification(
    run: Run, db: Database, handle: Opened, scale: str = "", repeat: int = REBUILDS
) -> float:
    """``tracker verify`` next to read + decode of the same events (medians of ``repeat``
    runs of each, turn about); returns the seconds of the read + decode."""
    events, verify_seconds, decode_seconds = chain.verification(
        handle.tracker, handle.engine, repeat
    )
    run.add(
        Figure(
            "integrity",
            db.label,
            f"tracker verify ({events:,} events{scale})",
            events / verify_seconds,
            "events/s",
            "read + decode the same events",
            events / decode_seconds,
            ("≥", 0.5),
            note=f"verify {verify_seconds:.2f} s, read + decode {decode_seconds:.2f} s"
            + (f" (medians of {repeat}, taken turn about)" if repeat > 1 else ""),
        )
    )
    return decode_seconds


def measure_chain_writes(run: Run, db: Database, handle: Opened, projects: list[uuid.UUID]) -> None:
    """After everything that verifies or rebuilds its database: the writes without the chain
    leave events without links (the import-memory section's dry runs write nothing)."""
    chained, unchained = chain.writes_with_and_without(handle.tracker, projects, run.args.seconds)
    run.add(
        Figure(
            "integrity",
            db.label,
            "TrackerApplication.record with the hash chain",
            chained,
            "events/s",
            "the same writes without it",
            unchained,
            ("≥", 0.95),
            note="one event per transaction (the chain's worst case), blocks of "
            f"{chain.BLOCK} s alternating, each side's median block",
        )
    )
