"""The app the benchmarks serve: the production app plus one bench-only route.

``create_bench_app`` builds the app exactly as ``tracker serve`` does (``api.app.create_app``)
and mounts ``GET /bench/progress-cached/{portfolio_id}``: a prototype of the fix the read
figure asks for, measured beside the real route so the gain is a number, not a guess. It
answers the current progress report (USD, latest rates) from memory, keyed by the read
model's applied position, without a thread hop when the answer is cached:

- the applied position is kept in memory: the in-process projector announces each batch
  (``Projector.listeners``), and a background thread re-reads it every
  ``POLL_SECONDS`` for positions moved by other processes (``TRACKER_PROJECTOR=external``);
- a read with ``min_position`` above the known position waits as the real route does;
- a miss computes the report in a worker thread, as the real route does on every request.

It is not a production route: the cached report's ``position`` may be up to ``POLL_SECONDS``
old for a read without ``min_position``, and the portfolio's existence is checked on a miss
only. The production version belongs in ``api/routes/reports.py``.
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Litestar, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from api.app import create_app
from api.report_views import progress_out
from tracker.readmodel import reports
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.service import ReadModel

POLL_SECONDS = 0.05
#: Reports kept per process (one per portfolio and position; old positions are dropped).
MAX_ENTRIES = 256


class ProgressCache:
    def __init__(self, readmodel: ReadModel) -> None:
        self.readmodel = readmodel
        self.position = readmodel.projector.applied_position()
        self.entries: dict[tuple[UUID, int], bytes] = {}
        self._stop = threading.Event()
        readmodel.projector.listeners.append(self.moved)
        threading.Thread(target=self._poll, name="bench-position", daemon=True).start()

    def moved(self, position: int) -> None:
        if position > self.position:
            self.position = position

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.moved(self.readmodel.projector.applied_position())
            except Exception:  # noqa: BLE001 - a bench helper: keep polling
                continue

    def compute(self, portfolio_id: UUID, position: int) -> bytes:
        query = ReportQuery(portfolio_id)
        report = self.readmodel.query(lambda conn: reports.progress(conn, query))
        return msgspec.json.encode(progress_out(report, position))

    def stop(self) -> None:
        self._stop.set()


def create_bench_app() -> Litestar:
    app = create_app()
    provider = app.dependencies["readmodel"]
    readmodel: ReadModel = provider.dependency() if isinstance(provider, Provide) else provider()
    cache = ProgressCache(readmodel)

    @get("/bench/progress-cached/{portfolio_id:uuid}", include_in_schema=False)
    async def progress_cached(
        portfolio_id: FromPath[UUID], min_position: int | None = None
    ) -> Response[Any]:
        position = cache.position
        if min_position is not None and min_position > position:
            position = await anyio.to_thread.run_sync(readmodel.wait_for, min_position)
            cache.moved(position)
        key = (portfolio_id, position)
        body = cache.entries.get(key)
        if body is None:
            body = await anyio.to_thread.run_sync(cache.compute, portfolio_id, position)
            if len(cache.entries) >= MAX_ENTRIES:
                cache.entries.clear()
            cache.entries[key] = body
        return Response(body, media_type="application/json")

    app.register(progress_cached)
    app.on_shutdown.append(cache.stop)
    return app
