"""Imports: their rate next to plain batched INSERTs, and the peak memory of
``tracker import`` and of the API serving imports.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.databases import POSTGRES_URL, Database, Opened
from bench.figures import Figure, Run
from bench.measure import BIN, REPO, percentile, start_server
from tracker.keys import KeyStore, Role
from tracker.transfer.columns import COLUMNS
from tracker.transfer.importer import Importer, import_rows

#: The documented peak memory (MB) of an import of a 64 MiB file (docs/import-format.md), for
#: ``tracker import`` and for the API serving it.
IMPORT_PEAK_MB = 250
IMPORT_API_PEAK_MB = 350
#: The slowest ``/health`` answer (ms) while the API runs two such imports.
IMPORT_HEALTH_MS = 1000


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


#: Imports (each of a file of new projects, beside raw INSERTs of as many rows) whose
#: medians make the figure.
IMPORTS = 3


def measure_import(run: Run, db: Database, handle: Opened) -> None:
    projects, per_project = run.args.import_projects, 25
    rates: tuple[list[float], list[float]] = ([], [])
    for seed in range(11, 11 + IMPORTS):  # another file each time: none of its rows is known
        file = import_file(projects, per_project, seed=seed)
        started = time.perf_counter()
        report = import_rows(
            handle.tracker, file, "csv", Importer(actor="bench"), source="bench.csv"
        )
        events = report.events_recorded
        rates[0].append(events / (time.perf_counter() - started))
        state_size = average_state_size(handle)
        rates[1].append(raw_insert_rate(db, events, state_size))
    run.add(
        Figure(
            "import",
            db.label,
            f"import_rows ({events:,} events, check + record)",
            statistics.median(rates[0]),
            "events/s",
            "raw batched INSERT, same DB",
            statistics.median(rates[1]),
            ("≥", 0.25),
            note=f"batches of 1,000 rows per transaction; ~{state_size:.0f} bytes per event; "
            f"medians of {IMPORTS} imports and as many raw runs, taken turn about; "
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


def peak_rss_of_imports(db: Database, paths: list[Path]) -> list[tuple[float, float]]:
    """``tracker import --dry-run FILE`` of each file, each in a process of its own, all at
    once (a process's memory does not depend on what runs beside it; the run's time does):
    each one's peak resident memory (MB) and wall time (s).

    The peak is the child's own ``VmHWM``, read while it runs: the kernel's ``ru_maxrss`` of
    a child also counts the parent's pages it was forked with (the harness holds the files
    it generated)."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [str(BIN / "tracker"), "import", "--dry-run", str(path)],
            env=db.env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for path in paths
    ]
    peaks = [0.0] * len(paths)
    seconds = [0.0] * len(paths)
    while any(process.returncode is None for process in processes):
        for index, process in enumerate(processes):
            if process.returncode is not None:
                continue
            with suppress(OSError, RuntimeError):  # it may exit between poll() and the read
                peaks[index] = max(peaks[index], resident_peak_mb(process.pid))
            if process.poll() is not None:
                seconds[index] = time.perf_counter() - started
        time.sleep(0.02)
    for path, process in zip(paths, processes, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"tracker import --dry-run {path} exited with {process.returncode}")
    return list(zip(peaks, seconds, strict=True))


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

    The dry runs of 1 and 2 run while 3 does (a process's memory does not depend on what
    runs beside it; the API's imports take turns on one core, so the other is free): the
    whole bench has 15 minutes.
    """
    mib = run.args.import_memory_mib
    small, large, wide = (run.logs / f"import-{n}.csv" for n in ("small", "large", "wide"))
    projects = 1000
    per_project = sized_import_file(small, mib / 16, lambda n: import_file(projects, n, seed=29))
    large.write_bytes(import_file(projects, per_project * 4, seed=29))
    wide_projects = sized_import_file(wide, mib, lambda n: import_file(n, 25, seed=29))
    with ThreadPoolExecutor(max_workers=1) as beside:
        dry_runs = beside.submit(peak_rss_of_imports, db, [small, large, wide])
        api = api_import_peaks(run, db, handle, wide)
        (small_mb, small_seconds), (large_mb, large_seconds), (wide_mb, wide_seconds) = (
            dry_runs.result()
        )
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
            f"{large_seconds:.0f} s and {small_seconds:.0f} s (three side by side, beside the "
            "API's two below)",
        )
    )
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
            note=f"dry run {wide_seconds:.0f} s (beside the two above); before streaming the "
            "same file took 1,400 MB and 50 s",
        )
    )
    run.add(
        Figure(
            "import memory",
            db.label,
            f"API peak RSS, 2 × POST /imports?dry_run=true, {size:.0f} MiB each",
            api.peak,
            "MB",
            "the API's peak before them",
            api.before,
            ("abs≤", IMPORT_API_PEAK_MB),
            note=f"both at once, {api.seconds:.0f} s, beside the three dry runs above; a third "
            f"meanwhile: {api.refused}; answers {api.answer_mib:.0f} MiB ({api.rows:,} rows) each",
        )
    )
    run.add(
        Figure(
            "import memory",
            db.label,
            "/health slowest answer during those imports",
            max(api.waits) * 1000,
            "ms",
            "/health median during them",
            percentile(api.waits, 0.5) * 1000,
            ("abs≤", IMPORT_HEALTH_MS),
            note=f"{len(api.waits)} requests, one every 50 ms; before streaming: 2.9 s with one "
            "import, 6.2 s with two (full garbage collections over what the imports hold)",
        )
    )


@dataclass
class ApiImports:
    """What two dry-run imports at once did to the API (:func:`api_import_peaks`)."""

    before: float
    peak: float
    seconds: float
    #: The third import's answer meanwhile: its status and ``Retry-After``.
    refused: str
    answer_mib: float
    rows: int
    #: Seconds each ``/health`` waited meanwhile.
    waits: list[float]


def api_import_peaks(run: Run, db: Database, handle: Opened, path: Path) -> ApiImports:
    """``path`` sent to a fresh API twice at once as a dry run, ``/health`` asked every 50 ms
    meanwhile, and a third import tried once both run."""
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
            with path.open("rb") as body:
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
    return ApiImports(
        before,
        peak,
        seconds,
        f"{third.status_code}, Retry-After {third.headers.get('retry-after', '—')}",
        len(answers[0].content) / 2**20,
        answers[0].json()["rows_total"],
        waits,
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
