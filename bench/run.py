"""``make bench``: every performance figure next to its reference, measured in one run.

Each figure is a ratio of two numbers taken on the same machine, in the same run, on the same
database, so that the ratio says how close the tracker gets to what the machine (the server,
the database, the library) can do, whatever the machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench import chain, data
from bench.figures import Figure, Run, fmt
from bench.measure import (
    BIN,
    REPO,
    LagSamples,
    Server,
    WrkResult,
    ensure_py_spy,
    ensure_wrk,
    interleaved_medians,
    median_seconds,
    percentile,
    profiling,
    sampling_lag,
    start_bare,
    start_projector,
    start_server,
    summarize,
    wait_idle,
    wrk,
)
from bench.serving import measure_fan_out, measure_languages, measure_workers
from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.keys import KeyStore, Role
from tracker.readmodel import reports
from tracker.readmodel.activity import what_changed
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import BATCH, Projector
from tracker.readmodel.reports import ReportQuery
from tracker.settings import Settings
from tracker.transfer.columns import COLUMNS
from tracker.transfer.importer import Importer, import_rows

DOCS = REPO / "docs" / "BENCHMARKS.md"
BEGIN = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"
POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
READ_CONNECTIONS = 64
#: The documented peak memory (MB) of an import of a 64 MiB file (docs/import-format.md), for
#: ``tracker import`` and for the API serving it.
IMPORT_PEAK_MB = 250
IMPORT_API_PEAK_MB = 350
#: The slowest ``/health`` answer (ms) while the API runs two such imports.
IMPORT_HEALTH_MS = 1000
WRITE_CONNECTIONS = 16
LONG_HISTORY = 10_025  # 25 events past the snapshot at 10,000: the average case
SHORT_HISTORY = 10


# Figures


# Databases


@dataclass
class Database:
    label: str
    settings: Settings
    env: dict[str, str]


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        PYTHONPATH=str(REPO),
        TRACKER_RATE_LIMIT_PER_ADDRESS="0",
        TRACKER_RATE_LIMIT_PER_KEY="0",
        TRACKER_LOG_FORMAT="json",
        TRACKER_ACCESS_LOG="true",
        TRACKER_LOG_LEVEL="info",
    )
    return env


@contextmanager
def sqlite_database(directory: Path, name: str) -> Iterator[Database]:
    settings = Settings(database_url=f"sqlite:///{directory}/{name}.db")
    env = base_env()
    env.update(TRACKER_DATABASE_URL=settings.database_url, TRACKER_PROJECTOR="inprocess")
    upgrade(settings)
    yield Database("SQLite", settings, env)


@contextmanager
def postgres_database(name: str) -> Iterator[Database]:
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        settings = Settings(database_url=POSTGRES_URL, db_schema=schema, pool_size=4)
        env = base_env()
        env.update(
            TRACKER_DATABASE_URL=POSTGRES_URL,
            TRACKER_DB_SCHEMA=schema,
            TRACKER_PROJECTOR="external",
        )
        upgrade(settings)
        yield Database("PostgreSQL", settings, env)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def postgres_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}".strip()


@dataclass
class Opened:
    tracker: TrackerApplication
    engine: Any
    projector: Projector

    def close(self) -> None:
        self.engine.dispose()
        self.tracker.close()


@contextmanager
def opened(db: Database) -> Iterator[Opened]:
    tracker = TrackerApplication(db.settings)
    engine = create_readmodel_engine(db.settings, pool_size=4)
    handle = Opened(tracker, engine, Projector(tracker, engine))
    try:
        yield handle
    finally:
        handle.close()


def wait_until_applied(handle: Opened, timeout: float = 120.0) -> float:
    """Seconds until the projector (another process) has applied the whole log."""
    started = time.monotonic()
    head = handle.projector.head_position()
    while handle.projector.applied_position() < head:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the projector did not catch up with {head} in {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started


# Measurements on one database


def measure_database(run: Run, db: Database) -> None:
    label = db.label
    with opened(db) as handle:
        with run.section(f"{label}: serving (reads, languages, workers, fan-out, writes)"):
            seeded = data.generate(handle.tracker, portfolios=1, projects=74, events_per_project=15)
            handle.projector.catch_up()
            if db.settings.is_postgres:
                analyze(db, handle.engine)  # autovacuum's job in production; off on test servers
            _, token = KeyStore(handle.engine).create("bench-recorder", Role.RECORDER)
            portfolio = seeded.portfolio_ids[0]
            projects = seeded.project_ids
            ids_file = run.logs / f"projects-{label}.txt"
            ids_file.write_text("\n".join(str(p) for p in projects) + "\n")
            run.facts[f"read portfolio ({label})"] = (
                f"{len(projects)} projects, {seeded.events:,} events"
            )
            server, projector = serve(run, db)
            try:
                one_worker = measure_reads(run, db, server, portfolio)
                measure_languages(run, label, server, portfolio, READ_CONNECTIONS)
                if db.settings.is_postgres:
                    measure_workers(run, label, db.env, portfolio, one_worker)
                measure_fan_out(run, label, server, ids_file, token)
                http_writes = measure_http_writes(run, db, server, handle, ids_file, token)
                if run.py_spy:
                    profile_server(run, db, server, portfolio, ids_file, token)
            finally:
                server.process.stop()
                if projector is not None:
                    projector.stop()

        with run.section(f"{label}: in-process writes, histories, rebuild, import"):
            measure_loop_writes(run, db, handle, projects, http_writes)
            measure_histories(run, db, handle, portfolio)
            measure_rebuild(run, db, handle)
            measure_verification(run, db, handle)
            measure_import(run, db, handle)
        if run.args.import_memory_mib and not run.import_memory_measured:
            run.import_memory_measured = True  # one database is enough: a dry run writes nothing
            with run.section(f"{label}: import memory"):
                measure_import_memory(run, db, handle)
        with run.section(f"{label}: the hash chain's cost on writes"):
            measure_chain_writes(run, db, handle, projects)
    if not run.args.skip_scale:
        with run.section(f"{label}: as-of reports at scale"):
            measure_scale(run, db)


def serve(run: Run, db: Database) -> tuple[Server, Any]:
    """The API as compose runs it: on PostgreSQL with a projector process beside it."""
    projector = None
    if db.env.get("TRACKER_PROJECTOR") == "external":
        projector = start_projector(db.env, run.logs)
    server = start_server(db.env, run.logs, f"api-{db.label}")
    return server, projector


def load(server: Server, url: str, **options: Any) -> WrkResult:
    """One wrk run, once the server has finished whatever the previous run left queued."""
    wait_idle(server.pid)
    return wrk(url, **options)


#: The reads measured against the bare app: name, path under the server, target ratio.
READS = (
    ("GET /health", "/health", 0.8),
    ("GET …/progress (74 projects)", "/api/v1/portfolios/{portfolio}/progress", 0.5),
    ("GET …/breakdown?by=sector", "/api/v1/portfolios/{portfolio}/breakdown?by=sector", 0.5),
    ("the portfolio page", "/portfolios/{portfolio}", 0.5),
)


def measure_reads(run: Run, db: Database, server: Server, portfolio: uuid.UUID) -> float:
    """Each read next to a bare Litestar app answering the same body with the same server
    settings (bench/bare.py): what the middleware, the hooks and the handler cost on top of
    the framework's floor. Measured in turns (app, bare) so that both see the same machine."""
    seconds = run.args.seconds
    paths = {name: path.format(portfolio=portfolio) for name, path, _ in READS}
    bodies = {}
    for index, path in enumerate(paths.values()):
        answer = httpx.get(f"{server.url}{path}", timeout=30)
        answer.raise_for_status()
        bodies[str(index)] = {
            "body": answer.text,
            "media_type": answer.headers["content-type"],
        }
    bodies_file = run.logs / f"bare-bodies-{db.label}.json"
    bodies_file.write_text(json.dumps(bodies))
    bare = start_bare(db.env, run.logs, f"bare-{db.label}", bodies_file)
    results: dict[str, tuple[WrkResult, WrkResult]] = {}
    try:
        for index, (name, path) in enumerate(paths.items()):
            app_url = f"{server.url}{path}"
            bare_url = f"{bare.url}/health" if path == "/health" else f"{bare.url}/same/{index}"
            for url in (app_url, bare_url):
                wrk(url, seconds=1, connections=4)  # warm up: imports, caches, pools
            app_result = load(server, app_url, seconds=seconds, connections=READ_CONNECTIONS)
            bare_result = load(bare, bare_url, seconds=seconds, connections=READ_CONNECTIONS)
            results[name] = (app_result, bare_result)
    finally:
        bare.process.stop()
    wait_idle(server.pid)
    for (name, _, target), (app_result, bare_result) in zip(READS, results.values(), strict=True):
        if app_result.non_2xx or app_result.socket_errors:
            run.note(
                f"{db.label} {name}: {app_result.non_2xx} non-2xx answers, "
                f"{app_result.socket_errors} socket errors"
            )
        run.add(
            Figure(
                "read",
                db.label,
                name,
                app_result.requests_per_second,
                "req/s",
                "a bare Litestar app, same body and server settings",
                bare_result.requests_per_second,
                ("≥", target),
                note=f"{READ_CONNECTIONS} connections, one worker",
            )
        )
        run.add(
            Figure(
                "read",
                db.label,
                f"{name}: p99 latency",
                app_result.p99_ms,
                "ms",
                "the bare app's p99",
                bare_result.p99_ms,
                ("≤", 2.0) if target <= 0.5 else None,
                note=f"p50 {app_result.p50_ms:.1f} ms (bare {bare_result.p50_ms:.1f} ms)",
            )
        )
    if not run.access_log_measured:
        run.access_log_measured = True
        measure_access_log(run, db, results["GET /health"][0])
    return results[READS[1][0]][0].requests_per_second


