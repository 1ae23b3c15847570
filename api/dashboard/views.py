"""What each page shows, gathered through the very functions the API answers with.

The portfolio page calls ``report_query`` and ``progress_out``/``breakdown_out``/``timeline_out``
exactly as ``GET /api/v1/portfolios/{id}/progress`` (and its siblings) do, the project table
``queries.list_projects`` as ``GET /api/v1/projects`` does, the stale list
``queries.stale_projects`` as ``GET /api/v1/portfolios/{id}/stale``, and the project page
``project_out``/``event_out`` as ``GET /api/v1/projects/{id}`` and its ``/events``. So a
figure on screen is the API's own string, merely formatted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar.exceptions import ValidationException
from sqlalchemy import Connection, exists, func, select

from api import schemas as s
from api.conditions import read_moment, today_utc
from api.dashboard import format as f
from api.dashboard.charts import Band, Marker, Segment, Series, bar, line_chart
from api.params import report_query
from api.presenters.events import event_out
from api.presenters.portfolios import portfolio_out
from api.presenters.projects import project_out, stale_out, summary_out
from api.presenters.reports import breakdown_out, progress_out, timeline_out
from api.presenters.values import exact_amount
from tracker.application import TrackerApplication
from tracker.domain.errors import NotFound
from tracker.domain.status import Status
from tracker.readmodel import queries, reports
from tracker.readmodel import tables as t
from tracker.readmodel.queries import SORTS, ProjectFilter
from tracker.readmodel.service import ReadModel

DEFAULT_SORT = "-planned_investment"
DEFAULT_STALE_DAYS = 90
#: Rows the table shows at first, and at most with "show all"; the rest are counted.
TABLE_ROWS = 25
TABLE_ROWS_ALL = 1000
BREAKDOWNS = ("country", "sector", "region")


# What the reader asked for: the moment and the table's filters, all from the query string


@dataclass(frozen=True)
class Moment:
    """Which moment every figure is for: effective ``as_of`` and recorded ``known_at``."""

    as_of: date | None = None
    known_at: datetime | None = None
    problems: tuple[str, ...] = ()

    @property
    def is_latest(self) -> bool:
        return self.as_of is None and self.known_at is None

    @property
    def as_of_text(self) -> str:
        return self.as_of.isoformat() if self.as_of else ""

    @property
    def known_at_text(self) -> str:
        """For ``<input type=datetime-local>``: UTC, no zone, to the millisecond at most."""
        if self.known_at is None:
            return ""
        utc = self.known_at.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds")

    @property
    def known_at_param(self) -> str:
        return self.known_at.isoformat().replace("+00:00", "Z") if self.known_at else ""


def parse_moment(params: Mapping[str, str]) -> Moment:
    problems = []
    as_of = None
    if text := params.get("as_of", "").strip():
        try:
            as_of = date.fromisoformat(text)
        except ValueError:
            problems.append(f"“As of” must be a date such as 2025-03-31, not “{text}”.")
    known_at = None
    if text := params.get("known_at", "").strip():
        try:
            known_at = datetime.fromisoformat(text)
        except ValueError:
            problems.append(
                f"“Known at” must be a moment such as 2025-04-01T09:30 (UTC), not “{text}”."
            )
    try:
        as_of, known_at = read_moment(as_of, known_at)
    except ValidationException as error:
        problems.append(f"{error.detail}.")
        as_of = known_at = None
    return Moment(as_of, known_at, tuple(problems))


@dataclass(frozen=True)
class TableQuery:
    sector: str | None = None
    region: str | None = None
    country: str | None = None
    status: str | None = None
    q: str | None = None
    sort: str = DEFAULT_SORT
    stale_days: int = DEFAULT_STALE_DAYS
    show_all: bool = False
    problems: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        return any((self.sector, self.region, self.country, self.status, self.q))


def parse_table(params: Mapping[str, str]) -> TableQuery:
    problems = []

    def text(name: str, limit: int = 200) -> str | None:
        value = params.get(name, "").strip()
        return value[:limit] or None

    sort = text("sort") or DEFAULT_SORT
    if sort not in SORTS:
        problems.append(f"Unknown sort order “{sort}”; sorted by planned investment instead.")
        sort = DEFAULT_SORT
    status = text("status")
    if status is not None and status not in {s.value for s in Status}:
        problems.append(f"Unknown status “{status}”; showing every status.")
        status = None
    days = DEFAULT_STALE_DAYS
    if raw := text("stale_days"):
        try:
            days = int(raw)
            if not 1 <= days <= 36_500:
                raise ValueError(raw)
        except ValueError:
            problems.append(f"“No news for” must be a number of days, not “{raw}”.")
            days = DEFAULT_STALE_DAYS
    return TableQuery(
        sector=text("sector", 100),
        region=text("region", 10),
        country=text("country", 2),
        status=status,
        q=text("q"),
        sort=sort,
        stale_days=days,
        show_all=params.get("rows") == "all",
        problems=tuple(problems),
    )


# Portfolios


@dataclass(frozen=True)
class PortfolioLink:
    id: str
    name: str
    illustrative: bool


def portfolio_links(conn: Connection) -> list[PortfolioLink]:
    """Every portfolio, the first established first (that one is the default)."""
    rows = conn.execute(
        select(t.portfolios.c.portfolio_id, t.portfolios.c.name, t.portfolios.c.illustrative)
        .order_by(
            t.portfolios.c.established_on, t.portfolios.c.recorded_at, t.portfolios.c.portfolio_id
        )
        .limit(200)
    )
    return [PortfolioLink(r.portfolio_id, r.name, r.illustrative) for r in rows]


def _has_illustrative_projects(conn: Connection, portfolio_id: UUID) -> bool:
    query = select(
        exists().where(
            t.projects.c.portfolio_id == str(portfolio_id), t.projects.c.illustrative.is_(True)
        )
    )
    return bool(conn.execute(query).scalar())


# The headline: one card per target


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    figure: str  # exact, as the API says it
    figure_text: str  # as read, without its unit
    figure_unit: str  # "USD", or "" for counts
    target: str | None  # exact
    target_text: str | None  # as read
    target_noun: str  # "investment pledge", "jobs target", …
    ratio: str | None
    bar: Any
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # css, label, value
    note: str | None = None


def _unconverted_note(total: s.TotalOut) -> str | None:
    if not total.unconverted:
        return None
    parts = [f"{u.currency} {f.short_amount(u.amount)} ({u.count})" for u in total.unconverted]
    return "Not converted for want of a rate: " + ", ".join(parts)


def headline(progress: s.ProgressOut) -> list[Card]:
    targets = progress.targets
    currency = progress.currency
    investment = targets.investment_in_report_currency if targets else None
    goal = float(f.decimal(investment)) if investment else 0.0
    cards = []
    ratios = progress.ratios
    for key, title, total, ratio in (
        ("committed", "Committed", progress.committed, ratios.committed_to_target),
        ("disbursed", "Disbursed", progress.disbursed, ratios.disbursed_to_target),
    ):
        css = f"fill-{key}"
        value = float(f.decimal(total.amount))
        cards.append(
            Card(
                key=key,
                title=title,
                figure=total.amount,
                figure_text=f.short_amount(total.amount),
                figure_unit=currency,
                target=investment,
                target_text=f.money(investment, currency) if investment else None,
                target_noun="investment pledge",
                ratio=ratio,
                bar=bar(
                    [Segment(value, css, f"{title}: {f.full_money(total.amount, currency)}")],
                    scale=goal or value,
                    label=f"{title} {f.money(total.amount, currency)}, "
                    f"{f.percent(ratio)} of the pledge",
                ),
                note=_unconverted_note(total),
            )
        )
    jobs = progress.jobs_created
    jobs_target = targets.jobs if targets else None
    cards.append(
        Card(
            key="jobs",
            title="Jobs created",
            figure=str(jobs.total),
            figure_text=f.number(jobs.total),
            figure_unit="",
            target=str(jobs_target) if jobs_target is not None else None,
            target_text=f.number(jobs_target) if jobs_target is not None else None,
            target_noun="jobs target",
            ratio=progress.ratios.jobs_to_target,
            bar=bar(
                [
                    Segment(jobs.permanent, "fill-disbursed", f"Permanent: {jobs.permanent:,}"),
                    Segment(jobs.temporary, "fill-committed", f"Temporary: {jobs.temporary:,}"),
                ],
                scale=float(jobs_target or jobs.total),
                stacked=True,
                label=f"{jobs.total:,} jobs, {f.percent(progress.ratios.jobs_to_target)} of target",
            ),
            legend=[
                ("fill-disbursed", "permanent", f.number(jobs.permanent)),
                ("fill-committed", "temporary", f.number(jobs.temporary)),
            ],
        )
    )
    by_status = progress.projects_by_status
    ordered = sorted(
        by_status.items(),
        key=lambda kv: f.STATUS_ORDER.index(kv[0]) if kv[0] in f.STATUS_ORDER else 99,
    )
    project_target = targets.projects if targets else None
    cards.append(
        Card(
            key="projects",
            title="Projects",
            figure=str(progress.projects),
            figure_text=f.number(progress.projects),
            figure_unit="",
            target=str(project_target) if project_target is not None else None,
            target_text=f.number(project_target) if project_target is not None else None,
            target_noun="projects in the portfolio",
            ratio=progress.ratios.projects_to_target,
            bar=bar(
                [Segment(n, f"status-{st}", f"{f.status(st)}: {n}") for st, n in ordered],
                scale=float(project_target or progress.projects),
                stacked=True,
                target=float(project_target) if project_target else None,
                label=f"{progress.projects} projects by status: "
                + ", ".join(f"{n} {f.status(st).lower()}" for st, n in ordered),
            ),
            legend=[(f"status-{st}", f.status(st).lower(), str(n)) for st, n in ordered],
        )
    )
    return cards


# Breakdowns


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    name: str
    pledged: str
    committed: str
    disbursed: str
    projects: int
    ratio: str  # committed / pledged, as read
    bar: Any


@dataclass(frozen=True)
class BreakdownView:
    by: str
    title: str
    rows: list[BreakdownRow]
    note: str | None


def breakdown_view(report: s.BreakdownOut) -> BreakdownView:
    names: dict[str, Callable[[str], str]] = {
        "sector": f.sector,
        "region": f.region,
        "country": f.country,
    }
    name = names[report.by]
    slices = sorted(
        report.slices,
        key=lambda sl: (-f.decimal(sl.figures.committed.amount), sl.key),
    )
    amounts = [(sl.figures.pledged.amount, sl.figures.committed.amount) for sl in slices]
    scale = max([float(f.decimal(x)) for pair in amounts for x in pair] + [0.0])
    rows = []
    currency = report.currency
    for sl in slices:
        fig = sl.figures
        pledged, committed, disbursed = (
            f.decimal(fig.pledged.amount),
            f.decimal(fig.committed.amount),
            f.decimal(fig.disbursed.amount),
        )
        label = name(sl.key)
        rows.append(
            BreakdownRow(
                key=sl.key,
                name=label,
                pledged=fig.pledged.amount,
                committed=fig.committed.amount,
                disbursed=fig.disbursed.amount,
                projects=fig.projects,
                ratio=f.percent(committed / pledged) if pledged else "—",
                bar=bar(
                    [
                        Segment(float(value), css, f"{what}: {f.money(value, currency)}", edge)
                        for value, css, what, edge in (
                            (pledged, "fill-pledged", "Planned", "bar-edge"),
                            (committed, "fill-committed", "Committed", None),
                            (disbursed, "fill-disbursed", "Disbursed", None),
                        )
                    ],
                    scale=scale,
                    label=f"{label}: {f.money(committed, currency)} committed and "
                    f"{f.money(disbursed, currency)} disbursed of "
                    f"{f.money(pledged, currency)} planned",
                    css="bar bar-thin",
                    height=12,
                ),
            )
        )
    note = None
    if report.by in ("region", "country"):
        note = f"A project in two {report.by.replace('y', 'ie')}s counts in full in each."
    titles = {"sector": "By sector", "region": "By region", "country": "By country"}
    return BreakdownView(report.by, titles[report.by], rows, note)


# The timeline


#: Units of the timeline's value axis, the largest that still leaves the top above one.
AXIS_UNITS = ((1e9, "bn", "billion"), (1e6, "M", "million"), (1e3, "k", "thousand"), (1.0, "", ""))


def timeline_view(report: s.TimelineOut) -> dict[str, Any]:
    """Cumulative committed, disbursed and pledged, with the investment target's steps."""
    points = report.points
    if not points:
        return {"wide": None, "narrow": None, "rows": [], "restatements": [], "interval": ""}
    currency = report.currency
    amounts: list[str | None]
    amounts = [a for p in points for a in (p.figures.pledged.amount, p.figures.committed.amount)]
    amounts += [p.targets.investment_in_report_currency for p in points if p.targets]
    largest = max([float(f.decimal(a)) for a in amounts] + [0.0])
    unit, suffix, word = next(u for u in AXIS_UNITS if largest >= u[0] or u[0] == 1.0)

    def _amount(value: str | None) -> float:
        return float(f.decimal(value)) / unit

    series = [
        Series(
            "pledged",
            "Planned by the projects",
            [(p.end, _amount(p.figures.pledged.amount)) for p in points],
            "line-pledged",
        ),
        Series(
            "committed",
            "Committed",
            [(p.end, _amount(p.figures.committed.amount)) for p in points],
            "line-committed",
        ),
        Series(
            "disbursed",
            "Disbursed",
            [(p.end, _amount(p.figures.disbursed.amount)) for p in points],
            "line-disbursed",
        ),
    ]
    steps: list[tuple[date, float]] = []
    restatements = []
    seen: set[int] = set()
    for p in points:
        target = p.targets
        if target is None or target.version in seen:
            continue
        seen.add(target.version)
        value = _amount(target.investment_in_report_currency)
        steps.append((target.effective_date, value))
        restatements.append(target)
    if steps:
        series.insert(0, Series("target", "Investment target", steps, "line-target", step=True))
    markers = [
        Marker(
            day=t.effective_date,
            value=_amount(t.investment_in_report_currency),
            label=f.short_amount(f.decimal(t.investment_in_report_currency)),
            title=f"Targets stated {f.day(t.effective_date)}: "
            f"{f.money(t.investment_in_report_currency, currency)}, {t.jobs:,} jobs, "
            f"{t.projects} projects" + (f" — {t.source.title}" if t.source else ""),
        )
        for t in restatements
    ]
    previous_end: date | None = None
    bands = []
    for p in points:
        month = (p.end.month - 1) // 3 * 3 + 1 if report.interval == "quarter" else p.end.month
        start = previous_end or date(p.end.year, month, 1)
        bands.append(
            Band(
                start,
                p.end,
                f"{p.period}: committed {f.money(p.figures.committed.amount, currency)}, "
                f"disbursed {f.money(p.figures.disbursed.amount, currency)}, "
                f"planned {f.money(p.figures.pledged.amount, currency)}",
            )
        )
        previous_end = p.end

    def axis_label(value: float) -> str:
        return f"{value:g} {suffix}".strip()

    last = points[-1]
    description = (
        f"Cumulative figures from {points[0].period} to {last.period}: "
        f"{f.money(last.figures.committed.amount, currency)} committed, "
        f"{f.money(last.figures.disbursed.amount, currency)} disbursed, "
        f"{f.money(last.figures.pledged.amount, currency)} planned by the projects. "
        f"The investment target was stated {len(restatements)} times."
    )
    title = f"Investment over time ({currency} {word})".replace(" )", ")")

    def chart(ident: str, **size: Any) -> Any:
        return line_chart(
            series,
            markers=markers,
            title=title,
            description=description,
            ident=ident,
            value_label=axis_label,
            **size,
        )

    return {
        "wide": chart("timeline-wide", bands=bands),
        "narrow": chart("timeline-narrow", width=360, height=260, compact=True),
        "rows": points,
        "restatements": restatements,
        "interval": report.interval,
    }


