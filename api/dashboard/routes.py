"""The dashboard's pages: ``/``, ``/portfolios/{id}`` and ``/projects/{id}``, plus its static files.

Pages take their settings from the query string (``as_of``, ``known_at``, the table's filters),
so a view can be shared as a link. Malformed values are explained on the page instead of
answered with a 400: a person typed them.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath
from litestar.router import Router
from litestar.static_files import create_static_files_router

from api.conditions import today_utc
from api.dashboard import format as f
from api.dashboard import views
from api.params import ReadModelDep, Tracker
from tracker.domain.errors import NotFound
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_PATH = "/static/dashboard"

#: Nothing but this origin: no CDN, no font service, no analytics, no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: The query parameters a page keeps when any one of them changes.
VIEW_PARAMS = (
    "as_of",
    "known_at",
    "sector",
    "region",
    "country",
    "status",
    "q",
    "sort",
    "stale_days",
    "rows",
)


def static_files_router() -> Router:
    return create_static_files_router(
        path=STATIC_PATH, directories=[STATIC], include_in_schema=False, name="dashboard-static"
    )


@cache
def static_url(name: str) -> str:
    """The file's URL with a digest of its content, so a new release is never served stale."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"{STATIC_PATH}/{name}?v={digest}"


def _event_kinds() -> list[str]:
    """Every event type the stream can name (``event: <type>``), taken from the domain."""
    kinds: set[str] = set()
    stack: list[type] = [Project.Event, Portfolio.Event]
    while stack:
        cls = stack.pop()
        if kind := getattr(cls, "KIND", ""):
            kinds.add(kind)
        stack.extend(cls.__subclasses__())
    return sorted(kinds)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=f.money,
        full_money=f.full_money,
        short_amount=f.short_amount,
        number=f.number,
        percent=f.percent,
        day=f.day,
        moment=f.moment,
        status=f.status,
        sector=f.sector,
        region=f.region,
        country=f.country,
        event_label=f.event_label,
    )
    env.globals.update(static_url=static_url, event_kinds=" ".join(_event_kinds()))
    return env


ENV = _environment()


def render_html(template: str, context: dict[str, Any]) -> str:
    return ENV.get_template(template).render(**context)


def html_response(html: str, status_code: int = 200) -> Response[str]:
    return Response(
        content=html, media_type=MediaType.HTML, status_code=status_code, headers=SECURITY_HEADERS
    )


class PageCache:
    """Rendered portfolio pages, shared by every open dashboard showing the same view.

    When an event is recorded every open dashboard asks for its page again at once; the key
    holds the read model's applied position (and the exchange rates' version, which moves
    no position), so they share one rendering and a new fact always misses the cache.
    """

    def __init__(self, size: int = 64, ttl: float = 60.0) -> None:
        self.size, self.ttl = size, ttl
        self._pages: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _cached(self, key: Hashable) -> str | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] <= time.monotonic():
                return None
            self._pages.move_to_end(key)
            return found[1]

    def get(self, key: Hashable, make: Callable[[], str]) -> str:
        """The page under ``key``; concurrent requests for a missing page wait for one maker."""
        if (page := self._cached(key)) is not None:
            return page
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:
            if (page := self._cached(key)) is not None:
                return page
            try:
                page = make()
            finally:
                with self._lock:
                    self._making.pop(key, None)
            with self._lock:
                self._pages[key] = (time.monotonic() + self.ttl, page)
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return page


PAGES = PageCache()


def _params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in request.query_params.items()}


def _min_position(params: Mapping[str, str]) -> int | None:
    text = params.get("min_position", "")
    return int(text) if text.isdigit() else None


def link_maker(path: str, params: Mapping[str, str]) -> Any:
    """``url(sort="title")``: this page's URL with one setting changed and the rest kept."""
    kept = {k: params[k] for k in VIEW_PARAMS if params.get(k)}

    def url(**changes: str | None) -> str:
        merged = {**kept, **changes}
        query = urlencode({k: v for k, v in merged.items() if v})
        return f"{path}?{query}" if query else path

    return url


def render(template: str, context: dict[str, Any], status_code: int = 200) -> Response[str]:
    return html_response(render_html(template, context), status_code)


def _not_found(detail: str) -> Response[str]:
    return render("not_found.html", {"detail": detail, "portfolios": []}, status_code=404)


class DashboardController(Controller):
    """Server-rendered pages for readers; the figures are the API's (see ``views``)."""

    include_in_schema = False

    @get("/", sync_to_thread=True, name="dashboard:home")
    def home(
        self, request: Request[Any, Any, Any], tracker: Tracker, readmodel: ReadModelDep
    ) -> Response[str]:
        """The first established portfolio, or how to get one."""
        links = readmodel.query(views.portfolio_links)
        if not links:
            return render("empty.html", {"portfolios": [], "position": readmodel.wait_for(None)})
        return self._portfolio(request, tracker, readmodel, UUID(links[0].id), "/")

    @get("/portfolios/{portfolio_id:uuid}", sync_to_thread=True, name="dashboard:portfolio")
    def portfolio(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
    ) -> Response[str]:
        return self._portfolio(
            request, tracker, readmodel, portfolio_id, f"/portfolios/{portfolio_id}"
        )

    @get("/projects/{project_id:uuid}", sync_to_thread=True, name="dashboard:project")
    def project(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        project_id: FromPath[UUID],
    ) -> Response[str]:
        params = _params(request)
        moment = views.parse_moment(params)
        readmodel.wait_for(_min_position(params))
        try:
            context = views.project_page(tracker, readmodel, project_id, moment)
        except NotFound:
            return _not_found(f"There is no project {project_id}.")
        path = f"/projects/{project_id}"
        context.update(url=link_maker(path, params), path=path)
        return render("project.html", context, 400 if moment.problems else 200)

    @staticmethod
    def _portfolio(
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: UUID,
        path: str,
    ) -> Response[str]:
        params = _params(request)
        moment = views.parse_moment(params)
        table = views.parse_table(params)
        position = readmodel.wait_for(_min_position(params))
        fx_version = readmodel.query(views.fx_version)
        view = tuple(sorted((k, v) for k, v in params.items() if k in VIEW_PARAMS))
        key = (path, portfolio_id, view, position, fx_version, today_utc().date())

        def make() -> str:
            context = views.portfolio_page(
                tracker, readmodel, portfolio_id, moment, table, position
            )
            context.update(url=link_maker(path, params), path=path)
            return render_html("portfolio.html", context)

        status = 400 if moment.problems else 200  # the page says what was wrong
        try:
            return html_response(PAGES.get(key, make), status)
        except NotFound:
            return _not_found(f"There is no portfolio {portfolio_id}.")
