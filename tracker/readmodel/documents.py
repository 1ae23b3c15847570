"""The register of signed documents as of a day, as known at a moment: lists and the summary.

A document counts at (``as_of``, ``known_at``) once it was signed by ``as_of`` and its
signing recorded by ``known_at``; its terms and status are those of its latest version
effective by ``as_of`` and recorded by ``known_at`` (``rm_document_versions``; a document's
events come in date order, so that version is its state then). Every document signed
counts, whatever became of it later: the forum announced signatures, and what lapsed or was
withdrawn is shown by status. Values are summed in the report currency with the portfolio's
rate sets as known at ``known_at`` (``RateBook``), each at the date the value was stated;
what no named set converts is listed as unconverted. A document's value is what its text
states, never investment delivered: it is reported apart from the projects' figures.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql import Select

from tracker.domain.errors import N_, ValidationError
from tracker.readmodel import tables as t
from tracker.readmodel.database import exact_sum, naive_utc, stored_utc
from tracker.readmodel.fx import Rate, RateBook, RateSetRow
from tracker.readmodel.queries import has_code, unicode_lower
from tracker.readmodel.totals import Total

_V = t.document_versions.c
_D = t.documents.c


@dataclass(frozen=True)
class DocumentFilter:
    portfolio_id: UUID | None = None
    kind: str | None = None
    status: str | None = None
    project_id: UUID | None = None
    q: str | None = None


@dataclass(frozen=True)
class DocumentRow:
    """A document as it was at a moment: its latest version then, and how it was signed."""

    document_id: str
    portfolio_id: str
    title: str
    kind: str
    signed_on: date
    forum: str | None
    parties: tuple[str, ...]
    value_amount: Decimal | None
    currency: str | None
    value_date: date | None
    projects: tuple[str, ...]
    status: str
    version: int
    #: The effective date of that version's event (the latest news then).
    last_event_on: date
    source_title: str | None
    source_url: str | None
    recorded_at: datetime  # when its signing was recorded


@dataclass(frozen=True)
class DocumentPage:
    rows: list[DocumentRow]
    next_cursor: str | None


@dataclass
class DocumentRegister:
    """A portfolio's register at a moment: how many documents, of what, worth how much."""

    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    currency: str
    count: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    #: How many of them state a value (the others state none, and add nothing to the total).
    with_value: int = 0
    total: Total = field(default_factory=lambda: Total("USD"))
    rates_used: list[Rate] = field(default_factory=list)
    rate_sets: list[RateSetRow] = field(default_factory=list)


def _latest(portfolio_id: UUID | None, as_of: date | None, known_at: datetime | None) -> Any:
    """Each document's latest version effective by ``as_of`` and recorded by ``known_at``."""
    conditions = []
    if portfolio_id is not None:
        conditions.append(_V.portfolio_id == str(portfolio_id))
    if as_of is not None:
        conditions.append(_V.effective_date <= as_of)
    if known_at is not None:
        conditions.append(_V.recorded_at <= naive_utc(known_at))
    return (
        select(_V.document_id, func.max(_V.version).label("version"))
        .where(*conditions)
        .group_by(_V.document_id)
        .subquery()
    )


def _versions_then(
    portfolio_id: UUID | None, as_of: date | None, known_at: datetime | None
) -> Select[Any]:
    latest = _latest(portfolio_id, as_of, known_at)
    v = t.document_versions
    return (
        select(
            v,
            _D.forum,
            _D.source_title,
            _D.source_url,
            _D.recorded_at.label("signed_recorded_at"),
        )
        .join(latest, and_(_V.document_id == latest.c.document_id, _V.version == latest.c.version))
        .join(t.documents, _D.document_id == _V.document_id)
    )


def _row(row: Any) -> DocumentRow:
    return DocumentRow(
        document_id=row.document_id,
        portfolio_id=row.portfolio_id,
        title=row.title,
        kind=row.kind,
        signed_on=row.signed_on,
        forum=row.forum,
        parties=tuple(json.loads(row.parties)),
        value_amount=row.value_amount,
        currency=row.currency,
        value_date=row.value_date,
        projects=tuple(row.projects.split()),
        status=row.status,
        version=row.version,
        last_event_on=row.effective_date,
        source_title=row.source_title,
        source_url=row.source_url,
        recorded_at=stored_utc(row.signed_recorded_at),
    )