def _timeline(conn: Connection, query: reports.ReportQuery, today: date) -> reports.Timeline:
    """Quarters, or months for a portfolio younger than two years (quarters would be few)."""
    quarterly = reports.timeline(conn, query, "quarter", today)
    if len(quarterly.points) >= 8:
        return quarterly
    return reports.timeline(conn, query, "month", today)


def fx_version(conn: Connection) -> tuple[int, Any]:
    """Changes whenever exchange rates are added or replaced (which moves no position)."""
    row = conn.execute(
        select(func.count(), func.max(t.fx_rates.c.recorded_at)).select_from(t.fx_rates)
    ).one()
    return int(row[0]), row[1]


# The project table


def _table_rows(
    conn: Connection, portfolio_id: UUID, table: TableQuery, query: reports.ReportQuery
) -> tuple[list[s.ProjectSummaryOut], int]:
    """The projects the filters select, sorted, as ``GET /api/v1/projects`` lists them.

    For a past moment the list is the same, restricted to the projects announced by then and
    showing their status and plan as they were (the filters apply to those values).
    """
    latest = query.as_of is None and query.known_at is None
    filters = ProjectFilter(portfolio_id=portfolio_id, q=table.q)
    if latest:  # for a past moment the values as they were are filtered below instead
        filters = replace(
            filters,
            sector=table.sector,
            region=table.region,
            country=table.country,
            status=table.status,
        )
    rows: list[queries.ProjectRow] = []
    cursor = None
    while True:  # every match (portfolios are tens or hundreds of projects), in API order
        page = queries.list_projects(conn, filters, sort=table.sort, limit=500, cursor=cursor)
        rows.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None or len(rows) >= 5000:
            break
    items = [summary_out(r) for r in rows]
    if not latest:
        then = reports.projects_as_of(conn, query)
        items = [_as_then(item, then[str(item.id)]) for item in items if str(item.id) in then]
        items = [i for i in items if _matches(i, table)]
        if table.sort.lstrip("-") == "planned_investment":
            sign = -1 if table.sort.startswith("-") else 1
            items.sort(
                key=lambda i: (
                    i.planned_investment.currency,
                    sign * f.decimal(i.planned_investment.amount),
                )
            )
    return items[: TABLE_ROWS_ALL if table.show_all else TABLE_ROWS], len(items)


