"""Figures to take away: each view of the portfolio page as CSV or XLSX, each chart as SVG.

The downloads take the page's own query string and are made from the page's own context
(``pages.portfolio_context``), so a download holds what the page shows for the same moment,
filters, layer and language. PNG is drawn in the reader's browser from the SVG
(``dashboard.js``): it renders the chart with the same engine and fonts as the page, and the
server needs no image library.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.exceptions import ValidationException
from litestar.params import FromPath

from api.conditions import read_moment
from api.dashboard import pages
from api.dashboard.charts import standalone
from api.dashboard.params import min_position, parse_moment, query_params
from api.dashboard.rendering import SECURITY_HEADERS, chart_css, render
from api.dashboard.sheets import SHEETS, about, to_csv, to_xlsx
from api.params import ReadModelDep, Tracker
from tracker.domain.errors import NotFound
from tracker.i18n import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": "text/csv", "xlsx": XLSX, "svg": "image/svg+xml"}
_NAME = re.compile(r"^(?P<view>[a-z0-9-]+)\.(?P<format>csv|xlsx|svg)$")


def _not_found(detail: str) -> Response[str]:
    return render("not_found.html", {"detail": detail, "portfolios": []}, status_code=404)


def _filename(page: dict[str, Any], view: str, extension: str) -> str:
    """``figures-timeline-as-of-2024-12-31-known-at-2024-10-22T235959Z.csv``."""
    moment = page["moment"]
    parts = ["figures", view]
    if moment.as_of_text:
        parts += ["as-of", moment.as_of_text]
    if moment.known_at_param:
        parts += ["known-at", re.sub(r"[^0-9TZ-]", "", moment.known_at_param)]
    return "-".join(parts) + f".{extension}"


def _file(content: bytes | str, page: dict[str, Any], view: str, extension: str) -> Response[Any]:
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="{_filename(page, view, extension)}"',
    }
    return Response(content=content, media_type=MEDIA_TYPES[extension], headers=headers)


def _check_moment(params: dict[str, str]) -> None:
    """A download is of the moment asked for or none: where the page explains a moment it
    cannot read (and shows another), a download is refused as problem+json naming it."""
    moment = parse_moment(params)  # a known_at still to come is refused here already
    if not moment.problems:
        return
    field = "known_at"
    if text := params.get("as_of", "").strip():
        try:
            read_moment(date.fromisoformat(text), None)
        except (ValueError, ValidationException):
            field = "as_of"
    message = " ".join(moment.problems)
    raise ValidationException(
        f"{field}: {message}", extra=[{"key": field, "message": message, "source": "query"}]
    )


def charts(page: dict[str, Any]) -> dict[str, Any]:
    """The page's charts by the name they download under."""
    found = {"timeline": page["timeline"]["wide"]} if page["timeline"]["wide"] else {}
    found.update({f"indicator-{c.id}": c.chart for c in page["indicators"] if c.chart})
    return found


class DownloadController(Controller):
    """``/portfolios/{id}/<view>.csv|xlsx`` and ``/portfolios/{id}/<chart>.svg``."""

    include_in_schema = False

    @get("/portfolios/{portfolio_id:uuid}/{name:str}", sync_to_thread=True, name="dashboard:file")
    def download(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        name: FromPath[str],
    ) -> Response[Any]:
        match = _NAME.match(name)
        if match is None:
            return _not_found(_("There is no download “%(name)s”.", name=name))
        view, extension = match["view"], match["format"]
        params = query_params(request)
        _check_moment(params)
        position = readmodel.wait_for(min_position(params))
        path = f"/portfolios/{portfolio_id}"
        try:
            page = pages.portfolio_context(tracker, readmodel, portfolio_id, params, path, position)
        except NotFound:
            return _not_found(_("There is no portfolio %(id)s.", id=portfolio_id))
        if extension == "svg":
            chart = charts(page).get(view)
            if chart is None:
                return _not_found(_("This view has no chart “%(name)s”.", name=view))
            return _file(standalone(chart, chart_css()), page, view, extension)
        if view not in SHEETS:
            return _not_found(_("There is no view “%(name)s” to download.", name=view))
        sheet = SHEETS[view](page)
        if extension == "csv":
            return _file(to_csv(sheet), page, view, extension)
        page_url = str(request.base_url).rstrip("/") + page["url"]()
        facts = about(page, page_url, datetime.now(UTC))
        return _file(to_xlsx(sheet, facts), page, view, extension)
