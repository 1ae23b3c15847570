"""Liveness and readiness."""

from __future__ import annotations

from litestar import Controller, Response, get
from sqlalchemy.exc import SQLAlchemyError

from api.routes.common import Tracker
from api.schemas import HealthOut
from tracker.migrate import is_at_head


class HealthController(Controller):
    tags = ["operations"]

    @get("/health", sync_to_thread=False, summary="The process is alive")
    def health(self) -> HealthOut:
        return HealthOut("ok")

    @get("/ready", sync_to_thread=True, summary="The database is reachable and migrated")
    def ready(self, tracker: Tracker) -> Response[HealthOut]:
        try:
            at_head = is_at_head(tracker.settings)
        except SQLAlchemyError as error:
            return Response(
                HealthOut("unavailable", f"database unreachable: {error}"), status_code=503
            )
        if not at_head:
            return Response(
                HealthOut("unavailable", "migrations are not at head; run `tracker migrate`"),
                status_code=503,
            )
        return Response(HealthOut("ready"))
