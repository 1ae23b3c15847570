"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import ServiceUnavailableException

from api.params import ReadModelDep, Tracker
from api.schemas import HealthOut
from api.shortcut import Answer, shortcut, shortcuts_of
from tracker.eventstore.migrate import is_at_head
from tracker.readmodel.database import DATABASE_ERRORS

#: What ``/health`` answers while the process is alive: the same every time.
ALIVE = HealthOut("ok")
_ALIVE_ANSWER = Answer(msgspec.json.encode(ALIVE), b"application/json")


def _alive() -> Answer:
    return _ALIVE_ANSWER


class HealthController(Controller):
    tags = ["operations"]

    @get("/health", sync_to_thread=False, middleware=[shortcut], summary="The process is alive")
    def health(self, request: Request[Any, Any, Any]) -> HealthOut:
        """200 ``{"status": "ok"}`` while the process answers requests (it does not look at
        the database: ``/ready`` does)."""
        # Always the same answer, so the next such request is given it before the handler
        # (api/shortcut.py), as a remembered report is: a load balancer's or an
        # orchestrator's probe costs the envelope (counted, logged, in the reader's language).
        shortcuts_of(request.scope).remember(request.scope, _alive)
        return ALIVE

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