def _as_then(item: s.ProjectSummaryOut, then: reports.ProjectAsOf) -> s.ProjectSummaryOut:
    return msgspec.structs.replace(
        item,
        sector=then.sector,
        regions=list(then.regions),
        countries=list(then.countries),
        status=then.status,
        planned_investment=s.MoneyOut(exact_amount(then.planned_investment), then.currency),
        planned_jobs=then.planned_jobs,
    )


def _matches(item: s.ProjectSummaryOut, table: TableQuery) -> bool:
    return (
        (table.sector is None or item.sector == table.sector)
        and (table.region is None or table.region in item.regions)
        and (table.country is None or table.country in item.countries)
        and (table.status is None or item.status == table.status)
    )


# The whole portfolio page


def portfolio_page(
    tracker: TrackerApplication,
    readmodel: ReadModel,
    portfolio_id: UUID,
    moment: Moment,
    table: TableQuery,
    position: int,
) -> dict[str, Any]:
    """Everything the portfolio page shows; ``position`` is the read model's applied one."""
    query = report_query(
        tracker, portfolio_id, moment.as_of, moment.known_at, "USD", "latest"
    )  # 404 for an unknown portfolio, as the API
    portfolio = tracker.portfolio(portfolio_id)
    missing_then = False
    if moment.known_at is not None:
        try:
            portfolio = tracker.portfolio(portfolio_id, known_at=moment.known_at)
        except NotFound:
            missing_then = True
    today = today_utc().date()
    with readmodel.report_budget(), readmodel.connection() as conn:
        progress = progress_out(reports.progress(conn, query), position)
        breakdowns = {
            by: breakdown_out(reports.breakdown(conn, query, by), position) for by in BREAKDOWNS
        }
        timeline = timeline_out(_timeline(conn, query, today), position)
        rows, matching = _table_rows(conn, portfolio_id, table, query)
        stale_rows = queries.stale_projects(conn, portfolio_id, days=table.stale_days, today=today)
        stale = [stale_out(r, today) for r in stale_rows]
        links = portfolio_links(conn)
        illustrative_projects = _has_illustrative_projects(conn, portfolio_id)
    illustrative_rates = any(r.illustrative for r in progress.fx_rates_used)
    api_params = {"as_of": moment.as_of_text, "known_at": moment.known_at_param}
    api_query = urlencode({k: v for k, v in api_params.items() if v})
    api_url = f"/api/v1/portfolios/{portfolio_id}/progress"
    return {
        "api_url": f"{api_url}?{api_query}" if api_query else api_url,
        "portfolio": portfolio_out(portfolio, moment.as_of, moment.known_at),
        "portfolio_missing_then": missing_then,
        "portfolios": links,
        "moment": moment,
        "table": table,
        "today": today,
        "position": position,
        "progress": progress,
        "cards": headline(progress),
        "breakdowns": [breakdown_view(breakdowns[by]) for by in BREAKDOWNS],
        "options": {
            "sector": [(k.key, f.sector(k.key)) for k in breakdowns["sector"].slices],
            "region": [
                (k.key, f.region(k.key)) for k in breakdowns["region"].slices if "-" in k.key
            ],
            "country": [(k.key, f.country(k.key)) for k in breakdowns["country"].slices],
            "status": [(st, f.status(st)) for st in f.STATUS_ORDER],
        },
        "timeline": timeline_view(timeline),
        "rows": rows,
        "matching": matching,
        "stale": stale,
        "illustrative": {
            "portfolio": portfolio.illustrative,
            "projects": illustrative_projects,
            "rates": illustrative_rates,
        },
        "problems": moment.problems + table.problems,
    }


