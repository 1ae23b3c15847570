"""``make bench``: every performance figure next to its reference, measured in one run.

Each figure is a ratio of two numbers taken on the same machine, in the same run, on the same
database, so that the ratio says how close the tracker gets to what the machine (the server,
the database, the library) can do, whatever the machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from typing import Any

from bench import data
from bench.databases import (
    Database,
    analyze,
    opened,
    postgres_database,
    postgres_reason,
    sqlite_database,
)
from bench.figures import Run
from bench.imports import measure_import, measure_import_memory
from bench.in_process import (
    measure_chain_writes,
    measure_histories,
    measure_loop_writes,
    measure_rebuild,
    measure_verification,
)
from bench.measure import REPO, ensure_py_spy, ensure_wrk
from bench.rate_events import measure_rate_events
from bench.reads import READ_CONNECTIONS, measure_http_writes, measure_reads, profile_server, serve
from bench.report import DOCS, machine, markdown, write_docs
from bench.scale import Generating, measure_scale
from bench.serving import measure_fan_out, measure_languages, measure_workers
from tracker.keys import KeyStore, Role


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
                measure_reads(run, db, server, portfolio)
                measure_languages(run, label, server, portfolio, READ_CONNECTIONS)
                if db.settings.is_postgres:
                    measure_workers(run, label, db.env, portfolio)
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
            assert seeded.rate_set_id is not None
            measure_rate_events(run, db, handle, portfolio, seeded.rate_set_id)
        with run.section(f"{label}: the hash chain's cost on writes"):
            # before the scale data set's generation starts: its writes would fall on one side
            measure_chain_writes(run, db, handle, projects)
        if run.args.import_memory_mib and not run.import_memory_measured:
            run.import_memory_measured = True  # one database is enough: a dry run writes nothing
            if not run.args.skip_scale and not db.settings.is_postgres:
                run.scale_generating = Generating(run)  # on the core the API's imports leave
            with run.section(f"{label}: import memory"):
                measure_import_memory(run, db, handle)
    if not run.args.skip_scale:
        with run.section(f"{label}: as-of reports at scale"):
            measure_scale(run, db)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per load measurement")
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
        default=300.0,
        help="time limit for generating the scale data set (what was generated by then is "
        "the data set)",
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
        args.scale_projects, args.scale_events, args.scale_seconds = 500, 5_000, 20.0
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
    if run.scale_generating is not None:
        run.scale_generating.stop()
    text = markdown(run, info)
    print(f"\nfinished in {run.elapsed() / 60:.1f} min", flush=True)
    if not args.no_docs:
        write_docs(text)
        print(f"wrote {DOCS.relative_to(REPO)}", flush=True)
    missed = [f for f in run.figures if f.met is False]
    print(f"{len(run.figures)} figures, {len(missed)} below target", flush=True)
    sys.exit(0)
