"""A portfolio's IATI reporting organisation: who publishes its activities, set by an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from api.commands import scope_of, write_envelope
from api.conditions import expected_version, read_moment
from api.params import IdempotencyKey, IfMatch, KnownAt, ReadModelDep, Tracker
from api.responses import created, tagged
from api.schemas import RecordedOut
from api.schemas.publisher import ReportingOrganisationIn, ReportingOrganisationOut
from tracker.domain.errors import N_, NotFound
from tracker.domain.publisher import (
    FLOW_TYPES,
    ORGANISATION_TYPES,
    REGISTRATION_AGENCIES,
    ReportingOrganisation,
)
from tracker.readmodel.publishers import PublisherRow, reporting_organisation_of

PUBLISHER_EXAMPLE = {
    "ref": "KZ-BIN-123456789012",
    "name": "Ministry of Trade and Integration of the Republic of Kazakhstan",
    "type": "10",
    "flow_type": "36",
}


class PortfolioPublisherController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}/reporting-organisation"
    tags = ["portfolios"]

    @put("/", sync_to_thread=True, summary="Name who publishes the portfolio to IATI")
    def set_publisher(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        portfolio_id: FromPath[UUID],
        data: Annotated[ReportingOrganisationIn, Body(examples=[Example(value=PUBLISHER_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """Its IATI organisation identifier starts every activity's `iati-identifier`; the
        IATI export is refused until it is set. `type` is its OrganisationType (10:
        government), `flow_type` the FlowType its activities carry (36: private direct
        investment). A later setting replaces it; activities then list the identifiers they
        had before (`other-identifier`, type B1)."""
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.set_reporting_organisation(
            portfolio_id,
            ReportingOrganisation(data.ref, data.name, data.type, data.flow_type),
            envelope,
            expected_version=expected_version(if_match),
            scope=scope_of(request),
        )
        response = created(recorded, f"/api/v1/portfolios/{portfolio_id}/reporting-organisation")
        response.status_code = 200
        return response

    @get("/", sync_to_thread=True, summary="Who publishes the portfolio to IATI")
    def show(
        self,
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        known_at: KnownAt = None,
    ) -> Response[ReportingOrganisationOut]:
        """As set by `known_at` (404 before it was set)."""
        _, known_at = read_moment(None, known_at)
        tracker.portfolio(portfolio_id, known_at=known_at)  # 404 for no such portfolio
        found = readmodel.query(
            lambda conn: reporting_organisation_of(conn, portfolio_id, known_at)
        )
        if found is None:
            if known_at:
                raise NotFound(
                    N_(
                        "portfolio %(portfolio_id)s had no reporting organisation as known at "
                        "%(known_at)s; an admin sets it with PUT "
                        "/api/v1/portfolios/%(portfolio_id)s/reporting-organisation"
                    ),
                    portfolio_id=portfolio_id,
                    known_at=known_at.isoformat(),
                    field="reporting_organisation",
                )
            raise NotFound(
                N_(
                    "portfolio %(portfolio_id)s has no reporting organisation; an admin sets it "
                    "with PUT /api/v1/portfolios/%(portfolio_id)s/reporting-organisation"
                ),
                portfolio_id=portfolio_id,
                field="reporting_organisation",
            )
        return tagged(_publisher_out(portfolio_id, found, known_at), found.version)


def _publisher_out(
    portfolio_id: UUID, row: PublisherRow, known_at: datetime | None
) -> ReportingOrganisationOut:
    org = row.organisation
    return ReportingOrganisationOut(
        portfolio_id=portfolio_id,
        ref=org.ref,
        name=org.name,
        type=org.type,
        type_name=ORGANISATION_TYPES.get(org.type, ""),
        flow_type=org.flow_type,
        flow_type_name=FLOW_TYPES.get(org.flow_type, ""),
        agency=org.agency,
        agency_name=REGISTRATION_AGENCIES.get(org.agency, ""),
        version=row.version,
        recorded_at=row.recorded_at,
        known_at=known_at,
    )
