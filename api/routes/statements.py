"""Sourced statements about a whole portfolio, beside the tracked figures of their day."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from api.commands import money, scope_of, write_envelope
from api.conditions import expected_version
from api.params import (
    AsOf,
    Currency,
    Fx,
    IdempotencyKey,
    IfMatch,
    KnownAt,
    ReadModelDep,
    Tracker,
    report_query,
)
from api.presenters.statements import statements_out
from api.responses import created
from api.schemas import RecordedOut
from api.schemas.statements import StatementIn, StatementsOut
from tracker.readmodel.statements import statements

STATEMENT_EXAMPLE = {
    "measure": "completed",
    "summary": "11 of the 60 projects completed, worth USD 144 M",
    "count": 11,
    "amount": {"amount": "144000000.00", "currency": "USD"},
    "effective_date": "2024-05-03",
    "source": {"title": "Astana Times, 3 May 2024", "url": "https://astanatimes.com/2024/05/"},
}


class StatementController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}/statements"
    tags = ["portfolios"]

    @post(
        "/", sync_to_thread=True, summary="Record a statement about the portfolio", status_code=201
    )
    def record(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        portfolio_id: FromPath[UUID],
        data: Annotated[StatementIn, Body(examples=[Example(value=STATEMENT_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """Shown beside the tracked figures, never added to them; its source is required."""
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.record_statement(
            portfolio_id,
            data.measure,
            data.summary,
            envelope,
            count=data.count,
            amount=money(data.amount, "amount") if data.amount else None,
            jobs=data.jobs,
            expected_version=expected_version(if_match),
            scope=scope_of(request),
        )
        return created(recorded, f"/api/v1/portfolios/{portfolio_id}/statements")

    @get("/", sync_to_thread=True, summary="Statements, each beside the tracked figures")
    def list_statements(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
    ) -> StatementsOut:
        """Made by ``as_of`` and recorded by ``known_at``; for the measures the tracker counts
        (portfolio, completed, under_implementation, in_development), the projects in that
        stage on the statement's day as known at ``known_at``, with their planned investment
        and jobs."""
        query = report_query(readmodel.tracker, portfolio_id, as_of, known_at, currency, fx)
        return statements_out(query, readmodel.report(lambda c: statements(c, query)))
