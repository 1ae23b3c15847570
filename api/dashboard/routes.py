"""The dashboard's pages: ``/``, ``/portfolios/{id}`` and ``/projects/{id}``, plus its static files.

Pages take their settings from the query string (``as_of``, ``known_at``, the table's filters),
so a view can be shared as a link, and each offers one that fixes ``known_at`` ("Cite this").
Malformed values are explained on the page (with a 400): a person typed them; a ``known_at``
still to come is refused as the API refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.router import Router
from litestar.static_files import create_static_files_router

from api.conditions import today_utc
from api.dashboard import pages
from api.dashboard.changes import ACTIVITY_DAYS, compare_page
from api.dashboard.page_cache import PageCache
from api.dashboard.params import (
    VIEW_PARAMS,
    cite_link,
    link_maker,
    min_position,
    parse_moment,
    parse_table,
    query_params,
)
from api.dashboard.rendering import (
    STATIC,
    STATIC_PATH,
    answer_response,
    page_answer,
    render,
    render_html,
)
from api.params import ReadModelDep, Tracker
from api.shortcut import Answer, shortcut, shortcuts_of
from tracker import i18n
from tracker.domain.errors import NotFound
from tracker.eventstore.checkpoints import latest_checkpoint
from tracker.i18n import gettext as _
from tracker.readmodel import pages as page_queries
from tracker.readmodel.service import ReadModel

PAGES: PageCache[Answer] = PageCache()


def static_files_router() -> Router:
    return create_static_files_router(
        path=STATIC_PATH, directories=[STATIC], include_in_schema=False, name="dashboard-static"
    )


def _not_found(detail: str) -> Response[Any]:
    return render("not_found.html", {"detail": detail, "portfolios": []}, status_code=404)


class DashboardController(Controller):
    """Server-rendered pages for readers; the figures are the API's (see ``pages``)."""

    include_in_schema = False

    @get("/", name="dashboard:home", middleware=[shortcut])
    async def home(
        self, request: Request[Any, Any, Any], readmodel: ReadModelDep
    ) -> Response[bytes]:
        """The first established portfolio, or how to get one."""
        return await _portfolio(request, readmodel, None, "/")

    @get("/portfolios/{portfolio_id:uuid}", name="dashboard:portfolio", middleware=[shortcut])
    async def portfolio(
        self, request: Request[Any, Any, Any], readmodel: ReadModelDep, portfolio_id: FromPath[UUID]
    ) -> Response[bytes]:
        return await _portfolio(request, readmodel, portfolio_id, f"/portfolios/{portfolio_id}")

    @get("/projects/{project_id:uuid}", sync_to_thread=True, name="dashboard:project")
    def project(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        project_id: FromPath[UUID],
    ) -> Response[str]:
        params = query_params(request)
        moment = parse_moment(params)
        readmodel.wait_for(min_position(params))
        try:
            days = parse_table(params).stale_days
            context = pages.project_page(tracker, readmodel, project_id, moment, days)
        except NotFound:
            return _not_found(_("There is no project %(id)s.", id=project_id))
        path = f"/projects/{project_id}"
        url = link_maker(path, params)
        rendered_at = datetime.now(UTC)
        cite_url, cited_at = cite_link(
            url, moment, rendered_at, latest_checkpoint(readmodel.engine)
        )
        context.update(
            url=url,
            path=path,
            cite_url=cite_url,
            cited_at=cited_at,
            rendered_at=rendered_at,
            site=str(request.base_url).rstrip("/"),
        )
        return render("project.html", context, 400 if moment.problems else 200)

    @get(
        "/portfolios/{portfolio_id:uuid}/compare",
        sync_to_thread=True,
        name="dashboard:compare",
    )
    def compare(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
    ) -> Response[str]:
        """Two moments side by side: each headline figure, its change and what moved it."""
        params = query_params(request)
        position = readmodel.wait_for(min_position(params))
        try:
            context = compare_page(tracker, readmodel, portfolio_id, params, position)
        except NotFound:
            return _not_found(_("There is no portfolio %(id)s.", id=portfolio_id))
        path = f"/portfolios/{portfolio_id}/compare"
        context.update(path=path, url=link_maker(path, params))
        return render("compare.html", context, 400 if context["problems"] else 200)


