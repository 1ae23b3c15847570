"""Prometheus metrics at ``GET /metrics``, and the access log, of every answer (api/envelope.py).

What is exposed:

- ``tracker_http_requests_total{route,method,status}``: requests answered, by route template
  (``/api/v1/projects/{project_id:uuid}/events``, never the raw path, so the number of series
  stays bounded);
- ``tracker_http_request_duration_seconds{route,method,status}``: a latency histogram, from
  the first byte of the request to the last of the answer, as this process measured it;
- ``tracker_projector_applied_position``, ``tracker_event_log_head_position`` and
  ``tracker_projector_lag_events``: where the read model's projector is, where the event log
  ends and the difference, read from the database when ``/metrics`` is scraped (two indexed
  single-row queries), so they are right whichever process projects (``TRACKER_PROJECTOR``);
- ``tracker_projector_lag_seconds`` (how long the oldest event not yet applied has waited)
  and ``tracker_projector_set_aside_events`` (events the read model could not apply);
- ``tracker_chain_verified_timestamp_seconds`` and ``tracker_chain_verified_position``: when
  ``tracker verify`` last found the hash chain whole and up to where, and
  ``tracker_chain_checkpoint_position``: the newest signed checkpoint (docs/integrity.md),
  read from the database when scraped;
- with one worker, the usual ``process_*`` and ``python_*`` metrics.

Several workers (``tracker serve --workers N``): a scrape reaches one worker, yet must count
the requests of all of them. ``tracker serve`` then runs prometheus_client's multiprocess mode
(:func:`share_between_workers`): each worker writes its counters and histograms to memory-mapped
files in a directory of its own (``TRACKER_METRICS_DIR``, default a fresh temporary directory),
and ``/metrics`` adds up every worker's files. Only counters and histograms are kept that way
(they add up across workers and survive a restarted worker); the projector gauges are read from
the database at scrape time and need no sharing. Per-process ``process_*`` metrics are not
exposed in that mode (prometheus_client cannot add them up).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.types import Scope
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tracker.eventstore.checkpoints import last_verified, latest_checkpoint
from tracker.logs import log_access
from tracker.readmodel.database import DATABASE_ERRORS
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Latency buckets (seconds): from a cached read (~1 ms) to a slow report or a timed-out wait.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: What a scrape survives: the database's own errors, and the network's.
SCRAPE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, OSError)

log = logging.getLogger("api.metrics")

# ``*_created`` series only double what a scrape returns; rates need none of them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Counters and histograms live once per process (tests build many apps in one process).
_registry = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "tracker_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ("route", "method", "status"),
    registry=_registry,
)
LATENCY = Histogram(
    "tracker_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status.",
    ("route", "method", "status"),
    buckets=BUCKETS,
    registry=_registry,
)
if MULTIPROCESS_ENV not in os.environ:
    from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR

    for _collector in (GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR):
        _registry.register(_collector)


def share_between_workers(workers: int) -> Path | None:
    """Before uvicorn starts several workers: make them share their counters (see above).

    Returns the directory it made (the caller removes it when the server stops), or ``None``
    when there is nothing to share or ``TRACKER_METRICS_DIR`` names a directory to use.
    Files of an earlier run in that directory are removed first, or old counts would be added.
    """
    if workers <= 1:
        return None
    chosen = Settings.from_env().metrics_dir
    made: Path | None = None
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory = made = Path(tempfile.mkdtemp(prefix="tracker-metrics-"))
    os.environ[MULTIPROCESS_ENV] = str(directory)
    return made


def remove_shared(directory: Path | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


class ProjectorPositions(Collector):
    """The projector's gauges, read when scraped (one row each, by primary key / max id)."""

    def __init__(self, readmodel: ReadModel) -> None:
        self.readmodel = readmodel

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            state = self.readmodel.projector.state()
        except SCRAPE_ERRORS as error:  # a scrape must answer even when the DB does not
            log.warning("cannot read the projector's position for /metrics: %s", error)
            return
        applied, head = state.applied, state.head
        yield GaugeMetricFamily(
            "tracker_projector_applied_position",
            "Global position of the last event the read model has applied.",
            value=applied,
        )
        yield GaugeMetricFamily(
            "tracker_event_log_head_position",
            "Global position of the last event in the event log.",
            value=head,
        )
        yield GaugeMetricFamily(
            "tracker_projector_lag_events",
            "Positions recorded but not yet applied to the read model (head - applied).",
            value=max(head - applied, 0),
        )
        if state.lag_seconds is not None:
            yield GaugeMetricFamily(
                "tracker_projector_lag_seconds",
                "How long the oldest event not yet applied to the read model has waited.",
                value=state.lag_seconds,
            )
        yield GaugeMetricFamily(
            "tracker_projector_set_aside_events",
            "Events the read model could not apply and set aside (the reports lack them).",
            value=len(state.set_aside),
        )


