"""Who publishes a portfolio to IATI, as known at a moment (``rm_reporting_organisations``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, select

from tracker.domain.publisher import ReportingOrganisation
from tracker.readmodel import tables as t
from tracker.readmodel.database import known_rows, stored_utc


@dataclass(frozen=True)
class PublisherRow:
    organisation: ReportingOrganisation
    #: The portfolio's version that set it, and when that was recorded.
    version: int
    recorded_at: datetime


def reporting_organisation_of(
    conn: Connection, portfolio_id: UUID, known_at: datetime | None = None
) -> PublisherRow | None:
    """The publisher in force at ``known_at`` (the latest setting recorded by then)."""
    table = t.reporting_organisations
    row = conn.execute(
        select(table)
        .where(table.c.portfolio_id == str(portfolio_id), *known_rows(table, known_at))
        .order_by(table.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    organisation = ReportingOrganisation(row.ref, row.name, row.organisation_type, row.flow_type)
    return PublisherRow(organisation, row.version, stored_utc(row.recorded_at))
