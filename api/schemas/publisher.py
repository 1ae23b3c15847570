"""Request body and answer of a portfolio's IATI reporting organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from api.schemas import Recording, Text

Code = Annotated[str, Meta(pattern=r"^[0-9]{2}$", examples=["10"])]


class ReportingOrganisationIn(Recording, kw_only=True):
    """Who publishes the portfolio to IATI."""

    ref: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=100,
            description="IATI organisation identifier: a registration agency's code "
            "(OrganisationRegistrationAgency codelist), '-', the number it gave",
            examples=["KZ-BIN-123456789012"],
        ),
    ]
    name: Text
    type: Code = "10"
    flow_type: Code = "36"


class ReportingOrganisationOut(Struct):
    portfolio_id: UUID
    ref: str
    name: str
    #: OrganisationType code and its name.
    type: str
    type_name: str
    #: FlowType code its activities carry by default, and its name.
    flow_type: str
    flow_type_name: str
    #: The registration agency ``ref`` starts with, and its name.
    agency: str
    agency_name: str
    #: The portfolio's version that set it, and when that was recorded.
    version: int
    recorded_at: datetime
    known_at: datetime | None