def measure_access_log(run: Run, db: Database, default: WrkResult) -> None:
    """What the JSON access log and the rate limiter cost a trivial request."""
    variants = {
        "no access log": {"TRACKER_ACCESS_LOG": "false"},
        "rate limits on": {
            "TRACKER_RATE_LIMIT_PER_ADDRESS": "100000000",
            "TRACKER_RATE_LIMIT_PER_KEY": "100000000",
        },
    }
    results: dict[str, WrkResult] = {}
    for name, extra in variants.items():
        server = start_server({**db.env, **extra}, run.logs, f"api-{db.label}-{name}")
        try:
            wrk(f"{server.url}/health", seconds=1, connections=4)
            results[name] = load(
                server, f"{server.url}/health", seconds=run.args.seconds, connections=64
            )
        finally:
            server.process.stop()
    run.add(
        Figure(
            "read",
            db.label,
            "GET /health with the JSON access log",
            default.requests_per_second,
            "req/s",
            "same, TRACKER_ACCESS_LOG=false",
            results["no access log"].requests_per_second,
            ("≥", 0.85),
            note="both count requests in /metrics",
        )
    )
    run.add(
        Figure(
            "read",
            db.label,
            "GET /health with rate limits on (never reached)",
            results["rate limits on"].requests_per_second,
            "req/s",
            "same, limits off (as measured here)",
            default.requests_per_second,
            ("≥", 0.85),
            note="every figure here runs with TRACKER_RATE_LIMIT_*=0",
        )
    )


