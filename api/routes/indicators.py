"""Indicators: figures a portfolio follows beyond its projects, observed period by period
against restated targets (docs/indicators.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from api.commands import period, quantity, scope_of, write_envelope
from api.conditions import expected_version, read_moment
from api.params import AsOf, IdempotencyKey, IfMatch, KnownAt, MinPosition, ReadModelDep, Tracker
from api.presenters.events import event_out
from api.presenters.indicators import indicator_report_out, indicators_out
from api.responses import created, tagged
from api.schemas import EventOut, RecordedOut, Recording
from api.schemas.indicators import (
    IndicatorIn,
    IndicatorReportOut,
    IndicatorsOut,
    IndicatorTargetIn,
    ObservationCorrectionIn,
    ObservationIn,
    ObservationRetractionIn,
)
from tracker.application import TrackerApplication
from tracker.domain.errors import N_, NotFound
from tracker.domain.indicator import Indicator, PeriodKind
from tracker.domain.values import Envelope, check_currency
from tracker.readmodel.indicators import IndicatorQuery, indicators, portfolio_of_indicator

ReportCurrency = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[A-Z]{3}$",
        description="Report money indicators in this currency (ISO 4217); "
        "default: each indicator's own.",
    ),
]
INDICATOR_EXAMPLE = {
    "name": "Mutual trade turnover",
    "currency": "USD",
    "description": "Kazakhstan–Uzbekistan trade in goods, both directions",
    "effective_date": "2024-10-22",
}
OBSERVATION_EXAMPLE = {
    "period": {"start": "2024-01-01", "end": "2024-08-31", "kind": "to_date"},
    "value": {"amount": "2500000000", "currency": "USD"},
    "effective_date": "2024-10-22",
    "source": {"title": "Astana Times, 22 Oct 2024"},
}
TARGET_EXAMPLE = {
    "value": {"amount": "10000000000", "currency": "USD"},
    "target_date": "2030-12-31",
    "per": "year",
    "effective_date": "2025-11-15",
    "source": {"title": "Joint statement, 15 Nov 2025"},
}


def _moment(
    as_of: date | None, known_at: datetime | None, currency: str | None
) -> tuple[date | None, datetime | None]:
    """The moment asked for, checked, and the report currency checked when one is given."""
    if currency is not None:
        check_currency(currency)
    return read_moment(as_of, known_at)


class PortfolioIndicatorsController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}/indicators"
    tags = ["indicators"]

    @post("/", sync_to_thread=True, summary="Define an indicator", status_code=201)
    def define(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        portfolio_id: FromPath[UUID],
        data: Annotated[IndicatorIn, Body(examples=[Example(value=INDICATOR_EXAMPLE)])],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """A money indicator (``currency``) or a counted one (``unit``). Needs an admin key
        (of this portfolio, or of none)."""
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.define_indicator(
            portfolio_id,
            data.name,
            envelope,
            currency=data.currency,
            unit=data.unit,
            description=data.description,
            scope=scope_of(request),
        )
        return created(recorded, f"/api/v1/indicators/{recorded.id}")

    @get("/", sync_to_thread=True, summary="Every indicator of a portfolio, with its series")
    def list_indicators(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: ReportCurrency = None,
        min_position: MinPosition = None,
    ) -> IndicatorsOut:
        """Each indicator's observations effective by ``as_of`` as known at ``known_at``
        (corrections applied), the target in force, the latest value and progress."""
        as_of, known_at = _moment(as_of, known_at, currency)
        position = readmodel.wait_for(min_position)
        readmodel.tracker.portfolio(portfolio_id)  # 404 for an unknown portfolio
        query = IndicatorQuery(portfolio_id, as_of, known_at, currency)
        return indicators_out(readmodel.report(lambda c: indicators(c, query)), position)


def _change(
    request: Request[Any, Any, Any],
    tracker: TrackerApplication,
    indicator_id: UUID,
    data: Recording,
    change: Callable[[Indicator, Envelope], object],
    if_match: str | None,
    idempotency_key: str | None,
    **defaults: Any,
) -> Response[RecordedOut]:
    """Record one change of an indicator (its method, given the request's envelope)."""
    envelope = write_envelope(request, data, idempotency_key, **defaults)
    recorded = tracker.change_indicator(
        indicator_id,
        lambda indicator: change(indicator, envelope),
        envelope,
        expected_version=expected_version(if_match),
        scope=scope_of(request),
    )
    return created(recorded, f"/api/v1/indicators/{indicator_id}")


class IndicatorController(Controller):
    path = "/api/v1/indicators/{indicator_id:uuid}"
    tags = ["indicators"]

    @get("/", sync_to_thread=True, summary="An indicator, its series, target and progress")
    def show(
        self,
        readmodel: ReadModelDep,
        indicator_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: ReportCurrency = None,
        min_position: MinPosition = None,
    ) -> Response[IndicatorReportOut]:
        as_of, known_at = _moment(as_of, known_at, currency)
        position = readmodel.wait_for(min_position)
        aggregate = readmodel.tracker.indicator(indicator_id, known_at=known_at)
        portfolio_id = readmodel.query(lambda c: portfolio_of_indicator(c, indicator_id))
        if portfolio_id is None:
            raise NotFound(
                N_("the read model has not reached indicator %(indicator_id)s yet"),
                indicator_id=indicator_id,
            )
        query = IndicatorQuery(portfolio_id, as_of, known_at, currency, indicator_id)
        report = readmodel.report(lambda c: indicators(c, query))
        if not report.indicators:
            raise NotFound(
                N_("the read model has not reached indicator %(indicator_id)s yet"),
                indicator_id=indicator_id,
            )
        return tagged(indicator_report_out(report, aggregate.version, position), aggregate.version)

    @get("/history", sync_to_thread=True, summary="Every event of an indicator")
    def history(
        self, tracker: Tracker, indicator_id: FromPath[UUID], known_at: KnownAt = None
    ) -> list[EventOut]:
        _, known_at = read_moment(None, known_at)
        events = tracker.recorded_events(indicator_id, known_at=known_at)
        if not events or not isinstance(events[0].event, Indicator.Event):
            raise NotFound(N_("there is no indicator %(indicator_id)s"), indicator_id=indicator_id)
        return [event_out(e) for e in events]

    @post("/observations", sync_to_thread=True, summary="Observe a period", status_code=201)
    def observe(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        indicator_id: FromPath[UUID],
        data: Annotated[ObservationIn, Body(examples=[Example(value=OBSERVATION_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """A period is observed once (409 for a second time: correct it instead). The
        effective date is the day the figure was published, by default the period's end;
        never before the period ended."""
        observed, value = period(data.period), quantity(data.value)
        return _change(
            request,
            tracker,
            indicator_id,
            data,
            lambda indicator, envelope: indicator.observe(observed, value, envelope),
            if_match,
            idempotency_key,
            default_date=data.period.end,
        )

    @post("/corrections", sync_to_thread=True, summary="Correct an observation", status_code=201)
    def correct(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        indicator_id: FromPath[UUID],
        data: Annotated[ObservationCorrectionIn, Body()],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """Names the observation by its period; it keeps its effective date."""
        observed, value = period(data.period), quantity(data.value)
        return _change(
            request,
            tracker,
            indicator_id,
            data,
            lambda indicator, envelope: indicator.correct(observed, value, data.reason, envelope),
            if_match,
            idempotency_key,
        )

    @post("/retractions", sync_to_thread=True, summary="Retract an observation", status_code=201)
    def retract(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        indicator_id: FromPath[UUID],
        data: Annotated[ObservationRetractionIn, Body()],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        observed = period(data.period)
        return _change(
            request,
            tracker,
            indicator_id,
            data,
            lambda indicator, envelope: indicator.retract(observed, data.reason, envelope),
            if_match,
            idempotency_key,
        )

    @post("/targets", sync_to_thread=True, summary="Restate the target", status_code=201)
    def restate_target(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        indicator_id: FromPath[UUID],
        data: Annotated[IndicatorTargetIn, Body(examples=[Example(value=TARGET_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """In force from its effective date (the day it was stated) until restated. Needs
        an admin key (of the indicator's portfolio, or of none)."""
        value = quantity(data.value)
        per = PeriodKind(data.per) if data.per else None
        return _change(
            request,
            tracker,
            indicator_id,
            data,
            lambda indicator, envelope: indicator.restate_target(
                value, data.target_date, envelope, per=per
            ),
            if_match,
            idempotency_key,
        )
