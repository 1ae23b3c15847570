"""What changed: the compare view (two moments side by side) and the "last 30 days" list.

Both read what ``GET /api/v1/portfolios/{id}/changes`` reads (``what_changed``) and present
it with the API's own presenter (``changes_out``), so a figure or a contribution on screen is
the API's string, merely formatted. The compare view opens, when no moment is asked for, on
what was reported at the portfolio's last forum (the day its targets in force were stated:
as of that day, as known at its end) against the latest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar.exceptions import ValidationException

from api.dashboard import format as f
from api.dashboard.audit import describe
from api.dashboard.params import TableQuery, counted_words, parse_table, usable
from api.params import changes_moments, report_query
from api.presenters.changes import changed_event_out, changes_out
from api.presenters.events import feed_event_out
from api.presenters.portfolios import portfolio_out
from api.schemas import changes as c
from tracker import i18n
from tracker.application import TrackerApplication
from tracker.i18n import N_, gettext, ngettext
from tracker.readmodel import pages, reports
from tracker.readmodel.activity import project_titles, recorded_for, what_changed
from tracker.readmodel.filters import known_values
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.service import ReadModel

ACTIVITY_DAYS = 30
ACTIVITY_SHOWN = 20
EVENTS_SHOWN = 50
CAUSES_SHOWN = 5
#: The moments the compare view takes; its filters are the portfolio page's (``parse_table``).
COMPARE_PARAMS = ("as_of_from", "known_from", "as_of_to", "known_to")

FIGURE_LABELS = {
    "committed": N_("Committed"),
    "disbursed": N_("Disbursed"),
    "pledged": N_("Planned by the projects"),
    "jobs_permanent": N_("Permanent jobs"),
    "jobs_temporary": N_("Temporary jobs"),
    "projects": N_("Projects"),
    "target_investment": N_("Investment target"),
    "target_jobs": N_("Jobs target"),
    "target_projects": N_("Projects target"),
}
ORDER = tuple(FIGURE_LABELS)


@dataclass(frozen=True)
class CauseView:
    text: str
    href: str | None
    amount: str  # as the API says it
    amount_text: str  # as read, signed


@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    start: str
    end: str
    difference: str
    start_text: str
    end_text: str
    difference_text: str
    causes: list[CauseView]


@dataclass(frozen=True)
class EventItem:
    position: int
    recorded_at: datetime
    label: str
    summary: str
    project_title: str | None
    href: str | None
    simulated: bool


# The moments asked for


@dataclass(frozen=True)
class Compared:
    start: tuple[date | None, datetime | None]
    end: tuple[date | None, datetime | None]
    #: The page's filters, as the portfolio page reads them (both moments count by them).
    table: TableQuery
    at_forum: date | None  # the defaults: as reported at the forum of that day
    problems: tuple[str, ...]

    @property
    def layer(self) -> str:
        return self.table.layer


def _read(params: Mapping[str, str], name: str, kind: type) -> tuple[Any, str | None]:
    text = params.get(name, "").strip()
    if not text:
        return None, None
    try:
        if kind is date:
            return date.fromisoformat(text), None
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), None
    except ValueError:
        return None, gettext("“%(name)s” cannot be read: “%(text)s”.", name=name, text=text)


def compared(params: Mapping[str, str], forum_day: date | None, table: TableQuery) -> Compared:
    """The two moments the query string asks for; with none, the last forum and now."""
    read = {
        name: _read(params, name, date if name.startswith("as_of") else datetime)
        for name in COMPARE_PARAMS[:4]
    }
    problems = table.problems + tuple(problem for _, problem in read.values() if problem)
    values = {name: value for name, (value, _) in read.items()}
    if not any(values.values()) and not problems:
        if forum_day is None:
            return Compared((None, None), (None, None), table, None, table.problems)
        known = datetime.combine(forum_day, time(23, 59, 59), tzinfo=UTC)
        values.update(as_of_from=forum_day, known_from=min(known, datetime.now(UTC)))
    try:
        start, end = changes_moments(
            (values["known_from"], values["known_to"]), (values["as_of_from"], values["as_of_to"])
        )
    except ValidationException as error:
        problems += (f"{error.detail}.",)
        start = end = (None, None)
    at_forum = forum_day if not any(params.get(n) for n in COMPARE_PARAMS[:4]) else None
    return Compared(start, end, table, at_forum, problems)


# The view


def compare_page(
    tracker: TrackerApplication,
    readmodel: ReadModel,
    portfolio_id: UUID,
    params: Mapping[str, str],
    position: int,
) -> dict[str, Any]:
    """Everything the compare view shows."""
    now = report_query(tracker, portfolio_id, None, None, "USD", "latest")  # 404 if unknown
    portfolio = tracker.portfolio(portfolio_id)
    with readmodel.report_budget(), readmodel.connection() as conn:
        latest = reports.progress(conn, now)
        forum_day = latest.targets.effective_date if latest.targets else portfolio.established_on
        table = usable(parse_table(params), known_values(conn, portfolio_id))
        asked = compared(params, forum_day, table)
        scope = table.filters
        first = replace(now, as_of=asked.start[0], known_at=asked.start[1], filters=scope)
        last = replace(now, as_of=asked.end[0], known_at=asked.end[1], filters=scope)
        found = what_changed(
            conn,
            first,
            last,
            limit=EVENTS_SHOWN,
            language=i18n.language(),
            contributions=CAUSES_SHOWN,
        )
        links = pages.portfolio_links(conn)
    entries = found.page.entries if found.page else []
    events = tracker.events_at_positions(e.position for e in entries)
    listed = [changed_event_out(e, events[e.position], found.titles) for e in entries]
    body = changes_out(
        found.changes,
        listed,
        found.page.next_cursor if found.page else None,
        limit=CAUSES_SHOWN,
        titles=found.titles,
        position=position,
    )
    end_known = _param(asked.end[1])
    return {
        "portfolio": portfolio_out(portfolio, None, None),
        "portfolios": links,
        "compared": asked,
        "start_text": moment_text(*asked.start),
        "end_text": moment_text(*asked.end),
        "form": {
            name: _param(value)
            for name, value in zip(COMPARE_PARAMS[:4], (*asked.start, *asked.end), strict=True)
        },
        "rows": figure_rows(body.figures, end_known),
        "events": [_event_item(e, events[e.position], end_known) for e in body.events],
        "more_events": body.next_cursor is not None,
        "api_url": _api_url(portfolio_id, asked),
        "kept": asked.table.kept(),
        "counted": counted_words(replace(scope, layer="all")),
        "position": position,
        "problems": asked.problems,
    }


def _param(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return value.isoformat()


def _api_url(portfolio_id: UUID, asked: Compared) -> str:
    values = {
        "known_from": asked.start[1],
        "known_to": asked.end[1],
        "as_of_from": asked.start[0],
        "as_of_to": asked.end[0],
    }
    query = {
        name: value.isoformat().replace("+00:00", "Z")
        for name, value in values.items()
        if value is not None
    }
    query.update(asked.table.filters.params())
    return f"/api/v1/portfolios/{portfolio_id}/changes?{urlencode(query)}"


def moment_text(as_of: date | None, known_at: datetime | None) -> str:
    if as_of is None and known_at is None:
        return gettext("the latest figures")
    if known_at is None:
        return gettext("as of %(day)s, as known now", day=f.day(as_of))
    if as_of is None:
        return gettext("as known at %(moment)s", moment=f.moment(known_at))
    return gettext(
        "as of %(day)s, as known at %(moment)s", day=f.day(as_of), moment=f.moment(known_at)
    )


def figure_label(figure: c.FigureChangeOut) -> str:
    name = figure.figure
    label = FIGURE_LABELS.get(name)
    text = gettext(label) if label else name
    if name.startswith("projects."):
        text = gettext("Projects: %(status)s", status=f.status(name.split(".", 1)[1]))
    if figure.counting:
        return gettext(
            "%(figure)s: amounts in %(currency)s left unconverted",
            figure=text,
            currency=figure.unconverted,
        )
    if figure.unconverted:
        return gettext(
            "%(figure)s in %(currency)s, left unconverted",
            figure=text,
            currency=figure.unconverted,
        )
    return text


def _value_text(figure: c.FigureChangeOut, value: str, *, signed: bool = False) -> str:
    amount = Decimal(value)
    sign = "+" if signed and amount > 0 else ("−" if amount < 0 else "")
    size = abs(amount)
    if figure.unit in ("jobs", "projects") or figure.counting:
        return sign + f.number(int(size))
    return sign + f.short_money(size, figure.unit)


def _order(figure: c.FigureChangeOut) -> tuple[int, str, bool]:
    base = figure.figure.split(".", 1)[0]
    index = ORDER.index(base) if base in ORDER else len(ORDER)
    return (index, figure.figure + (figure.unconverted or ""), figure.counting)


def figure_rows(figures: Sequence[c.FigureChangeOut], end_known: str) -> list[FigureRow]:
    rows = []
    for figure in sorted(figures, key=_order):
        rows.append(
            FigureRow(
                key=figure.figure
                + (f"-{figure.unconverted}" if figure.unconverted else "")
                + ("-count" if figure.counting else ""),
                label=figure_label(figure),
                start=figure.start,
                end=figure.end,
                difference=figure.difference,
                start_text=_value_text(figure, figure.start),
                end_text=_value_text(figure, figure.end),
                difference_text=_value_text(figure, figure.difference, signed=True),
                causes=[_cause(figure, item, end_known) for item in figure.contributions],
            )
        )
    return rows


def _cause(figure: c.FigureChangeOut, item: c.ContributionOut, end_known: str) -> CauseView:
    cause = item.cause
    href = None
    if cause.kind == "project" and cause.project_id:
        text = cause.project_title or str(cause.project_id)
        href = f"/projects/{cause.project_id}" + (
            f"?{urlencode({'known_at': end_known})}" if end_known else ""
        )
    elif cause.kind == "rates":
        moves = [
            gettext(
                "%(currency)s %(before)s → %(after)s per USD",
                currency=move.currency,
                before=f.number(Decimal(move.start.units_per_usd)) if move.start else "—",
                after=f.number(Decimal(move.end.units_per_usd)) if move.end else "—",
            )
            for move in cause.rates
        ]
        text = gettext("Exchange rates: %(moves)s", moves="; ".join(moves))
    elif cause.kind == "targets":
        text = gettext("Targets restated")
    else:
        count = cause.count or 0
        text = ngettext("%(num)s smaller change", "%(num)s smaller changes", count)
    return CauseView(text, href, item.amount, _value_text(figure, item.amount, signed=True))


def _event_item(event: c.ChangedEventOut, domain_event: Any, end_known: str) -> EventItem:
    summary, _ = describe(feed_event_out(event.position, domain_event), {})  # type: ignore[arg-type]
    href = None
    if event.project_id is not None:
        href = f"/projects/{event.project_id}" + (
            f"?{urlencode({'known_at': end_known})}" if end_known else ""
        )
    return EventItem(
        event.position,
        event.recorded_at,
        f.event_label(event.type),
        summary if summary != event.type else "",
        event.project_title,
        href,
        event.recorded_at_simulated,
    )


# The portfolio page's "last 30 days"


def recent_activity(
    tracker: TrackerApplication,
    readmodel: ReadModel,
    query: ReportQuery,
    *,
    now: datetime,
) -> list[EventItem]:
    """The events recorded in the 30 days up to the page's ``known_at`` (or now), newest
    first, of the projects the page's filters count at its moment and of the portfolio itself."""
    upto = query.known_at
    after = (upto or now) - timedelta(days=ACTIVITY_DAYS)

    def read(conn: Any) -> tuple[Any, dict[str, str]]:
        page = recorded_for(conn, query, after, limit=ACTIVITY_SHOWN)
        named = [e.project_id for e in page.entries if e.project_id]
        return page, project_titles(conn, named, i18n.language(), upto)

    page, titles = readmodel.query(read)
    events = tracker.events_at_positions(e.position for e in page.entries)
    known = _param(upto)
    return [
        _event_item(changed_event_out(e, events[e.position], titles), events[e.position], known)
        for e in page.entries
    ]