# The project page


@dataclass(frozen=True)
class AuditEntry:
    event: s.EventOut
    label: str
    summary: str
    reason: str | None
    state: str  # "", "corrected" or "retracted"
    marks: list[tuple[int, str, str | None]]  # (version, what happened, reason)
    known_then: bool


def _replacement_text(replacement: dict[str, Any]) -> str:
    parts = []
    for name, value in replacement.items():
        label = name.replace("_", " ")
        if isinstance(value, dict) and {"amount", "currency"} <= value.keys():
            parts.append(f"{label} → {f.full_money(value['amount'], value['currency'])}")
        elif name == "effective_date" and isinstance(value, str):
            parts.append(f"effective date → {f.day(date.fromisoformat(value))}")
        elif isinstance(value, list):
            parts.append(f"{label} → {', '.join(str(v) for v in value) or 'none'}")
        else:
            parts.append(f"{label} → {value}")
    return "; ".join(parts) or "no values changed"


def describe(event: s.EventOut, kinds: Mapping[int, str]) -> tuple[str, str | None]:
    """What an event says, in a sentence, and the reason it gives (if any)."""
    p = event.payload
    kind = event.type
    reason = p.get("reason")
    if kind in ("committed", "disbursed"):
        return f.full_money(p["amount"]["amount"], p["amount"]["currency"]), None
    if kind == "jobs_created":
        return f"{p.get('permanent', 0):,} permanent, {p.get('temporary', 0):,} temporary", None
    if kind == "milestone":
        text = str(p.get("name", ""))
        if p.get("description"):
            text += f" — {p['description']}"
        return text, None
    if kind == "status_changed":
        return f"Now {f.status(str(p.get('status', ''))).lower()}", reason
    if kind == "completed":
        return "Project closed", reason
    if kind == "cancelled":
        return "Project cancelled", reason
    if kind == "corrected":
        target = int(p["corrects"])
        what = f.event_label(kinds.get(target, "")).lower() or "event"
        return (
            f"Corrects #{target} ({what}): {_replacement_text(p.get('replacement', {}))}",
            reason,
        )
    if kind == "retracted":
        target = int(p["retracts"])
        what = f.event_label(kinds.get(target, "")).lower() or "event"
        return f"Retracts #{target} ({what})", reason
    if kind == "announced":
        money_text = f.full_money(
            p["planned_investment"]["amount"], p["planned_investment"]["currency"]
        )
        return (
            f"“{p.get('title', '')}”: {f.sector(str(p.get('sector', '')))}, planned "
            f"{money_text} and {int(p.get('planned_jobs', 0)):,} jobs",
            None,
        )
    return kind, reason if isinstance(reason, str) else None