def measure_http_writes(
    run: Run, db: Database, server: Server, handle: Opened, ids_file: Path, token: str
) -> float:
    seconds = run.args.seconds
    script = REPO / "bench" / "wrk" / "record_event.lua"
    url = f"{server.url}/"
    wrk(url, seconds=1, connections=2, script=script, script_args=(str(ids_file), token))
    wait_until_applied(handle)
    wait_idle(server.pid)
    with sampling_lag(handle.projector.head_position, handle.projector.applied_position) as lag:
        result = wrk(
            url,
            seconds=seconds,
            connections=WRITE_CONNECTIONS,
            script=script,
            script_args=(str(ids_file), token),
        )
        settle = wait_until_applied(handle)
    if result.non_2xx or result.socket_errors:
        run.note(
            f"{db.label} writes: {result.non_2xx} non-2xx answers, "
            f"{result.socket_errors} socket errors of {result.requests}"
        )
    run.facts[f"HTTP writes ({db.label})"] = (
        f"{result.requests:,} events in {seconds:g} s, {WRITE_CONNECTIONS} connections, "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; "
        f"projector caught up {settle * 1000:.0f} ms after the load"
    )
    freshness(run, db, lag, result, "at full write load")
    # The same at about half the rate the server sustained: 4 connections, each pausing so
    # that together they ask for half of it (latency makes the rate a little lower still).
    paced_connections = 4
    pause = round(1000 * paced_connections / max(result.requests_per_second / 2, 1))
    wait_idle(server.pid)
    with sampling_lag(handle.projector.head_position, handle.projector.applied_position) as lag:
        paced = wrk(
            url,
            seconds=seconds,
            connections=paced_connections,
            script=script,
            script_args=(str(ids_file), token, str(pause)),
        )
        wait_until_applied(handle)
    freshness(run, db, lag, paced, f"at {paced.requests_per_second:.0f} writes/s (paced)")
    return result.requests_per_second