async def _portfolio(
    request: Request[Any, Any, Any],
    readmodel: ReadModel,
    portfolio_id: UUID | None,
    path: str,
) -> Response[bytes]:
    """A portfolio's page (``None``: the first established one, or how to get one), from
    memory while the read model's applied position, the day and the view are the same.

    The position is the one this process has seen applied (no database round trip): an
    in-process projector announces it after each batch, an external one is followed
    (``ReadModel._watch``); a ``min_position`` ahead of it waits for it, as the reports do."""
    params = query_params(request)
    moment = parse_moment(params)  # a known_at still to come is refused here
    status = 400 if moment.problems else 200  # the page says what was wrong
    wanted = min_position(params)
    site = str(request.base_url).rstrip("/")
    view = tuple(sorted((k, v) for k, v in params.items() if k in VIEW_PARAMS))
    key = (path, portfolio_id, view, today_utc().date(), i18n.language(), site)
    seen = readmodel.projector.seen_position
    current = seen is not None and (wanted is None or seen >= wanted)

    def make() -> Answer:
        position = readmodel.wait_for(wanted)
        page, lasts = _render_portfolio(readmodel, portfolio_id, params, path, position, site)
        # Under the position seen too (the page is of it or a later one), so that the next
        # readers find it before this process learns of the later one. Kept as its answer:
        # its headers and compressed bytes are made once, whoever it is given to.
        answer = page_answer(page, status)
        later = current and seen is not None and position >= seen
        keys = {(key, position), (key, seen)} if later else {(key, position)}
        PAGES.remember(keys, answer, lasts)
        return answer

    try:
        if not current:  # it may need a later position than a shared page
            answer = await anyio.to_thread.run_sync(make)
        elif (found := PAGES.cached((key, seen))) is None:
            answer = await PAGES.shared((key, seen), make)
        else:
            answer, fresh = found
            if not fresh:
                PAGES.refresh((key, seen), make)
    except NotFound:
        return _not_found(_("There is no portfolio %(id)s.", id=portfolio_id))
    if current and wanted is None:  # the next such request is answered before the handler
        shortcuts_of(request.scope).remember(request.scope, _Recall(readmodel, key))
    return answer_response(answer.for_client(request.scope))


class _Recall:
    """A view's page at the position this process has seen applied, as :func:`_portfolio`
    answers it from the page cache, while the cache gives it (``api/shortcut.py``)."""

    __slots__ = ("key", "readmodel")

    def __init__(self, readmodel: ReadModel, key: tuple[Any, ...]) -> None:
        self.readmodel, self.key = readmodel, key

    def __call__(self) -> Answer | None:
        seen = self.readmodel.projector.seen_position
        return None if seen is None else PAGES.given((self.key, seen))


def _render_portfolio(
    readmodel: ReadModel,
    portfolio_id: UUID | None,
    params: dict[str, str],
    path: str,
    position: int,
    site: str,
) -> tuple[bytes, float | None]:
    """The page, and the seconds until it would read differently without a new event (the
    oldest entry of its last 30 days' list leaves them), if that can come."""
    tracker = readmodel.tracker
    if portfolio_id is None:
        links = readmodel.query(page_queries.portfolio_links)
        if not links:
            html = render_html("empty.html", {"portfolios": [], "position": position})
            return html.encode(), None
        portfolio_id = UUID(links[0].id)
    context = pages.portfolio_context(tracker, readmodel, portfolio_id, params, path, position)
    context.update(site=site)
    lasts = None
    if context["moment"].known_at is None and context["activity"]:
        oldest = min(item.recorded_at for item in context["activity"])
        leaves = oldest + timedelta(days=ACTIVITY_DAYS) - today_utc()
        lasts = leaves.total_seconds()
    return render_html("portfolio.html", context).encode(), lasts