class ChainState(Collector):
    """The hash chain's last whole verification and newest checkpoint, read when scraped."""

    def __init__(self, readmodel: ReadModel) -> None:
        self.engine = readmodel.engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            verified = last_verified(self.engine)
            newest = latest_checkpoint(self.engine)
        except SCRAPE_ERRORS as error:
            log.warning("cannot read the hash chain's state for /metrics: %s", error)
            return
        if verified is not None:
            yield GaugeMetricFamily(
                "tracker_chain_verified_timestamp_seconds",
                "When `tracker verify` last found the event log's hash chain whole (Unix time).",
                value=verified.at.timestamp(),
            )
            yield GaugeMetricFamily(
                "tracker_chain_verified_position",
                "Global position up to which that verification found the chain whole.",
                value=verified.position,
            )
        if newest is not None:
            yield GaugeMetricFamily(
                "tracker_chain_checkpoint_position",
                "Global position of the newest signed checkpoint of the hash chain.",
                value=newest.position,
            )


class Metrics:
    """The observing wrapper and the ``/metrics`` route of one app."""

    def __init__(self, readmodel: ReadModel) -> None:
        self.positions = CollectorRegistry(auto_describe=False)
        self.positions.register(ProjectorPositions(readmodel))
        self.positions.register(ChainState(readmodel))
        positions = self.positions

        @get("/metrics", sync_to_thread=True, include_in_schema=False, tags=["operations"])
        def metrics() -> Response[bytes]:
            """Prometheus text exposition (this process, or every worker's when shared)."""
            tally()  # this process's requests answered so far, every one of them
            if MULTIPROCESS_ENV in os.environ:
                from prometheus_client import multiprocess

                requests = CollectorRegistry()
                multiprocess.MultiProcessCollector(requests)  # type: ignore[no-untyped-call]
            else:
                requests = _registry
            body = generate_latest(requests) + generate_latest(positions)
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        self.route: HTTPRouteHandler = metrics


#: Requests answered and not yet counted: (route, method, status, seconds). A request appends
#: (atomic, no lock); :func:`tally` counts them in batches, before each scrape and every
#: :data:`TALLY_INTERVAL` seconds (so that another worker's scrape sees them too).
_answered: deque[tuple[str, str, int, float]] = deque()
#: Seconds between two tallies by the background thread; with several workers, how late a
#: scrape may count another worker's latest requests at most.
TALLY_INTERVAL = 0.25
#: A backlog that a request tallies itself (no background thread yet, e.g. in tests).
MAX_UNTALLIED = 50_000
_tally_lock = threading.Lock()
_tallier: threading.Thread | None = None


def observe(scope: Scope, status: int, seconds: float) -> None:
    """Count and log a request answered with ``status`` after ``seconds`` (api/envelope.py)."""
    route = scope.get("path_template") or "unmatched"
    method: str = scope.get("method", "?")  # type: ignore[assignment]
    _answered.append((route, method, status, seconds))
    if len(_answered) > MAX_UNTALLIED:
        tally()
    client: Any = scope.get("client")
    # The address the per-address rate limit counted (a trusted proxy's X-Forwarded-For, else
    # the peer); the port says nothing behind a proxy.
    log_access(
        method,
        scope.get("path", ""),
        route,
        status,
        seconds * 1000,
        client[0] if client else None,
    )


def start_tallying() -> None:
    """Tally in the background, every :data:`TALLY_INTERVAL` seconds (one thread a process,
    started with the first app)."""
    global _tallier
    with _tally_lock:
        if _tallier is not None and _tallier.is_alive():
            return
        _tallier = threading.Thread(target=_tally_forever, name="metrics-tally", daemon=True)
        _tallier.start()


def _tally_forever() -> None:
    while True:
        time.sleep(TALLY_INTERVAL)
        tally()


#: The counter and histogram children of each (route, method, status): looked up once, as
#: ``labels()`` takes a lock and builds its key on every call.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def tally() -> None:
    """Count the requests answered since the last tally, off the requests' path: per (route,
    method, status), one increment of the counter, then each answer's time observed."""
    with _tally_lock:
        batch: dict[tuple[str, str, int], list[float]] = {}
        with suppress(IndexError):
            while True:
                route, method, status, seconds = _answered.popleft()
                batch.setdefault((route, method, status), []).append(seconds)
        for key, durations in batch.items():
            counter, histogram = _children_of(*key)
            counter.inc(len(durations))
            for seconds in durations:
                histogram.observe(seconds)


def _children_of(route: str, method: str, status: int) -> tuple[Any, Any]:
    children = _children.get((route, method, status))
    if children is None:
        code = str(status)
        children = _children.setdefault(
            (route, method, status),
            (REQUESTS.labels(route, method, code), LATENCY.labels(route, method, code)),
        )
    return children