def audit_trail(events: list[s.EventOut], known_at: datetime | None) -> list[AuditEntry]:
    by_version = {e.version: e for e in events}
    kinds = {e.version: e.type for e in events}
    entries = []
    for event in events:
        summary, reason = describe(event, kinds)
        marks: list[tuple[int, str, str | None]] = []
        for version in event.corrected_by:
            fix = by_version.get(version)
            replacement = fix.payload.get("replacement", {}) if fix else {}
            what = f"Corrected by #{version}: {_replacement_text(replacement)}"
            marks.append((version, what, fix.payload.get("reason") if fix else None))
        if event.retracted_by is not None:
            fix = by_version.get(event.retracted_by)
            what = f"Retracted by #{event.retracted_by}"
            marks.append((event.retracted_by, what, fix.payload.get("reason") if fix else None))
        state = "retracted" if event.retracted_by else "corrected" if event.corrected_by else ""
        entries.append(
            AuditEntry(
                event=event,
                label=f.event_label(event.type),
                summary=summary,
                reason=reason if isinstance(reason, str) else None,
                state=state,
                marks=marks,
                known_then=known_at is None or event.recorded_at <= known_at,
            )
        )
    return entries


def project_page(
    tracker: TrackerApplication, readmodel: ReadModel, project_id: UUID, moment: Moment
) -> dict[str, Any]:
    history = tracker.project_history(project_id)  # 404 for an unknown project
    events = [event_out(e) for e in history]
    current = tracker.project_ledger(project_id)
    notice = None
    figures: s.ProjectOut | None = None
    try:
        project = tracker.project_ledger(project_id, known_at=moment.known_at)
        if moment.as_of is not None and moment.as_of < project.announced_on():
            notice = (
                f"The project was announced on {f.day(project.announced_on())}, "
                f"after {f.day(moment.as_of)}: it had no figures then."
            )
        else:
            figures = project_out(project, moment.as_of, moment.known_at)
    except NotFound:
        notice = f"The project had not been recorded by {f.moment(moment.known_at)}."
    latest = project_out(current, None, None)
    try:
        portfolio = portfolio_out(tracker.portfolio(latest.portfolio_id), None, None)
    except NotFound:  # pragma: no cover - a project always belongs to a portfolio
        portfolio = None
    with readmodel.connection() as conn:
        links = portfolio_links(conn)
    return {
        "project": latest,
        "figures": figures,
        "notice": notice,
        "portfolio": portfolio,
        "portfolios": links,
        "moment": moment,
        "entries": audit_trail(events, moment.known_at),
        "corrections": sum(1 for e in events if e.type == "corrected"),
        "retractions": sum(1 for e in events if e.type == "retracted"),
        "today": today_utc().date(),
        "problems": moment.problems,
    }