def freshness(run: Run, db: Database, lag: LagSamples, load: WrkResult, how: str) -> None:
    where = "in the API process" if db.env["TRACKER_PROJECTOR"] == "inprocess" else "separate"
    time_lags = lag.time_lags_ms()
    run.add(
        Figure(
            "freshness",
            db.label,
            f"projector lag p99 {how} ({where})",
            percentile(time_lags, 0.99),
            "ms",
            "write p99 latency",
            load.p99_ms,
            ("abs≤", 250.0),
            note=(
                f"event lag p99 {percentile(lag.event_lags(), 0.99):.0f} positions, max "
                f"{max(lag.event_lags(), default=0):.0f}; {len(time_lags)} samples every 20 ms"
            ),
        )
    )


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


def measure_rebuild(run: Run, db: Database, handle: Opened) -> None:
    events, decode_seconds = chain.read_and_decode(handle.tracker)
    started = time.perf_counter()
    handle.projector.rebuild()
    rebuild_seconds = time.perf_counter() - started
    # Profiled on a second rebuild: the sampler's own start and stop stay out of the figure.
    out = run.logs / f"rebuild-{db.label}.txt"
    with profiling(run.py_spy, os.getpid(), min(rebuild_seconds + 1, 6), out):
        handle.projector.rebuild()
    if run.py_spy and out.exists():
        run.profiles.append(
            summarize(out, f"Projector rebuild ({db.label})", focus="Projector.rebuild")
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
            note=f"rebuild {rebuild_seconds:.1f} s, read + decode {decode_seconds:.2f} s",
        )
    )


def measure_verification(run: Run, db: Database, handle: Opened, scale: str = "") -> None:
    events, verify_seconds, decode_seconds = chain.verification(handle.tracker, handle.engine)
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
            note=f"verify {verify_seconds:.2f} s, read + decode {decode_seconds:.2f} s",
        )
    )


def measure_chain_writes(run: Run, db: Database, handle: Opened, projects: list[uuid.UUID]) -> None:
    """Last on its database: the writes without the chain leave events without links."""
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
            f"{chain.BLOCK} s alternating",
        )
    )


def import_file(projects: int, rows_per_project: int, seed: int = 11) -> bytes:
    """A CSV in the import format: one portfolio, its targets, projects and their events."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="raise")
    writer.writeheader()
    ref = f"bench-{seed}"

    def row(row_id: str, kind: str, day: date, **cells: str) -> None:
        writer.writerow(
            {"row_id": row_id, "type": kind, "effective_date": day.isoformat(), **cells}
        )

    first = date(2023, 1, 1)
    row(f"{ref}-p", "portfolio", first, portfolio_ref=ref, title="Imported", forum="Bench forum")
    row(
        f"{ref}-t",
        "targets",
        first,
        portfolio_ref=ref,
        amount="1000000000",
        currency="USD",
        jobs="5000",
        projects=str(projects),
    )
    for n in range(projects):
        project = f"{ref}-{n}"
        row(
            f"{project}-1",
            "announced",
            first + timedelta(days=31),
            portfolio_ref=ref,
            project_ref=project,
            title=f"Imported plant {n}",
            sector="energy",
            regions="KZ-61;UZ-SI",
            amount="5000000.00",
            currency="USD",
            planned_jobs="100",
        )
        row(
            f"{project}-2",
            "status_changed",
            first + timedelta(days=59),
            project_ref=project,
            status="under_implementation",
        )
        for k in range(3, rows_per_project + 1):
            day = first + timedelta(days=60 + k)
            if k % 3 == 0:
                cells = {"type": "committed", "amount": f"{1000 + k}.00", "currency": "USD"}
            elif k % 3 == 1:
                cells = {"type": "disbursed", "amount": f"{500 + k}.00", "currency": "USD"}
            else:
                cells = {"type": "jobs_created", "permanent": "3", "temporary": "1"}
            kind = cells.pop("type")
            row(f"{project}-{k}", kind, day, project_ref=project, **cells)
    return buffer.getvalue().encode()


def measure_import(run: Run, db: Database, handle: Opened) -> None:
    projects, per_project = run.args.import_projects, 25
    file = import_file(projects, per_project)
    started = time.perf_counter()
    report = import_rows(handle.tracker, file, "csv", Importer(actor="bench"), source="bench.csv")
    import_seconds = time.perf_counter() - started
    events = report.events_recorded
    state_size = average_state_size(handle)
    raw_rate = raw_insert_rate(db, events, state_size)
    run.add(
        Figure(
            "import",
            db.label,
            f"import_rows ({events:,} events, check + record)",
            events / import_seconds,
            "events/s",
            "raw batched INSERT, same DB",
            raw_rate,
            ("≥", 0.25),
            note=f"batches of 1,000 rows per transaction; ~{state_size:.0f} bytes per event; "
            "read-model catch-up after the import not included",
        )
    )


def sized_import_file(path: Path, mib: float, make: Callable[[int], bytes]) -> int:
    """Write ``make(n)`` to ``path`` for the largest ``n`` whose file stays within ``mib``
    MiB (the size grows in proportion to ``n``, but for the digits of its references); the
    ``n`` chosen."""
    target = mib * 2**20
    n = max(1, int(target / len(make(100)) * 100))
    content = make(n)
    while len(content) > target and n > 1:
        n = max(1, int(n * target / len(content) * 0.995))
        content = make(n)
    path.write_bytes(content)
    return n


def peak_rss_of_import(db: Database, path: Path) -> tuple[float, float]:
    """``tracker import --dry-run FILE`` in a process of its own: its peak resident memory
    (MB) and its wall time (s).

    The peak is the child's own ``VmHWM``, read while it runs: the kernel's ``ru_maxrss`` of
    a child also counts the parent's pages it was forked with (the harness holds the files
    it generated)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "tracker"), "import", "--dry-run", str(path)],
        env=db.env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0.0
    while process.poll() is None:
        with suppress(OSError, RuntimeError):  # it may exit between poll() and the read
            peak = max(peak, resident_peak_mb(process.pid))
        time.sleep(0.02)
    if process.returncode != 0:
        raise RuntimeError(f"tracker import --dry-run {path} exited with {process.returncode}")
    return peak, time.perf_counter() - started


