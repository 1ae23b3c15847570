"""The app factory: wires the tracker application into Litestar."""

from __future__ import annotations

import gc

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api import shortcut
from api.conditions import canonical_request
from api.dashboard import DashboardController, static_files_router
from api.dashboard.downloads import DownloadController
from api.envelope import envelope
from api.errors import EXCEPTION_HANDLERS, ClosedStructs, ProblemResponses
from api.gate import Gate
from api.metrics import Metrics, start_tallying
from api.problems import ProblemController
from api.reference import SwaggerUI
from api.routes.changes import ChangesController
from api.routes.checkpoints import CheckpointController
from api.routes.documents import DocumentController, PortfolioDocumentsController
from api.routes.feed import FeedController
from api.routes.flags import FlagController
from api.routes.health import HealthController
from api.routes.indicators import IndicatorController, PortfolioIndicatorsController
from api.routes.portfolios import PortfolioController
from api.routes.projects import ProjectController
from api.routes.publisher import PortfolioPublisherController
from api.routes.rate_sets import PortfolioRateSetsController, RateSetController
from api.routes.reports import ReportController
from api.routes.stale import StaleController
from api.routes.statements import StatementController
from api.routes.transfer import TransferController
from api.single_flight import SingleFlight
from api.stream import EventBroadcaster
from tracker.application import TrackerApplication
from tracker.group_commit import GroupCommit
from tracker.integrity.checkpointing import CheckpointClock
from tracker.integrity.signing import Signer
from tracker.keys import KeyStore
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings


def freeze_startup_heap() -> None:
    """Leave what the process built to serve (modules, the app, its routes and schemas) out
    of Python's full garbage collections from now on: each of them walked it all, for
    nothing, and held every request meanwhile; a dry-run import of a 16 MiB file made seven,
    of up to 135-170 ms each (25 ms with this), and two imports at once kept ``/health``
    waiting up to a second (docs/BENCHMARKS.md). Undone at shutdown (``gc.unfreeze``), so
    that a process that builds many apps (the tests) does not keep them all."""
    gc.freeze()


API_DESCRIPTION = """Every change to a portfolio or project is an immutable event.
Amounts are decimal strings; errors are `application/problem+json`. Reads accept `as_of`
(effective date) and `known_at` (what had been recorded by then)."""


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    tracker = TrackerApplication(settings)
    readmodel = ReadModel(tracker, in_process=settings.projector_in_process)
    # One listener per process wakes every SSE client; tests reach it through app.state.
    broadcaster = EventBroadcaster()
    readmodel.projector.listeners.append(broadcaster.publish)
    keys = KeyStore(readmodel.engine, remember_for=settings.key_cache_seconds)
    writes = GroupCommit(tracker)
    metrics = Metrics(readmodel)
    signer = Signer.from_settings(settings)
    clock = (
        CheckpointClock(readmodel.engine, signer, settings.checkpoint_interval)
        if signer is not None and settings.checkpoint_interval > 0
        else None
    )

    def provide_tracker() -> TrackerApplication:
        return tracker

    def provide_readmodel() -> ReadModel:
        return readmodel

    def provide_broadcaster() -> EventBroadcaster:
        return broadcaster

    def close() -> None:
        if clock is not None:
            clock.stop()
        writes.close()
        readmodel.stop()
        tracker.close()

    app = Litestar(
        route_handlers=[
            HealthController,
            ProblemController,
            PortfolioController,
            ProjectController,
            ReportController,
            ChangesController,
            RateSetController,
            StatementController,
            PortfolioRateSetsController,
            PortfolioPublisherController,
            DocumentController,
            PortfolioDocumentsController,
            PortfolioIndicatorsController,
            IndicatorController,
            StaleController,
            FlagController,
            FeedController,
            DashboardController,
            DownloadController,
            static_files_router(),
            TransferController,
            CheckpointController,
            metrics.route,
        ],
        dependencies={
            "tracker": Provide(provide_tracker, sync_to_thread=False),
            "readmodel": Provide(provide_readmodel, sync_to_thread=False),
            "broadcaster": Provide(provide_broadcaster, sync_to_thread=False),
        },
        state=State(
            {
                "broadcaster": broadcaster,
                "report_flights": SingleFlight(),
                "writes": writes,
                "signer": signer,
                **shortcut.state(),
            }
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[ProblemResponses(), ClosedStructs()],
        # The process configures logging (tracker.logs, from `tracker serve`); Litestar's
        # default would replace the root handlers with its own format.
        logging_config=None,
        before_request=canonical_request,
        on_startup=[
            readmodel.start,
            start_tallying,
            *([clock.start] if clock else []),
            freeze_startup_heap,
        ],
        on_shutdown=[broadcaster.close, close, gc.unfreeze],
        openapi_config=OpenAPIConfig(
            title="Cooperation portfolio tracker",
            version="1.0.0",
            description=API_DESCRIPTION,
            path="/docs",
            render_plugins=[SwaggerUI(path="/")],
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API key from `tracker keys create`: writes need a "
                        "recorder key, portfolios, targets and exchange rates an admin key.",
                    )
                }
            ),
            security=[{}, {"apiKey": []}],
        ),
        request_max_body_size=1_000_000,
    )
    # HEAD wherever GET is, the reader's language, who may pass (rate limits, key and role),
    # and every request counted, timed and logged, around it all (api.envelope).
    app.asgi_handler = envelope(
        app.asgi_handler, Gate(keys, settings, app.asgi_router.handle_routing)
    )
    return app
