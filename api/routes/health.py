"""Liveness and readiness."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import ServiceUnavailableException

from api.params import ReadModelDep, Tracker
from api.schemas import HealthOut
from tracker.eventstore.migrate import is_at_head
from tracker.readmodel.database import DATABASE_ERRORS


class HealthController(Controller):
    tags = ["operations"]

    @get("/health", sync_to_thread=False, summary="The process is alive")
    def health(self) -> HealthOut:
        return HealthOut("ok")

    @get(
        "/ready",
        sync_to_thread=True,
        summary="The database is reachable and migrated, and the read model is complete and "
        "current",
    )
    def ready(self, tracker: Tracker, readmodel: ReadModelDep) -> HealthOut:
        """200 when ready, else 503 (problem+json, like every error) saying why: the database
        cannot be reached or is not migrated, the read model set events aside, or its oldest
        unapplied event has waited longer than ``TRACKER_READY_MAX_LAG`` seconds."""
        try:
            at_head = is_at_head(tracker.settings)
        except DATABASE_ERRORS as error:
            raise ServiceUnavailableException(
                f"database unreachable: {type(error).__name__}", headers={"Retry-After": "1"}
            ) from error
        if not at_head:
            raise ServiceUnavailableException("migrations are not at head; run `tracker migrate`")
        trouble = readmodel.projector.state().trouble(tracker.settings.ready_max_lag)
        if trouble is not None:
            raise ServiceUnavailableException(trouble, headers={"Retry-After": "5"})
        return HealthOut("ready")
