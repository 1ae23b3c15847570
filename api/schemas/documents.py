"""The register of signed documents (docs/documents.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta, Struct

from api.schemas import (
    EventOut,
    Id,
    MoneyIn,
    MoneyOut,
    RateOut,
    RateSetSummaryOut,
    Recording,
    SourceOut,
    Text,
    TotalOut,
)

# Documents: the register of signed documents (docs/documents.md)

DocumentKindName = Literal["agreement", "memorandum", "contract", "roadmap", "action_plan", "other"]
DocumentStatusName = Literal["signed", "in_force", "fulfilled", "lapsed", "withdrawn"]
Parties = Annotated[list[Text], Meta(max_length=50)]
LinkedProjects = Annotated[list[Id], Meta(max_length=500)]


class DocumentIn(Recording, kw_only=True):
    """A document signed on ``signed_on`` (its effective date) at a forum or meeting."""

    portfolio_id: Id
    title: Text
    kind: DocumentKindName
    signed_on: date
    forum: Text | None = None
    parties: Parties = []
    value: MoneyIn | None = None
    projects: LinkedProjects = []


class EnteredIntoForceIn(Recording, kw_only=True, tag_field="type", tag="entered_into_force"):
    pass


class FulfilledIn(Recording, kw_only=True, tag_field="type", tag="fulfilled"):
    pass


class DocumentAmendedIn(Recording, kw_only=True, tag_field="type", tag="amended"):
    """Give only what changes: a new value, title, parties or linked projects."""

    reason: Text
    title: Text | None = None
    parties: Parties | None = None
    value: MoneyIn | None = None
    projects: LinkedProjects | None = None


class LapsedIn(Recording, kw_only=True, tag_field="type", tag="lapsed"):
    reason: Text


class WithdrawnIn(Recording, kw_only=True, tag_field="type", tag="withdrawn"):
    reason: Text


DocumentEventIn = EnteredIntoForceIn | FulfilledIn | DocumentAmendedIn | LapsedIn | WithdrawnIn


class DocumentOut(Struct):
    """A document as it was at the moment asked for (its latest version then)."""

    id: UUID
    portfolio_id: UUID
    title: str
    kind: str
    signed_on: date
    forum: str | None
    parties: list[str]
    value: MoneyOut | None
    #: When the value was stated: on signing, or by the amendment that set it.
    value_date: date | None
    projects: list[UUID]
    status: str
    version: int
    last_event_on: date
    source: SourceOut | None
    recorded_at: datetime
    as_of: date | None = None
    known_at: datetime | None = None


class DocumentPageOut(Struct):
    items: list[DocumentOut]
    next_cursor: str | None
    position: int
    as_of: date | None = None
    known_at: datetime | None = None


class DocumentHistoryOut(Struct):
    document_id: UUID
    events: list[EventOut]


class DocumentRegisterOut(Struct):
    """A portfolio's register: documents signed by ``as_of`` as known at ``known_at``, and
    the sum of the values they state. Not investment delivered: counted apart from projects."""

    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    currency: str
    documents: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    documents_with_value: int
    total_value: TotalOut
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
