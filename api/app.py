"""The app factory: wires the tracker application into Litestar."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from api.errors import EXCEPTION_HANDLERS
from api.routes.fx import FxController
from api.routes.health import HealthController
from api.routes.portfolios import PortfolioController
from api.routes.projects import ProjectController
from api.routes.reports import ReportController
from tracker.application import TrackerApplication
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings

API_DESCRIPTION = """Every change to a portfolio or project is an immutable event.
Amounts are decimal strings; errors are `application/problem+json`. Reads accept `as_of`
(effective date) and `known_at` (what had been recorded by then)."""


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    tracker = TrackerApplication(settings)
    readmodel = ReadModel(tracker, in_process=settings.projector_in_process)

    def provide_tracker() -> TrackerApplication:
        return tracker

    def provide_readmodel() -> ReadModel:
        return readmodel

    def close() -> None:
        readmodel.stop()
        tracker.close()

    return Litestar(
        route_handlers=[
            HealthController,
            PortfolioController,
            ProjectController,
            ReportController,
            FxController,
        ],
        dependencies={
            "tracker": Provide(provide_tracker, sync_to_thread=False),
            "readmodel": Provide(provide_readmodel, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[readmodel.start],
        on_shutdown=[close],
        openapi_config=OpenAPIConfig(
            title="Cooperation portfolio tracker",
            version="1.0.0",
            description=API_DESCRIPTION,
            path="/docs",
            render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
        ),
        request_max_body_size=1_000_000,
    )
