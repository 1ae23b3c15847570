"""Documents of the register, and the register's summary, to response bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from uuid import UUID

from api import schemas as s
from api.presenters.rates import rate_sets_out, rates_out
from api.presenters.reports import total_out
from api.presenters.values import exact_amount
from api.schemas import documents as document_schemas
from tracker.domain.document import DocumentKind, DocumentStatus
from tracker.readmodel.documents import DocumentRegister, DocumentRow


def document_out(
    row: DocumentRow, as_of: date | None = None, known_at: datetime | None = None
) -> document_schemas.DocumentOut:
    value = (
        s.MoneyOut(exact_amount(row.value_amount), row.currency)
        if row.value_amount is not None and row.currency is not None
        else None
    )
    return document_schemas.DocumentOut(
        id=UUID(row.document_id),
        portfolio_id=UUID(row.portfolio_id),
        title=row.title,
        kind=row.kind,
        signed_on=row.signed_on,
        forum=row.forum,
        parties=list(row.parties),
        value=value,
        value_date=row.value_date,
        projects=[UUID(p) for p in row.projects],
        status=row.status,
        version=row.version,
        last_event_on=row.last_event_on,
        source=s.SourceOut(row.source_title, row.source_url) if row.source_title else None,
        recorded_at=row.recorded_at,
        as_of=as_of,
        known_at=known_at,
    )


def _every(counts: Mapping[str, int], names: list[str]) -> dict[str, int]:
    """Every kind (or status), in the domain's order, with zero where there is none."""
    return {name: int(counts.get(name, 0)) for name in names}


def register_out(register: DocumentRegister, position: int) -> document_schemas.DocumentRegisterOut:
    return document_schemas.DocumentRegisterOut(
        portfolio_id=register.portfolio_id,
        as_of=register.as_of,
        known_at=register.known_at,
        currency=register.currency,
        documents=register.count,
        by_kind=_every(register.by_kind, [k.value for k in DocumentKind]),
        by_status=_every(register.by_status, [st.value for st in DocumentStatus]),
        documents_with_value=register.with_value,
        total_value=total_out(register.total),
        fx_rates_used=rates_out(register.rates_used),
        fx_rate_sets=rate_sets_out(register.rate_sets),
        position=position,
    )