def list_documents(
    conn: Connection,
    filters: DocumentFilter,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> DocumentPage:
    """Documents as they were at the moment, newest signature first (then by title and id),
    filtered on their values then; keyset pages, so none repeats or is skipped."""
    statement = _versions_then(filters.portfolio_id, as_of, known_at)
    if filters.kind is not None:
        statement = statement.where(_V.kind == filters.kind)
    if filters.status is not None:
        statement = statement.where(_V.status == filters.status)
    if filters.project_id is not None:
        statement = statement.where(has_code(_V.projects, str(filters.project_id)))
    if filters.q:
        lower = unicode_lower(conn)
        statement = statement.where(lower(_V.title).contains(filters.q.lower(), autoescape=True))
    if cursor is not None:
        signed_on, title, document_id = decode_cursor(cursor)
        statement = statement.where(
            or_(
                _V.signed_on < signed_on,
                and_(_V.signed_on == signed_on, _V.title > title),
                and_(_V.signed_on == signed_on, _V.title == title, _V.document_id > document_id),
            )
        )
    statement = statement.order_by(_V.signed_on.desc(), _V.title, _V.document_id).limit(limit + 1)
    rows = [_row(r) for r in conn.execute(statement)]
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if more else None
    next_cursor = encode_cursor(last.signed_on, last.title, last.document_id) if last else None
    return DocumentPage(page, next_cursor)


def document_then(
    conn: Connection,
    document_id: UUID,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> DocumentRow | None:
    """One document as it was at the moment (``None``: not signed by then, or not known)."""
    found = conn.execute(
        _versions_then(None, as_of, known_at).where(_V.document_id == str(document_id))
    ).one_or_none()
    return _row(found) if found is not None else None


def document_register(
    conn: Connection,
    portfolio_id: UUID,
    as_of: date | None = None,
    known_at: datetime | None = None,
    currency: str = "USD",
    fx_date: date | None = None,
) -> DocumentRegister:
    """The register's count (by kind and by status) and the sum of its stated values."""
    then = _versions_then(portfolio_id, as_of, known_at).subquery()
    groups = conn.execute(
        select(
            then.c.kind,
            then.c.status,
            then.c.currency,
            then.c.value_date,
            func.count().label("documents"),
            exact_sum(then.c.value_amount).label("amount"),
        ).group_by(then.c.kind, then.c.status, then.c.currency, then.c.value_date)
    ).all()
    book = RateBook.load(conn, portfolio_id, known_at, fx_date)
    register = DocumentRegister(portfolio_id, as_of, known_at, currency, total=Total(currency))
    for group in groups:
        count = int(group.documents)
        register.count += count
        register.by_kind[group.kind] += count
        register.by_status[group.status] += count
        if group.currency is not None:
            register.with_value += count
            register.total.add(book, group.amount, group.currency, group.value_date, count)
    register.rates_used = book.used_rates()
    register.rate_sets = book.sets
    return register


# Cursors: base64url of JSON [signed_on, title, document id]; opaque to clients.


def encode_cursor(signed_on: date, title: str, document_id: str) -> str:
    text = json.dumps([signed_on.isoformat(), title, document_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, str, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        signed_on, title, document_id = json.loads(text)
        if not isinstance(title, str) or not isinstance(document_id, str):
            raise ValueError("not a cursor")
        return date.fromisoformat(signed_on), title, document_id
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise ValidationError(
            N_("not a cursor returned by this listing (use next_cursor as given)"), field="cursor"
        ) from None


def document_ids(conn: Connection, portfolio_id: UUID) -> list[str]:
    """The ids of every document of the portfolio the read model holds (for an export)."""
    query = select(_D.document_id).where(_D.portfolio_id == str(portfolio_id))
    return list(conn.execute(query.order_by(_D.document_id)).scalars())
