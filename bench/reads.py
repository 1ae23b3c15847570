"""Reads and writes over HTTP: the API under wrk next to a bare Litestar app, the access
log's and rate limiter's cost, writes with the projector's lag, and py-spy profiles.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bench.databases import Database, Opened, wait_until_applied
from bench.figures import Figure, Run
from bench.measure import (
    REPO,
    LagSamples,
    Server,
    WrkResult,
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

READ_CONNECTIONS = 64
WRITE_CONNECTIONS = 16


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


#: Turns of each load measured against another: one turn each, this many times.
TURNS = 3


def in_turns(
    loads: dict[str, tuple[Server, str]],
    seconds: float,
    connections: int = READ_CONNECTIONS,
    headers: Mapping[str, str] | None = None,
) -> dict[str, WrkResult]:
    """Each named load (a server and a URL) in :data:`TURNS` alternating turns of ``seconds``
    / ``TURNS`` each, and each one's median turn by requests per second, with the median of
    the turns' p50s and of their p99s: on a shared machine one turn each could catch one side
    in a slow second and the other in a fast one (the bare app's ``/health`` went from 11,900
    to 19,100 req/s between two quiet runs minutes apart), and the p99 of a two-second turn is
    set by the slowest ~1 % of its requests, which one stall of the machine can make (a p99
    of unchanged code read 1.31x and 2.3x, 1.14x and 6.27x of the bare app's in two runs an
    hour apart, the median turn's own)."""
    turns: dict[str, list[WrkResult]] = {name: [] for name in loads}
    for _ in range(TURNS):
        for name, (server, url) in loads.items():
            turns[name].append(
                load(server, url, seconds=seconds / TURNS, connections=connections, headers=headers)
            )
    return {name: median_turn(results) for name, results in turns.items()}


def median_turn(results: list[WrkResult]) -> WrkResult:
    """The turn of median throughput, with the median p50 and p99 of all the turns and the
    errors of all of them (one turn's non-2xx answers are not hidden by another's)."""
    middle = sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]
    return replace(
        middle,
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        non_2xx=sum(r.non_2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
    )


#: The reads measured against the bare app: name, path under the server, target ratio.
READS = (
    ("GET /health", "/health", 0.8),
    ("GET …/progress (74 projects)", "/api/v1/portfolios/{portfolio}/progress", 0.5),
    ("GET …/breakdown?by=sector", "/api/v1/portfolios/{portfolio}/breakdown?by=sector", 0.5),
    ("the portfolio page", "/portfolios/{portfolio}", 0.5),
)


def measure_reads(run: Run, db: Database, server: Server, portfolio: uuid.UUID) -> None:
    """Each read next to a bare Litestar app answering the same body with the same server
    settings (bench/bare.py): what the middleware, the hooks and the handler cost on top of
    the framework's floor. Measured in turns (app, bare, three times) so that both see the
    same machine (:func:`in_turns`)."""
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
            both = in_turns({"app": (server, app_url), "bare": (bare, bare_url)}, seconds)
            results[name] = both["app"], both["bare"]
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
        measure_access_log(run, db)


def measure_access_log(run: Run, db: Database) -> None:
    """What the JSON access log and the rate limiter cost a trivial request: three fresh
    servers, the same but for one setting each, measured in turns (:func:`in_turns`; the
    seeded server of the other reads has served a minute of load, and one after the other
    the three had met different minutes of a shared machine: 0.955× and 0.793× for the log
    in two runs with no change to it)."""
    variants = {
        "default": {},
        "no access log": {"TRACKER_ACCESS_LOG": "false"},
        "rate limits on": {
            "TRACKER_RATE_LIMIT_PER_ADDRESS": "100000000",
            "TRACKER_RATE_LIMIT_PER_KEY": "100000000",
        },
    }
    servers: dict[str, Server] = {}
    try:
        for name, extra in variants.items():
            server = start_server({**db.env, **extra}, run.logs, f"api-{db.label}-{name}")
            servers[name] = server
            wrk(f"{server.url}/health", seconds=1, connections=4)
        results = in_turns(
            {name: (server, f"{server.url}/health") for name, server in servers.items()},
            run.args.seconds,
        )
    finally:
        for server in servers.values():
            server.process.stop()
    run.add(
        Figure(
            "read",
            db.label,
            "GET /health with the JSON access log",
            results["default"].requests_per_second,
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
            "same, limits off",
            results["default"].requests_per_second,
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