def resident_peak_mb(pid: int) -> float:
    """A running process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def measure_import_memory(run: Run, db: Database, handle: Opened) -> None:
    """Peak memory of imports, which stream the file a window of rows at a time.

    1. ``tracker import --dry-run`` of a file and of one four times as large with the same
       projects (four times the rows each): memory must not follow the file's size.
    2. The same for a file of the issue's size with the bench's usual 25 rows a project
       (every project new, so its aggregate is held: about 2 KB each).
    3. That file sent to the API twice at once (``POST /api/v1/imports?dry_run=true``, as
       many as ``TRACKER_MAX_CONCURRENT_IMPORTS`` lets run; a third is refused) while
       ``/health`` is asked every 50 ms: the server's peak memory and how long ``/health``
       waited.
    """
    mib = run.args.import_memory_mib
    small, large, wide = (run.logs / f"import-{n}.csv" for n in ("small", "large", "wide"))
    projects = 1000
    per_project = sized_import_file(small, mib / 4, lambda n: import_file(projects, n, seed=29))
    large.write_bytes(import_file(projects, per_project * 4, seed=29))
    small_mb, small_seconds = peak_rss_of_import(db, small)
    large_mb, large_seconds = peak_rss_of_import(db, large)
    size = large.stat().st_size / 2**20
    run.add(
        Figure(
            "import memory",
            db.label,
            f"peak RSS, import --dry-run, {size:.0f} MiB ({projects:,} projects)",
            large_mb,
            "MB",
            f"same, {small.stat().st_size / 2**20:.0f} MiB (¼ of the rows)",
            small_mb,
            ("≤", 1.25),
            note=f"{per_project * 4:,} and {per_project:,} rows a project; dry runs "
            f"{large_seconds:.0f} s and {small_seconds:.0f} s",
        )
    )
    wide_projects = sized_import_file(wide, mib, lambda n: import_file(n, 25, seed=29))
    wide_mb, wide_seconds = peak_rss_of_import(db, wide)
    size = wide.stat().st_size / 2**20
    run.add(
        Figure(
            "import memory",
            db.label,
            f"peak RSS, import --dry-run, {size:.0f} MiB ({wide_projects:,} projects × 25)",
            wide_mb,
            "MB",
            "—",
            None,
            ("abs≤", IMPORT_PEAK_MB),
            note=f"dry run {wide_seconds:.0f} s; before streaming the same file took "
            "1,400 MB and 50 s",
        )
    )
    _, token = KeyStore(handle.engine).create(f"bench-import-{uuid.uuid4().hex[:6]}", Role.ADMIN)
    server = start_server(db.env, run.logs, f"api-import-{db.label}")
    url = f"{server.url}/api/v1/imports"
    headers = {"content-type": "text/csv", "authorization": f"Bearer {token}"}
    try:
        before = resident_peak_mb(server.pid)
        waits: list[float] = []
        answers: list[httpx.Response] = []
        done = threading.Event()

        def ask_health() -> None:
            with httpx.Client(timeout=60) as client:
                while not done.is_set():
                    started = time.perf_counter()
                    client.get(f"{server.url}/health")
                    waits.append(time.perf_counter() - started)
                    done.wait(0.05)

        def send_file() -> None:
            with wide.open("rb") as body:
                answer = httpx.post(
                    url, params={"dry_run": "true"}, content=body, headers=headers, timeout=900
                )
            answers.append(answer)

        asking = threading.Thread(target=ask_health, daemon=True)
        senders = [threading.Thread(target=send_file, daemon=True) for _ in range(2)]
        started = time.perf_counter()
        for thread in [asking, *senders]:
            thread.start()
        time.sleep(5)  # both bodies are up and being imported; a third is one too many
        third = httpx.post(url, content=b"row_id,type\n", headers=headers, timeout=60)
        for thread in senders:
            thread.join(900)
        seconds = time.perf_counter() - started
        done.set()
        asking.join(70)
        statuses = sorted(a.status_code for a in answers)
        if statuses != [200, 200]:
            raise RuntimeError(f"POST /imports answered {statuses}: {answers[0].text[:300]}")
        peak = resident_peak_mb(server.pid)
    finally:
        server.process.stop()
    refused = f"{third.status_code}, Retry-After {third.headers.get('retry-after', '—')}"
    run.add(
        Figure(
            "import memory",
            db.label,
            f"API peak RSS, 2 × POST /imports?dry_run=true, {size:.0f} MiB each",
            peak,
            "MB",
            "the API's peak before them",
            before,
            ("abs≤", IMPORT_API_PEAK_MB),
            note=f"both at once, {seconds:.0f} s; a third meanwhile: {refused}; answers "
            f"{len(answers[0].content) / 2**20:.0f} MiB ({answers[0].json()['rows_total']:,} "
            "rows) each",
        )
    )
    run.add(
        Figure(
            "import memory",
            db.label,
            "/health slowest answer during those imports",
            max(waits) * 1000,
            "ms",
            "/health median during them",
            percentile(waits, 0.5) * 1000,
            ("abs≤", IMPORT_HEALTH_MS),
            note=f"{len(waits)} requests, one every 50 ms; before streaming: 2.9 s with one "
            "import, 6.2 s with two (full garbage collections over what the imports hold)",
        )
    )


def average_state_size(handle: Opened) -> float:
    recorder: Any = handle.tracker.recorder
    table = recorder.events_table_name
    if isinstance(table, str) and "." not in table and hasattr(recorder.datastore, "schema"):
        table = f'"{recorder.datastore.schema}"."{table}"'
    with handle.engine.connect() as conn:
        from sqlalchemy import text

        value = conn.execute(text(f"SELECT avg(length(state)) FROM {table}")).scalar_one()
    return float(value or 200)


def raw_insert_rate(db: Database, rows: int, size: float) -> float:
    """Plain batched INSERTs of rows shaped like stored events: the database's own pace."""
    payload = os.urandom(int(size))
    batch = 1000
    records = [(uuid.uuid4(), 1, "tracker:Bench", payload) for _ in range(rows)]
    if db.settings.is_postgres:
        schema = db.settings.db_schema
        table = sql.Identifier(schema, "bench_raw_events")
        with psycopg.connect(POSTGRES_URL) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint "
                    "NOT NULL, topic text NOT NULL, state bytea, notification_id bigserial, "
                    "PRIMARY KEY (originator_id, originator_version))"
                ).format(table)
            )
            conn.commit()
            insert = sql.SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state) "
                "VALUES (%s, %s, %s, %s)"
            ).format(table)
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for start in range(0, rows, batch):
                    cursor.executemany(insert, records[start : start + batch])
                    conn.commit()
            seconds = time.perf_counter() - started
            conn.execute(sql.SQL("DROP TABLE {}").format(table))
            conn.commit()
        return rows / seconds
    path = db.settings.sqlite_path
    lite = sqlite3.connect(path, isolation_level=None)
    try:
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=FULL")
        lite.execute(
            "CREATE TABLE bench_raw_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        started = time.perf_counter()
        for start in range(0, rows, batch):
            lite.execute("BEGIN")
            lite.executemany(
                "INSERT INTO bench_raw_events VALUES (?, ?, ?, ?)",
                [(str(r[0]), r[1], r[2], r[3]) for r in records[start : start + batch]],
            )
            lite.execute("COMMIT")
        seconds = time.perf_counter() - started
        lite.execute("DROP TABLE bench_raw_events")
    finally:
        lite.close()
    return rows / seconds


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
        deadline = time.monotonic() + run.args.scale_seconds / 3
        generated = data.generate(
            handle.tracker,
            portfolios=1,
            projects=projects,
            events_per_project=per_project,
            deadline=deadline,
        )
        run.facts[f"scale generation ({label})"] = (
            f"{len(generated.project_ids):,} projects, {generated.events:,} events in "
            f"{generated.seconds:.1f} s ({generated.rate:,.0f} events/s, batched saves)"
        )
        started = time.perf_counter()
        deadline = time.monotonic() + run.args.scale_seconds * 2 / 3
        applied = 0
        head = handle.projector.head_position()
        while applied < head and time.monotonic() < deadline:
            applied = handle.projector.catch_up(until=min(head, applied + 10 * BATCH))
        project_seconds = time.perf_counter() - started
        rate = applied / project_seconds if project_seconds else 0.0
        complete = applied >= head
        run.facts[f"scale projection ({label})"] = (
            f"{applied:,} of {head:,} positions applied in {project_seconds:.1f} s "
            f"({rate:,.0f} events/s){'' if complete else ' — stopped at the time limit'}"
        )
        if not complete:
            run.note(
                f"{label} scale: the projector applied {applied:,} of {head:,} positions "
                f"within {run.args.scale_seconds * 2 / 3:.0f} s; reports ran on that part"
            )
        scale_reports(run, db, handle, generated, len(generated.project_ids))
        measure_verification(run, db, handle, scale=", the scale data set")


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


def analyze(db: Database, engine: Any) -> None:
    """Gather planner statistics on the read model and, on PostgreSQL, mark its pages
    all-visible (so that an index holding every column is read alone), as autovacuum would."""
    if not db.settings.is_postgres:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    schema = db.settings.db_schema
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM needs it
        for table in ("rm_plans", "rm_statuses", "rm_facts", "rm_projects", "rm_targets"):
            conn.exec_driver_sql(f'VACUUM ANALYZE "{schema}"."{table}"')


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


def profile_server(
    run: Run, db: Database, server: Server, portfolio: uuid.UUID, ids_file: Path, token: str
) -> None:
    seconds = min(run.args.seconds, 5)
    progress_url = f"{server.url}/api/v1/portfolios/{portfolio}/progress"
    out = run.logs / f"progress-{db.label}.txt"
    wait_idle(server.pid)
    with profiling(run.py_spy, server.pid, seconds, out):
        wrk(progress_url, seconds=seconds + 1, connections=READ_CONNECTIONS)
    if out.exists():
        run.profiles.append(summarize(out, f"GET …/progress under load ({db.label})"))
    out = run.logs / f"writes-{db.label}.txt"
    wait_idle(server.pid)
    with profiling(run.py_spy, server.pid, seconds, out):
        wrk(
            f"{server.url}/",
            seconds=seconds + 1,
            connections=WRITE_CONNECTIONS,
            script=REPO / "bench" / "wrk" / "record_event.lua",
            script_args=(str(ids_file), token),
        )
    if out.exists():
        run.profiles.append(summarize(out, f"POST …/events under load ({db.label})"))


# The machine and the report


def machine(postgres: bool) -> dict[str, str]:
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(os.cpu_count()),
        "memory": f"{_meminfo_gib():.1f} GiB",
        "cpu model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if postgres:
        with psycopg.connect(POSTGRES_URL) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            autovacuum = conn.execute("SHOW autovacuum").fetchone()
            info["postgresql"] = (
                f"{row[0] if row else '?'} (autovacuum {autovacuum[0] if autovacuum else '?'})"
            )
    packages = ("litestar", "uvicorn", "eventsourcing", "SQLAlchemy", "psycopg", "msgspec")
    info["packages"] = ", ".join(f"{name} {version(name)}" for name in packages)
    with suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run([ensure_wrk(), "--version"], capture_output=True, text=True)
        info["wrk"] = (done.stdout or done.stderr).split("[")[0].strip()
    return info


def _meminfo_gib() -> float:
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def markdown(run: Run, info: dict[str, str]) -> str:
    lines = [BEGIN, "", f"## Latest run: {info['date']}", ""]
    lines += ["| machine | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in info.items() if key != "date"]
    lines += [
        f"| load average at end | {' / '.join(f'{x:.2f}' for x in os.getloadavg())} |",
        f"| run time | {run.elapsed() / 60:.1f} min, {run.args.seconds:g} s per load measurement |",
        "",
        "| section | database | figure | value | reference | ref. value | ratio | target "
        "| met | note |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | --- | --- | --- |",
    ]
    for f in run.figures:
        ratio = f"{f.ratio:.3g}×" if f.ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        lines.append(
            f"| {f.section} | {f.database} | {f.what} | {fmt(f.value, f.unit)} | "
            f"{f.reference_what} | {fmt(f.reference, f.unit)} | {ratio} | {f.target_text()} "
            f"| {met} | {f.note} |"
        )
    if run.facts:
        lines += ["", "Details:", ""]
        lines += [f"- {key}: {value}" for key, value in run.facts.items()]
    if run.sections:
        lines += ["", "Time per part of the run:", ""]
        lines += [f"- {title}: {seconds / 60:.1f} min" for title, seconds in run.sections.items()]
    if run.notes:
        lines += ["", "Notes from the run:", ""]
        lines += [f"- {note}" for note in run.notes]
    if run.profiles:
        lines += [
            "",
            "### Profiles (py-spy, 100 Hz; share of the samples)",
            "",
            "Our code: inclusive share of each tracker/api function. Packages: where the "
            "innermost frame was (self time; `sqlalchemy` self time on SQLite is mostly SQLite "
            "executing the query inside `fetchone`/`do_execute`, `psycopg` self time is mostly "
            "waiting for PostgreSQL's answer).",
            "",
        ]
        for profile in run.profiles:
            lines += [f"**{profile.title}** ({profile.samples:,} samples)", ""]
            lines += [
                "| our code (inclusive) | % | package (self) | % | function (self) | % |",
                "| --- | ---: | --- | ---: | --- | ---: |",
            ]
            columns = (profile.ours, profile.packages, profile.own)
            for index in range(max(len(c) for c in columns)):
                cells = []
                for column in columns:
                    if index < len(column):
                        name, share = column[index]
                        cells += [f"`{name}`", f"{share:.1f}"]
                    else:
                        cells += ["", ""]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    lines += ["", END]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    if DOCS.exists():
        current = DOCS.read_text()
        if BEGIN in current and END in current:
            head, _, rest = current.partition(BEGIN)
            _, _, tail = rest.partition(END)
            DOCS.write_text(head + text + tail)
            return
        DOCS.write_text(current.rstrip() + "\n\n" + text + "\n")
        return
    DOCS.write_text("# Benchmarks\n\nRun `make bench`; see bench/README.md.\n\n" + text + "\n")


# Entry point


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="per load measurement")
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    parser.add_argument("--scale-projects", type=int, default=10_000)
    parser.add_argument(
        "--scale-events",
        type=int,
        default=1_000_000,
        help="events in the as-of-at-scale data set (the issue's size; see bench/README.md)",
    )
    parser.add_argument(
        "--scale-seconds",
        type=float,
        default=900.0,
        help="time limit for generating (1/3) and projecting (2/3) the scale data set",
    )
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--import-projects", type=int, default=200, help="× 25 rows each")
    parser.add_argument(
        "--import-memory-mib",
        type=float,
        default=63,
        help="size (MiB) of the files whose imports' peak memory is measured (at most 63: "
        "the API takes 64 MiB; 0: skip)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip py-spy")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/BENCHMARKS.md")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2 s per load, small data sets (figures not meaningful)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 2.0
        args.scale_projects, args.scale_events, args.scale_seconds = 500, 5_000, 60.0
        args.import_projects = 20
        args.import_memory_mib = 4
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    run = Run(args)
    ensure_wrk()
    run.py_spy = None if args.no_profile else ensure_py_spy()
    wanted = [d.strip() for d in args.databases.split(",") if d.strip()]
    postgres_ok = "postgres" in wanted and postgres_reason() is None
    if "postgres" in wanted and not postgres_ok:
        run.note(f"PostgreSQL figures skipped: {postgres_reason()}")
    info = machine(postgres_ok)
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    print(f"logs and profiles in {run.logs}", flush=True)
    makers: list[Callable[[], Any]] = []
    if "sqlite" in wanted:
        makers.append(lambda: sqlite_database(run.logs, "main"))
    if postgres_ok:
        makers.append(lambda: postgres_database("main"))
    for make in makers:
        try:
            with make() as db:
                measure_database(run, db)
        except Exception as error:  # noqa: BLE001 - report what was measured, then the failure
            traceback.print_exc()
            run.note(f"a measurement failed: {type(error).__name__}: {error}")
    text = markdown(run, info)
    print(f"\nfinished in {run.elapsed() / 60:.1f} min", flush=True)
    if not args.no_docs:
        write_docs(text)
        print(f"wrote {DOCS.relative_to(REPO)}", flush=True)
    missed = [f for f in run.figures if f.met is False]
    print(f"{len(run.figures)} figures, {len(missed)} below target", flush=True)
    sys.exit(0)
