"""Projects: announce one, record what happens to it, read it as of any day."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from api.commands import command, plan, scope_of, title_translation, write_envelope
from api.conditions import expected_version, read_moment, today_utc
from api.params import (
    AsOf,
    CountryCode,
    FlagFilter,
    IdempotencyKey,
    IfMatch,
    KnownAt,
    Layer,
    MinPosition,
    NoNewsDays,
    ReadModelDep,
    RegionCode,
    Sector,
    StatusFilter,
    Tracker,
)
from api.presenters.events import event_out
from api.presenters.projects import project_out, summary_out
from api.responses import created, paged, tagged
from api.schemas import HistoryOut, RecordedOut
from api.schemas.projects import ProjectEventIn, ProjectIn, ProjectOut, ProjectPageOut, TitleIn
from tracker.domain.commands import ProjectCommand
from tracker.domain.errors import N_, NotFound
from tracker.group_commit import GroupCommit
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS
from tracker.readmodel.flags import only_flagged, project_flags, rules_for
from tracker.readmodel.moments import Moment, project_listing
from tracker.readmodel.queries import ProjectFilter, SortKey
from tracker.recording import Recorded

MAX_LIMIT = 500

Sort = Annotated[
    SortKey,
    QueryParameter(
        description="Order of the list; `-` for descending. Ties are broken by project id. "
        "`planned_investment` orders by currency, then amount (amounts are not converted).",
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Projects per page.")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=2000,
        description="The `next_cursor` of the previous page, with the same filters and sort.",
    ),
]
PortfolioFilter = Annotated[UUID | None, QueryParameter(description="Projects of this portfolio.")]
TitlePart = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=200, description="Part of the title, in any case."),
]
PROJECT_EXAMPLE = {
    "portfolio_id": "6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e",
    "title": "Cross-border logistics hub at Atameken–Gulistan",
    "sector": "transport",
    "regions": ["KZ-61", "UZ-SI"],
    "parties": ["Ministry of Industry (KZ)", "Ministry of Investment (UZ)"],
    "planned_investment": {"amount": "120000000.00", "currency": "USD"},
    "planned_jobs": 800,
    "planned_start": "2025-01-01",
    "effective_date": "2024-10-22",
    "source": {"title": "Forum communiqué, 22 Oct 2024"},
}
TITLE_EXAMPLE = {
    "language": "ru",
    "title": "Трансграничный логистический хаб Атамекен–Гулистан",
    "source": {"title": "Forum communiqué (Russian version), 22 Oct 2024"},
}
EVENT_EXAMPLES = [
    Example(
        summary="Investment committed",
        value={
            "type": "committed",
            "amount": {"amount": "25000000.00", "currency": "USD"},
            "effective_date": "2025-02-10",
            "source": {"title": "Signed investment agreement"},
        },
    ),
    Example(
        summary="Funds disbursed in tenge",
        value={"type": "disbursed", "amount": {"amount": "5000000000", "currency": "KZT"}},
    ),
    Example(
        summary="Jobs created", value={"type": "jobs_created", "permanent": 120, "temporary": 300}
    ),
    Example(summary="Milestone", value={"type": "milestone", "name": "Foundation stone laid"}),
    Example(
        summary="Suspended",
        value={"type": "status_changed", "status": "suspended", "reason": "Permits"},
    ),
    Example(summary="Resumed", value={"type": "status_changed", "status": "resumed"}),
    Example(summary="Completed", value={"type": "completed"}),
    Example(summary="Cancelled", value={"type": "cancelled", "reason": "Investor withdrew"}),
    Example(
        summary="Correction",
        value={
            "type": "corrected",
            "corrects": 2,
            "reason": "Typo in the amount",
            "replacement": {"amount": {"amount": "2500000.00", "currency": "USD"}},
        },
    ),
    Example(
        summary="Retraction", value={"type": "retracted", "retracts": 3, "reason": "Duplicate"}
    ),
]


class ProjectController(Controller):
    path = "/api/v1/projects"
    tags = ["projects"]

    @post("/", sync_to_thread=True, summary="Announce a project", status_code=201)
    def announce(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        data: Annotated[ProjectIn, Body(examples=[Example(value=PROJECT_EXAMPLE)])],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        envelope = write_envelope(request, data, idempotency_key)
        recorded = tracker.announce_project(
            UUID(data.portfolio_id),
            plan(data),
            envelope,
            illustrative=data.illustrative,
            scope=scope_of(request),
        )
        return created(recorded, f"/api/v1/projects/{recorded.id}")

    @get("/", sync_to_thread=True, summary="List projects (at any moment, keyset pages)")
    def list_projects(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio: PortfolioFilter = None,
        sector: Sector = None,
        region: RegionCode = None,
        country: CountryCode = None,
        status: StatusFilter = None,
        q: TitlePart = None,
        sort: Sort = "title",
        limit: Limit = 50,
        cursor: Cursor = None,
        as_of: AsOf = None,
        known_at: KnownAt = None,
        layer: Layer = "all",
        flag: FlagFilter = None,
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
        min_position: MinPosition = None,
    ) -> Response[ProjectPageOut]:
        """Pass ``next_cursor`` back (or follow the ``Link`` with ``rel="next"``), with the same
        filters and sort, until it is null: a project announced or changed meanwhile neither
        repeats nor pushes another off a page.

        With ``as_of`` or ``known_at``: the projects announced by ``as_of`` as recorded by
        ``known_at``, each as it was then (status, plan, title, version, latest news effective
        by ``as_of``); the filters and the order apply to those values. ``flag`` keeps the
        projects carrying that flag at the moment (``no_news_days`` sets the silence)."""
        as_of, known_at = read_moment(as_of, known_at)
        filters = ProjectFilter(
            portfolio_id=portfolio,
            sector=sector,
            region=region,
            country=country,
            status=status.value if status else None,
            q=q,
            illustrative=None if layer == "all" else layer == "illustrative",
        )
        position = readmodel.wait_for(min_position)
        moment = Moment(as_of, known_at)
        rules = rules_for(moment, no_news_days, today_utc().date())
        with readmodel.connection() as conn:
            if flag is not None:
                filters = only_flagged(conn, tracker, filters, moment, rules, flag)
            page = project_listing(
                conn, tracker, filters, moment, sort=sort, limit=limit, cursor=cursor
            )
        return paged(
            request,
            ProjectPageOut(
                [summary_out(r) for r in page.rows],
                page.next_cursor,
                position,
                as_of=as_of,
                known_at=known_at,
            ),
        )

    @get("/{project_id:uuid}", sync_to_thread=True, summary="A project's figures")
    def show(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        project_id: FromPath[UUID],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        no_news_days: NoNewsDays = DEFAULT_NO_NEWS_DAYS,
    ) -> Response[ProjectOut]:
        """``as_of`` folds only facts effective by that date; ``known_at`` only events
        recorded by that moment. Both may be combined. ``flags`` are judged at the same
        moment (``no_news_days`` sets the silence that counts as no news)."""
        as_of, known_at = read_moment(as_of, known_at)
        project = tracker.project_ledger(project_id, known_at=known_at)
        if as_of is not None and as_of < project.announced_on():
            raise NotFound(
                N_("project %(project_id)s was announced on %(value)s, after %(as_of)s"),
                project_id=project_id,
                value=project.announced_on(),
                as_of=as_of,
            )
        moment = Moment(as_of, known_at)
        rules = rules_for(moment, no_news_days, today_utc().date())
        flags = readmodel.query(
            lambda c: project_flags(c, tracker, project_id, project.portfolio_id, moment, rules)
        )
        return tagged(project_out(project, as_of, known_at, flags), project.version, request)

    @get("/{project_id:uuid}/events", sync_to_thread=True, summary="A project's full history")
    def history(
        self, tracker: Tracker, project_id: FromPath[UUID], known_at: KnownAt = None
    ) -> HistoryOut:
        """Every event, oldest first. With ``known_at``: the events recorded by then, marked
        only with the corrections and retractions recorded by then."""
        _, known_at = read_moment(None, known_at)
        history = tracker.project_history(project_id)  # 404 for an unknown project
        if known_at is not None:
            history = tracker.recorded_events(project_id, known_at=known_at)
            if not history:
                raise NotFound(
                    N_("there is no project %(project_id)s recorded by %(known_at)s"),
                    project_id=project_id,
                    known_at=known_at,
                )
        return HistoryOut(project_id, [event_out(e) for e in history])

    @post("/{project_id:uuid}/events", summary="Record an event on a project", status_code=201)
    async def record(
        self,
        request: Request[Any, Any, Any],
        project_id: FromPath[UUID],
        data: Annotated[ProjectEventIn, Body(examples=EVENT_EXAMPLES)],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """Saved with the writes of concurrent requests in one transaction (group commit);
        answered once that transaction committed."""
        recorded = await _submit(
            request, project_id, command(data), data, if_match, idempotency_key
        )
        return created(recorded, f"/api/v1/projects/{project_id}/events")

    @post(
        "/{project_id:uuid}/titles",
        summary="Give a project's title in a reader's language",
        status_code=201,
    )
    async def translate_title(
        self,
        request: Request[Any, Any, Any],
        project_id: FromPath[UUID],
        data: Annotated[TitleIn, Body(examples=[Example(value=TITLE_EXAMPLE)])],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RecordedOut]:
        """The title as entered stays (``title``) and is shown where no translation is given;
        ``titles`` in ``GET /api/v1/projects/{id}`` holds the translations known at the read's
        moment, and the dashboard shows the reader's. A later one for the same language
        replaces the earlier (both stay in the project's history)."""
        translation = title_translation(data)
        recorded = await _submit(request, project_id, translation, data, if_match, idempotency_key)
        return created(recorded, f"/api/v1/projects/{project_id}")


async def _submit(
    request: Request[Any, Any, Any],
    project_id: UUID,
    project_command: ProjectCommand,
    data: Any,
    if_match: str | None,
    idempotency_key: str | None,
) -> Recorded:
    """``project_command`` saved with the writes of concurrent requests (group commit), once
    that transaction committed."""
    writes: GroupCommit = request.app.state.writes
    answer = writes.submit(
        project_id,
        project_command,
        write_envelope(request, data, idempotency_key),
        expected_version=expected_version(if_match),
        scope=scope_of(request),
    )
    return await asyncio.wrap_future(answer)
