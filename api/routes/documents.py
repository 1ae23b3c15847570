"""The register of signed documents: sign one, record what became of it, read it at any moment."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from api.commands import document_change, document_terms, scope_of, write_envelope
from api.conditions import expected_version, read_moment
from api.params import (
    AsOf,
    Currency,
    Fx,
    IdempotencyKey,
    IfMatch,
    KnownAt,
    MinPosition,
    ReadModelDep,
    Tracker,
    report_query,
)
from api.presenters.documents import document_out, register_out
from api.presenters.events import event_out
from api.responses import created, paged, tagged
from api.schemas import RecordedOut
from api.schemas.documents import (
    DocumentEventIn,
    DocumentHistoryOut,
    DocumentIn,
    DocumentKindName,
    DocumentOut,
    DocumentPageOut,
    DocumentRegisterOut,
    DocumentStatusName,
)
from tracker.domain.errors import N_, NotFound
from tracker.readmodel.documents import (
    DocumentFilter,
    document_register,
    document_then,
    list_documents,
)

MAX_LIMIT = 500
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Documents per page.")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=2000, description="The `next_cursor` of the previous page, same filters."
    ),
]
PortfolioFilter = Annotated[UUID | None, QueryParameter(description="Documents of this portfolio.")]
KindFilter = Annotated[
    DocumentKindName | None, QueryParameter(description="Documents of this kind.")
]
StatusFilter = Annotated[
    DocumentStatusName | None,
    QueryParameter(description="Documents in this status at the moment."),
]
ProjectFilter = Annotated[
    UUID | None, QueryParameter(description="Documents that name this project.")
]
TitlePart = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=200, description="Part of the title, in any case."),
]

DOCUMENT_EXAMPLE = {
    "portfolio_id": "6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e",
    "title": "Memorandum on a joint copper cathode plant",
    "kind": "memorandum",
    "signed_on": "2024-10-22",
    "forum": "4th Kazakhstan–Uzbekistan interregional forum, Samarkand",
    "parties": ["Akimat of Turkestan region", "Khokimiyat of Samarkand region"],
    "value": {"amount": "25000000.00", "currency": "USD"},
    "source": {"title": "Forum communiqué, 22 Oct 2024"},
}
EVENT_EXAMPLES = [
    Example(
        summary="Entered into force",
        value={"type": "entered_into_force", "effective_date": "2025-01-15"},
    ),
    Example(summary="Fulfilled", value={"type": "fulfilled", "effective_date": "2026-03-01"}),
    Example(
        summary="Amended: a new value",
        value={
            "type": "amended",
            "value": {"amount": "30000000.00", "currency": "USD"},
            "reason": "Second phase added",
            "source": {"title": "Supplementary agreement No. 1"},
        },
    ),
    Example(summary="Lapsed", value={"type": "lapsed", "reason": "Term expired unfulfilled"}),
    Example(summary="Withdrawn", value={"type": "withdrawn", "reason": "Investor withdrew"}),
]


class DocumentController(Controller):
    path = "/api/v1/documents"
    tags = ["documents"]

    @post("/", sync_to_thread=True, summary="Record a signed document", status_code=201)
    def sign(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        data: Annotated[DocumentIn, Body(examples=[Example(value=DOCUMENT_EXAMPLE)])],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """Signed on ``signed_on`` (its effective date); ``projects`` must be projects of the
        same portfolio. Its value is what it states: not investment delivered."""
        terms = document_terms(data)
        envelope = write_envelope(request, data, idempotency_key, default_date=data.signed_on)
        recorded = tracker.sign_document(
            UUID(data.portfolio_id), terms, envelope, scope=scope_of(request)
        )
        return created(recorded, f"/api/v1/documents/{recorded.id}")

    @get("/", sync_to_thread=True, summary="List documents (at any moment, keyset pages)")
    def list_documents(
        self,
        request: Request[Any, Any, Any],
        readmodel: ReadModelDep,
        portfolio: PortfolioFilter = None,
        kind: KindFilter = None,
        status: StatusFilter = None,
        project: ProjectFilter = None,
        q: TitlePart = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response[DocumentPageOut]:
        """Newest signature first. With ``as_of``/``known_at``: the documents signed by
        ``as_of`` as recorded by ``known_at``, each as it was then; filters apply to that."""
        as_of, known_at = read_moment(as_of, known_at)
        filters = DocumentFilter(portfolio, kind, status, project, q)
        position = readmodel.wait_for(min_position)
        page = readmodel.query(
            lambda c: list_documents(
                c, filters, as_of=as_of, known_at=known_at, limit=limit, cursor=cursor
            )
        )
        return paged(
            request,
            DocumentPageOut(
                [document_out(r, as_of, known_at) for r in page.rows],
                page.next_cursor,
                position,
                as_of=as_of,
                known_at=known_at,
            ),
        )

    @get("/{document_id:uuid}", sync_to_thread=True, summary="A document at any moment")
    def show(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        document_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        min_position: MinPosition = None,
    ) -> Response[DocumentOut]:
        """Its terms and status as of ``as_of`` (the latest event effective by then) as
        recorded by ``known_at``."""
        as_of, known_at = read_moment(as_of, known_at)
        document = tracker.document(document_id, known_at=known_at)  # 404 if unknown then
        readmodel.wait_for(min_position)
        row = readmodel.query(
            lambda c: document_then(c, document_id, as_of=as_of, known_at=known_at)
        )
        if row is None and as_of is not None and as_of < document.signed_on:
            raise NotFound(
                N_("document %(document_id)s was signed on %(signed_on)s, after %(as_of)s"),
                document_id=document_id,
                signed_on=document.signed_on,
                as_of=as_of,
            )
        if row is None:
            raise NotFound(
                N_("the read model has not reached document %(document_id)s yet"),
                document_id=document_id,
            )
        return tagged(document_out(row, as_of, known_at), row.version, request)

    @get("/{document_id:uuid}/history", sync_to_thread=True, summary="Every event of a document")
    def history(
        self, tracker: Tracker, document_id: FromPath[UUID], known_at: KnownAt = None
    ) -> DocumentHistoryOut:
        """Oldest first, with actor, source and recorded time; with ``known_at`` only the
        events recorded by then."""
        _, known_at = read_moment(None, known_at)
        tracker.document(document_id, known_at=known_at)  # 404 unless a document then
        events = tracker.recorded_events(document_id, known_at=known_at)
        return DocumentHistoryOut(document_id, [event_out(e) for e in events])

    @post(
        "/{document_id:uuid}/events",
        sync_to_thread=True,
        summary="Record what became of a document",
        status_code=201,
    )
    def record(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        document_id: FromPath[UUID],
        data: Annotated[DocumentEventIn, Body(examples=EVENT_EXAMPLES)],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """``type``: ``entered_into_force`` (from signed), ``fulfilled`` (from in force),
        ``amended`` (a new value, title, parties or projects, with a reason), ``lapsed`` or
        ``withdrawn`` (with a reason, from signed or in force). Events are recorded in date
        order: one dated before the document's latest event is refused (409)."""
        change, linked = document_change(data)
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.change_document(
            document_id,
            lambda document: change(document, envelope),
            envelope,
            expected_version=expected_version(if_match),
            scope=scope_of(request),
            linked=linked,
        )
        return created(recorded, f"/api/v1/documents/{document_id}")


class PortfolioDocumentsController(Controller):
    path = "/api/v1/portfolios/{portfolio_id:uuid}/documents"
    tags = ["documents"]

    @get("/summary", sync_to_thread=True, summary="The register's count and sum of values")
    def summary(
        self,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        currency: Currency = "USD",
        fx: Fx = "latest",
        min_position: MinPosition = None,
    ) -> DocumentRegisterOut:
        """Documents signed by ``as_of`` as known at ``known_at``, by kind and by status
        (every one signed counts, whatever became of it), and the sum of the values they
        state in ``currency``, converted with the portfolio's rate sets at the date each
        value was stated; what cannot be converted is listed. Not investment delivered."""
        position = readmodel.wait_for(min_position)
        query = report_query(readmodel.tracker, portfolio_id, as_of, known_at, currency, fx)
        register = readmodel.report(
            lambda c: document_register(
                c, portfolio_id, query.as_of, query.known_at, query.currency, query.fx_date
            )
        )
        return register_out(register, position)
