"""Rate sets: named sources of exchange rates, each rate an event; and a portfolio's choice."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery

from api.commands import published_rate, published_rates, scope_of, write_envelope
from api.conditions import expected_version, read_moment
from api.errors import rows_problem
from api.params import IdempotencyKey, IfMatch, KnownAt, ReadModelDep, Tracker
from api.presenters.events import event_out
from api.presenters.rates import rate_set_out, rate_sets_out
from api.responses import created, tagged
from api.schemas import EventOut, RecordedOut, Recording, SourceIn
from api.schemas.rates import (
    RateCorrectionIn,
    RateImportOut,
    RateSetChoiceIn,
    RateSetIn,
    RateSetOut,
    RateSetsOut,
    RatesIn,
    RateWithdrawalIn,
)
from tracker.application import TrackerApplication
from tracker.domain.errors import N_, NotFound
from tracker.domain.rate_set import RateSet
from tracker.domain.values import Envelope
from tracker.readmodel.fx import published_rates_of, rate_sets
from tracker.transfer.errors import ImportRejected
from tracker.transfer.rate_file import import_rate_file

RATES_EXAMPLE = {
    "rates": [
        {"date": "2025-01-02", "currency": "KZT", "units_per_usd": "525.10"},
        {"date": "2025-01-02", "currency": "UZS", "units_per_usd": "12950.00"},
    ],
    "source": {
        "title": "National Bank of Kazakhstan, official rates",
        "url": "https://nationalbank.kz",
    },
}


def _change(
    request: Request[Any, Any, Any],
    tracker: TrackerApplication,
    rate_set_id: UUID,
    data: Recording,
    change: Callable[[RateSet, Envelope], object],
    if_match: str | None,
    idempotency_key: str | None,
) -> Response[RecordedOut]:
    """Record one change of a rate set (its method, given the request's envelope)."""
    envelope = write_envelope(request, data, idempotency_key)
    recorded = tracker.change_rate_set(
        rate_set_id,
        lambda rate_set: change(rate_set, envelope),
        envelope,
        expected_version=expected_version(if_match),
        scope=scope_of(request),
    )
    return created(recorded, f"/api/v1/rate-sets/{rate_set_id}")


class RateSetController(Controller):
    path = "/api/v1/rate-sets"
    tags = ["rate sets"]

    @post("/", sync_to_thread=True, summary="Establish a rate set", status_code=201)
    def establish(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        data: Annotated[RateSetIn, Body()],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """A named source of exchange rates (an official one, or an illustrative one). It
        converts no portfolio's figures until a portfolio names it."""
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.establish_rate_set(
            data.name, envelope, illustrative=data.illustrative, scope=scope_of(request)
        )
        return created(recorded, f"/api/v1/rate-sets/{recorded.id}")

    @get("/", sync_to_thread=True, summary="Every rate set")
    def list_sets(self, readmodel: ReadModelDep, known_at: KnownAt = None) -> RateSetsOut:
        _, known_at = read_moment(None, known_at)
        return RateSetsOut(rate_sets_out(readmodel.query(lambda conn: rate_sets(conn, known_at))))

    @get("/{rate_set_id:uuid}", sync_to_thread=True, summary="A rate set and its rates")
    def show(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        rate_set_id: FromPath[UUID],
        known_at: KnownAt = None,
    ) -> Response[RateSetOut]:
        """Its rates as known at ``known_at`` (corrections and withdrawals recorded later are
        not applied)."""
        _, known_at = read_moment(None, known_at)
        aggregate = tracker.rate_set(rate_set_id, known_at=known_at)
        found = readmodel.query(lambda conn: published_rates_of(conn, rate_set_id, known_at))
        if found is None:
            raise NotFound(
                N_("the read model has not reached rate set %(rate_set_id)s yet"),
                rate_set_id=rate_set_id,
            )
        row, rates = found
        return tagged(
            rate_set_out(row, aggregate.version, known_at, rates), aggregate.version, request
        )

    @get("/{rate_set_id:uuid}/history", sync_to_thread=True, summary="Every event of a rate set")
    def history(
        self, tracker: Tracker, rate_set_id: FromPath[UUID], known_at: KnownAt = None
    ) -> list[EventOut]:
        _, known_at = read_moment(None, known_at)
        events = tracker.recorded_events(rate_set_id, known_at=known_at)
        if not events:
            raise NotFound(N_("there is no rate set %(rate_set_id)s"), rate_set_id=rate_set_id)
        return [event_out(e) for e in events]

    @post(
        "/{rate_set_id:uuid}/rates", sync_to_thread=True, summary="Publish rates", status_code=201
    )
    def publish(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        rate_set_id: FromPath[UUID],
        data: Annotated[RatesIn, Body(examples=[Example(value=RATES_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """All or nothing. A rate already published with the same value is left as it is; with
        another value it is refused (409): correct it instead, with a reason."""
        rates = published_rates(data)
        return _change(
            request,
            tracker,
            rate_set_id,
            data,
            lambda rate_set, envelope: rate_set.publish(rates, envelope),
            if_match,
            idempotency_key,
        )

    @post(
        "/{rate_set_id:uuid}/corrections",
        sync_to_thread=True,
        summary="Correct a published rate",
        status_code=201,
    )
    def correct(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        rate_set_id: FromPath[UUID],
        data: Annotated[RateCorrectionIn, Body()],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        rate = published_rate(data)
        return _change(
            request,
            tracker,
            rate_set_id,
            data,
            lambda rate_set, envelope: rate_set.correct(rate, data.reason, envelope),
            if_match,
            idempotency_key,
        )

    @post(
        "/{rate_set_id:uuid}/withdrawals",
        sync_to_thread=True,
        summary="Withdraw a published rate",
        status_code=201,
    )
    def withdraw(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        rate_set_id: FromPath[UUID],
        data: Annotated[RateWithdrawalIn, Body()],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        return _change(
            request,
            tracker,
            rate_set_id,
            data,
            lambda rate_set, envelope: rate_set.withdraw(
                data.currency, data.date, data.reason, envelope
            ),
            if_match,
            idempotency_key,
        )

    @post(
        "/{rate_set_id:uuid}/imports",
        summary="Publish an official rate file (CSV: date, currency, units_per_usd)",
        status_code=201,
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        rate_set_id: FromPath[UUID],
        source_title: FromQuery[str | None] = None,
        source_url: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """The body is the file (docs/rates.md). All or nothing: every bad cell is listed
        with its line and column, and nothing is published unless every rate is good."""
        body = await request.body()
        source = SourceIn(source_title, source_url) if source_title else None
        envelope = write_envelope(request, Recording(source=source), None)
        try:
            done = await anyio.to_thread.run_sync(
                lambda: import_rate_file(
                    tracker,
                    rate_set_id,
                    io.BytesIO(body),
                    "the rate file",
                    envelope,
                    scope=scope_of(request),
                )
            )
        except ImportRejected as error:
            return rows_problem(error)
        recorded = done.recorded
        return Response(
            RateImportOut(
                recorded.id, recorded.version, recorded.position, done.rates_in_file, done.rates_new
            ),
            status_code=201,
            headers={"Location": f"/api/v1/rate-sets/{rate_set_id}"},
        )


class PortfolioRateSetsController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}/rate-sets"
    tags = ["rate sets"]

    @put("/", sync_to_thread=True, summary="Choose the rate sets a portfolio converts with")
    def choose(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        portfolio_id: FromPath[UUID],
        data: Annotated[RateSetChoiceIn, Body()],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """In order of preference: for each currency and value date, the first set with a
        rate on or before that date converts. A portfolio converts with no other rates; an
        amount no named set can convert is reported as unconverted."""
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.choose_rate_sets(
            portfolio_id,
            list(data.rate_sets),
            envelope,
            expected_version=expected_version(if_match),
            scope=scope_of(request),
        )
        response = created(recorded, f"/api/v1/portfolios/{portfolio_id}")
        response.status_code = 200
        return response
