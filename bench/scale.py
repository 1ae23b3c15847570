"""As-of reports and ``changes`` on the scale data set, in a database of its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import data
from bench.databases import (
    Database,
    Opened,
    analyze,
    copy_event_log,
    opened,
    postgres_database,
    sqlite_database,
)
from bench.figures import Figure, Run
from bench.in_process import measure_verification
from bench.measure import median_seconds
from tracker.readmodel import reports
from tracker.readmodel.activity import what_changed
from tracker.readmodel.rebuild import rebuild
from tracker.readmodel.reports import ReportQuery


def measure_scale(run: Run, db_kind: Database) -> None:
    label = db_kind.label
    projects = run.args.scale_projects
    events = run.args.scale_events
    per_project = max(3, events // projects)
    maker = (
        postgres_database("scale")
        if db_kind.settings.is_postgres
        else sqlite_database(run.logs, "scale")
    )
    with maker as db, opened(db) as handle:
        if db.settings.is_postgres and run.scale_log is not None:
            source, generated = run.scale_log
            started = time.perf_counter()
            copied = copy_event_log(source, db)
            run.facts[f"scale data set ({label})"] = (
                f"SQLite's {copied:,} events copied with their positions, snapshots and links "
                f"in {time.perf_counter() - started:.1f} s (COPY)"
            )
        else:
            generated = data.generate(
                handle.tracker,
                portfolios=1,
                projects=projects,
                events_per_project=per_project,
                deadline=time.monotonic() + run.args.scale_seconds,
            )
            run.facts[f"scale generation ({label})"] = (
                f"{len(generated.project_ids):,} projects, {generated.events:,} events in "
                f"{generated.seconds:.1f} s ({generated.rate:,.0f} events/s, batched saves)"
            )
            if not db.settings.is_postgres:
                run.scale_log = db.settings.sqlite_path, generated
        # The projector's rebuild makes the view of a whole log at once: faster than catching
        # up batch by batch, and the same tables (tests/integration/test_projector_crash.py).
        started = time.perf_counter()
        applied = rebuild(handle.projector)
        project_seconds = time.perf_counter() - started
        run.facts[f"scale projection ({label})"] = (
            f"{applied:,} positions rebuilt in {project_seconds:.1f} s "
            f"({applied / project_seconds:,.0f} events/s, the projector's rebuild)"
        )
        scale_reports(run, db, handle, generated, len(generated.project_ids))
        decode_seconds = measure_verification(
            run, db, handle, scale=", the scale data set", repeat=1
        )
        run.add(
            Figure(
                "rebuild",
                label,
                f"projector rebuild ({applied:,} events, the scale data set)",
                applied / project_seconds,
                "events/s",
                "read + decode the same events",
                applied / decode_seconds,
                ("≥", 0.5),
                note=f"rebuild {project_seconds:.1f} s (from an empty view: the data set's "
                f"first), read + decode {decode_seconds:.2f} s",
            )
        )


def measure_changes(
    run: Run,
    label: str,
    timed_call: Callable[[Callable[[Any], object]], float],
    base: ReportQuery,
    as_of: date,
    scale: str,
) -> None:
    """``changes`` (the API's computation, events page included) over a month of value dates,
    as known now: the figures at both ends and every difference explained."""
    month = (replace(base, as_of=as_of), replace(base, as_of=as_of + timedelta(days=30)))
    # As the API computes it by default: 100 events, the titles of 20 contributions a figure.
    took = timed_call(lambda conn: what_changed(conn, *month, limit=100, contributions=20))
    run.add(
        Figure(
            "as-of at scale",
            label,
            f"changes over a month (as_of {month[0].as_of} → {month[1].as_of})",
            took,
            "ms",
            "—",
            None,
            ("abs≤", 500.0),
            note=scale + "; computed in-process (the API serves a repeat from memory)",
        )
    )


def scale_reports(
    run: Run, db: Database, handle: Opened, generated: data.Generated, projects: int
) -> None:
    label = db.label
    portfolio = generated.portfolio_ids[0]
    middle = generated.middle or datetime.now(UTC)
    as_of = data.FIRST_DAY + timedelta(days=data.DAYS // 2)
    base = ReportQuery(portfolio)
    scale = f"{projects:,} projects, {generated.events:,} events"

    def one(query: ReportQuery) -> None:
        with handle.engine.connect() as conn:
            reports.progress(conn, query)

    def timed(query: ReportQuery) -> float:
        return timed_call(lambda conn: reports.progress(conn, query))

    def timed_call(call: Callable[[Any], object]) -> float:
        """Median milliseconds of ``call(conn)`` on a connection of its own each time."""

        def once() -> None:
            with handle.engine.connect() as conn:
                call(conn)

        return median_seconds(once, repeat=5, budget=20) * 1000

    # Straight after a bulk load the planner has no statistics (PostgreSQL's autovacuum has
    # not run yet, or is off as on this test server; SQLite never gathers them by itself).
    # One run only: without statistics the report's join is quadratic in the projects.
    unanalyzed = None
    if generated.events <= 250_000:
        started = time.perf_counter()
        one(base)
        unanalyzed = (time.perf_counter() - started) * 1000
    analyze(db, handle.engine)
    current = timed(base)
    if unanalyzed is not None:
        run.add(
            Figure(
                "as-of at scale",
                label,
                "current progress, no planner statistics yet",
                unanalyzed,
                "ms",
                "same after ANALYZE",
                current,
                ("≤", 1.5),
                note=scale + "; one run, straight after the bulk load",
            )
        )
    for what, query in (
        (f"progress as_of={as_of}", replace(base, as_of=as_of)),
        ("progress known_at=(mid-generation)", replace(base, known_at=middle)),
        ("progress as_of + known_at", replace(base, as_of=as_of, known_at=middle)),
    ):
        took = timed(query)
        run.add(
            Figure(
                "as-of at scale",
                label,
                what,
                took,
                "ms",
                "current progress, same data",
                current,
                ("≤", 5.0),
                note=scale + "; after ANALYZE",
            )
        )
        run.add(
            Figure(
                "as-of at scale",
                label,
                f"{what}: latency",
                took,
                "ms",
                "—",
                None,
                ("abs≤", 250.0),
                note=scale + "; computed in-process (the API serves a repeat from memory)",
            )
        )
    measure_changes(run, label, timed_call, base, as_of, scale)
    run.add(
        Figure(
            "as-of at scale",
            label,
            "current progress report",
            current,
            "ms",
            "—",
            None,
            None,
            note=scale + "; after ANALYZE; in-process, no HTTP",
        )
    )
