"""What each page shows, gathered through the very functions the API answers with.

The portfolio page calls ``report_query`` and ``progress_out``/``breakdown_out``/``timeline_out``
exactly as ``GET /api/v1/portfolios/{id}/progress`` (and its siblings) do, the project table
``summary_out`` over the projects of the moment as ``GET /api/v1/projects`` lists them, the
stale list the same projects as ``GET /api/v1/portfolios/{id}/stale`` (``moments``), and the
project page ``project_out``/``event_out`` as ``GET /api/v1/projects/{id}`` and its
``/events``. So a figure on screen is the API's own string, merely formatted, and every part
of a page is for the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from msgspec import structs

from api.conditions import today_utc
from api.dashboard import amounts as a
from api.dashboard import format as f
from api.dashboard.audit import audit_trail
from api.dashboard.breakdowns import breakdown_view, figure_names, rank_names
from api.dashboard.cards import headline, plan_shares, reported_shares
from api.dashboard.changes import ACTIVITY_DAYS, recent_activity
from api.dashboard.documents import DOCUMENTS_SHOWN, documents_view
from api.dashboard.indicators import indicator_cards
from api.dashboard.params import (
    Moment,
    TableQuery,
    cite_link,
    counted_words,
    link_maker,
    parse_moment,
    parse_table,
    usable,
    view_query,
)
from api.dashboard.region_map import region_map
from api.dashboard.timeline import timeline_view
from api.params import report_query
from api.presenters.documents import document_out, register_out
from api.presenters.events import event_out
from api.presenters.indicators import indicators_out
from api.presenters.portfolios import portfolio_out
from api.presenters.projects import project_out, stale_out, summary_out
from api.presenters.reports import breakdown_out, progress_out, timeline_out
from api.presenters.statements import statements_out
from api.schemas import projects as project_schemas
from tracker import i18n
from tracker.application import TrackerApplication
from tracker.domain.errors import NotFound
from tracker.eventstore.checkpoints import latest_checkpoint
from tracker.i18n import gettext as _
from tracker.readmodel import moments, pages, reports
from tracker.readmodel import timeline as timelines
from tracker.readmodel.documents import DocumentFilter, document_register, list_documents
from tracker.readmodel.filters import ANY, EVERY_PROJECT, FLAGS, known_values
from tracker.readmodel.flags import count_flags, project_flags, rules_for
from tracker.readmodel.indicators import IndicatorQuery, indicators
from tracker.readmodel.project_money import PlanAmount, money_in_usd
from tracker.readmodel.queries import ProjectFilter
from tracker.readmodel.recency import last_recorded
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.service import ReadModel
from tracker.readmodel.statements import statements
from tracker.readmodel.titles import shown_title

#: Rows the table shows at first, and at most with "show all"; the rest are counted.
TABLE_ROWS = 25
TABLE_ROWS_ALL = 1000
BREAKDOWNS = ("country", "sector", "region")


def portfolio_context(
    tracker: TrackerApplication,
    readmodel: ReadModel,
    portfolio_id: UUID,
    params: Mapping[str, str],
    path: str,
    position: int,
) -> dict[str, Any]:
    """The portfolio page's whole context for the view the query string asks for: what the
    page renders, and what its downloads are made of."""
    moment = parse_moment(params)
    context = portfolio_page(
        tracker, readmodel, portfolio_id, moment, parse_table(params), position
    )
    url = link_maker(path, params)
    rendered_at = datetime.now(UTC)
    cite_url, cited_at = cite_link(url, moment, rendered_at, latest_checkpoint(readmodel.engine))
    kept = view_query(params)
    context.update(
        rendered_at=rendered_at,
        url=url,
        path=path,
        cite_url=cite_url,
        cited_at=cited_at,
        download=lambda name: f"/portfolios/{portfolio_id}/{name}" + (f"?{kept}" if kept else ""),
    )
    return context


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
        known = known_values(conn, portfolio_id)
        table = usable(table, known)  # a value no project has had is said, then dropped
        counted = table.filters
        query = replace(query, filters=counted)
        filters = ProjectFilter(
            portfolio_id=portfolio_id,
            sector=counted.sector,
            region=counted.region,
            country=counted.country,
            status=counted.status,
            q=table.q,
            illustrative=counted.illustrative,
        )
        progress = progress_out(reports.progress(conn, query), position)
        cards = headline(progress)
        if counted.layer == "all":
            reported = reports.progress(
                conn, replace(query, filters=replace(counted, layer="reported"))
            )
            cards = reported_shares(cards, progress_out(reported, position))
        if counted.narrows:
            cards = plan_shares(cards, progress)
        said = statements_out(query, statements(conn, replace(query, filters=EVERY_PROJECT)))
        breakdowns = {
            by: breakdown_out(
                reports.breakdown(conn, query, by, figure=table.figure, order=table.rank),
                position,
            )
            for by in BREAKDOWNS
        }
        if table.interval:
            line = timelines.timeline(conn, query, table.interval, today)
        else:
            line = pages.quarterly_or_monthly_timeline(conn, query, today)
        timeline = timeline_out(line, position)
        projects = pages.portfolio_projects(
            conn,
            tracker,
            filters,
            table.sort,
            moments.Moment(moment.as_of, moment.known_at),
            stale_days=table.stale_days,
            today=today,
            flag=table.flag,
            language=i18n.language(),
        )
        links = pages.portfolio_links(conn)
        last_updated = last_recorded(conn, portfolio_id, moment.known_at)
        register = document_register(conn, portfolio_id, query.as_of, query.known_at)
        listed = list_documents(
            conn,
            DocumentFilter(portfolio_id=portfolio_id),
            as_of=query.as_of,
            known_at=query.known_at,
            limit=DOCUMENTS_SHOWN,
        )
        followed = indicators_out(
            indicators(conn, IndicatorQuery(portfolio_id, moment.as_of, moment.known_at)),
            position,
        )
    activity = recent_activity(tracker, readmodel, query, now=today_utc())
    rows = [summary_out(r) for r in projects.table]
    silence_to = projects.stale.reference_day
    stale = [stale_out(r, silence_to) for r in projects.stale.silent]
    illustrative_rates = any(r.illustrative for r in progress.fx_rates_used)
    api_params = {
        "as_of": moment.as_of_text,
        "known_at": moment.known_at_param,
        **counted.params(),
    }
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
        "cards": cards,
        "statements": said.items,
        "indicators": indicator_cards(followed),
        "breakdowns": [breakdown_view(breakdowns[by]) for by in BREAKDOWNS],
        "region_map": region_map(breakdowns["region"], table.figure, figure_names()[table.figure]),
        "options": {
            "sector": [(k, f.sector(k)) for k in known["sector"]],
            "region": sorted(((k, f.region(k)) for k in known["region"]), key=lambda o: o[1]),
            "country": [(k, f.country(k)) for k in known["country"]],
            "status": [(st, f.status(st)) for st in f.STATUS_ORDER],
            "flag": [(ANY, _("Any flag")), *((k, f.flag(k)) for k in FLAGS)],
        },
        "counted": counted_words(counted),
        "figure_names": figure_names(),
        "rank_names": rank_names(),
        "timeline": timeline_view(timeline),
        "documents": documents_view(
            str(portfolio_id),
            register_out(register, position),
            [document_out(d) for d in listed.rows],
            moment,
        ),
        "activity": activity,
        "activity_days": ACTIVITY_DAYS,
        "compare_url": f"/portfolios/{portfolio_id}/compare"
        + (f"?{urlencode(kept)}" if (kept := table.kept()) else ""),
        "rows": rows[: TABLE_ROWS_ALL if table.show_all else TABLE_ROWS],
        "matching_rows": rows,
        "updated_at": last_updated,
        "matching": len(rows),
        "stale": stale,
        "flags": projects.flags,
        "flag_count": count_flags(projects.flags),
        "open_projects": projects.stale.open_projects,
        "stale_to": silence_to,
        "illustrative": {
            "portfolio": portfolio.illustrative,
            "projects": projects.illustrative,
            "rates": illustrative_rates,
        },
        "problems": moment.problems + table.problems,
    }


def project_page(
    tracker: TrackerApplication,
    readmodel: ReadModel,
    project_id: UUID,
    moment: Moment,
    no_news_days: int,
) -> dict[str, Any]:
    """Everything the project page shows, all for the moment: its title, plan and status as
    of ``as_of`` as known at ``known_at``, its figures with their US dollar equivalents and
    flags, and its audit trail marked with the corrections and retractions recorded by
    ``known_at``."""
    history = tracker.project_history(project_id)  # 404 for an unknown project
    events = [event_out(e) for e in history]
    known = [e for e in events if moment.known_at is None or e.recorded_at <= moment.known_at]
    project = project_out(tracker.project_ledger(project_id), None, None)
    notice = None
    figures: project_schemas.ProjectOut | None = None
    recorded_then = True
    try:
        ledger = tracker.project_ledger(project_id, known_at=moment.known_at)
        project = project_out(ledger, None, moment.known_at)  # its title and plan then
        if moment.as_of is not None and moment.as_of < ledger.announced_on():
            notice = _(
                "The project was announced on %(announced)s, after %(day)s: it had no figures "
                "then.",
                announced=f.day(ledger.announced_on()),
                day=f.day(moment.as_of),
            )
        else:
            figures = project_out(ledger, moment.as_of, moment.known_at)
    except NotFound:
        recorded_then = False
        notice = _(
            "The project had not been recorded by %(moment)s.", moment=f.moment(moment.known_at)
        )
    try:
        portfolio = portfolio_out(tracker.portfolio(project.portfolio_id), None, None)
    except NotFound:  # pragma: no cover - a project always belongs to a portfolio
        portfolio = None
    links = readmodel.query(pages.portfolio_links)
    money = notes = None
    if figures is not None:
        money, figures, notes = _project_money(tracker, readmodel, figures, moment, no_news_days)
    return {
        "money": money,
        "flag_notes": notes,
        "project": project,
        "project_title": shown_title(project.title, project.titles, i18n.language()),
        "status": figures.status if figures else None,
        "recorded_then": recorded_then,
        "figures": figures,
        "notice": notice,
        "portfolio": portfolio,
        "portfolios": links,
        "moment": moment,
        "entries": audit_trail(events, moment.known_at),
        "known_events": len(known),
        "updated_at": max((e.recorded_at for e in known), default=None),
        "corrections": sum(1 for e in known if e.type == "corrected"),
        "retractions": sum(1 for e in known if e.type == "retracted"),
        "today": today_utc().date(),
        "problems": moment.problems,
    }


def _project_money(
    tracker: TrackerApplication,
    readmodel: ReadModel,
    figures: project_schemas.ProjectOut,
    moment: Moment,
    no_news_days: int,
) -> tuple[dict[str, Any], project_schemas.ProjectOut, list[tuple[str, str]]]:
    """The project's amounts in US dollars at the page's moment, and its flags then."""
    then = moments.Moment(moment.as_of, moment.known_at)
    rules = rules_for(then, no_news_days, today_utc().date())
    plan = PlanAmount(
        str(figures.id),
        f.decimal(figures.planned_investment.amount),
        figures.planned_investment.currency,
        figures.announced_on,
    )
    query = ReportQuery(figures.portfolio_id, moment.as_of, moment.known_at)
    with readmodel.connection() as conn:
        money = money_in_usd(conn, query, [plan])[plan.project_id]
        raised = project_flags(conn, tracker, figures.id, figures.portfolio_id, then, rules)
    figures = structs.replace(figures, flags=list(raised))
    shown = {
        "planned": a.planned(money),
        "committed": a.amounts(money, "committed"),
        "disbursed": a.amounts(money, "disbursed"),
        "rates": a.rates_used(money),
    }
    return (
        shown,
        figures,
        a.flag_notes(figures.flags, figures, money, rules.reference, no_news_days),
    )
