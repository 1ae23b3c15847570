"""``tracker report`` and ``tracker portfolios list``: the API's reads on the command line.

They live beside the API, not in the core's CLI, because they print the API's own bodies:
``--json`` is exactly what ``GET /api/v1/portfolios/{id}/progress`` (``/breakdown``,
``/timeline``) and ``GET /api/v1/portfolios`` answer for the same question, made by the same
checks (:func:`api.params.report_query`), presenters and encoder; the tables show those
bodies to a person.

Exit codes: 0 ok, 1 the database is unreachable or not migrated, 2 a usage error (an
unknown portfolio, a bad currency, a moment outside the readable dates, …).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import NoReturn
from uuid import UUID

import click
import msgspec
from litestar.exceptions import ValidationException
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api import schemas as s
from api.conditions import read_moment, today_utc
from api.params import report_filters, report_query
from api.presenters.portfolios import portfolio_page_out
from api.presenters.reports import breakdown_out, progress_out, timeline_out
from tracker.cli import known_at_option
from tracker.cli.projections import fail, opened, ready_settings
from tracker.domain.errors import TrackerError
from tracker.i18n import N_, gettext, ngettext, said
from tracker.i18n import formats as cldr
from tracker.readmodel import reports, timeline
from tracker.readmodel.filters import ANY, DEFAULT_NO_NEWS_DAYS, FLAGS
from tracker.readmodel.portfolio_list import PortfolioPage, PortfolioRow, list_portfolios
from tracker.readmodel.service import ReadModel

out = Console(soft_wrap=True)
#: Portfolios read per page when the CLI lists them all.
PAGE = 500
AS_OF = click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), help=N_("Effective date (YYYY-MM-DD).")
)
JSON = click.option(
    "--json", "as_json", is_flag=True, help=N_("Print the API's JSON body for the same question.")
)


def print_json(body: msgspec.Struct) -> None:
    """A body as the API encodes it (indented for a person reading it)."""
    click.echo(msgspec.json.format(msgspec.json.encode(body), indent=2).decode())


def all_portfolios(
    readmodel: ReadModel, as_of: date | None = None, known_at: datetime | None = None
) -> PortfolioPage:
    """Every portfolio at the moment, read page by page, as one page."""
    rows: list[PortfolioRow] = []
    cursor = None
    while True:
        page = readmodel.query(
            partial(list_portfolios, as_of=as_of, known_at=known_at, limit=PAGE, cursor=cursor)
        )
        rows += page.rows
        if page.next_cursor is None:
            return PortfolioPage(rows, None)
        cursor = page.next_cursor


def choices(rows: list[PortfolioRow]) -> str:
    """The portfolios to choose from, one per line: id and name."""
    return "".join(f"\n  {r.portfolio_id}  {r.name}" for r in rows)


def only_portfolio(readmodel: ReadModel) -> UUID:
    """The one portfolio there is, or exit 2 naming every one to choose from."""
    rows = all_portfolios(readmodel).rows
    if not rows:
        fail(gettext(NO_PORTFOLIO), 2)
    if len(rows) > 1:
        asked = ngettext(
            "%(num)s portfolio; choose one with --portfolio:",
            "%(num)s portfolios; choose one with --portfolio:",
            len(rows),
        )
        fail(asked + choices(rows), 2)
    return UUID(rows[0].portfolio_id)


def _refused(error: TrackerError | ValidationException) -> NoReturn:
    if isinstance(error, TrackerError):
        field = f"{error.field}: " if error.field else ""
        fail(f"{field}{said(error)}", 2)
    fail(str(error.detail), 2)


@click.command(
    help=N_(
        "Progress of a portfolio against its pledge; --by a breakdown, --timeline a timeline.\n\n"
        "The figures are the API's (``/api/v1/portfolios/{id}/progress``, ``/breakdown``, "
        "``/timeline``), and ``--json`` prints its body."
    )
)
@click.option(
    "--portfolio", "portfolio_id", type=click.UUID, help=N_("Default: the only portfolio.")
)
@AS_OF
@known_at_option
@click.option("--currency", default="USD", show_default=True, help=N_("Report currency."))
@click.option(
    "--fx",
    default="latest",
    show_default=True,
    help=N_("`latest` (each amount at its value date) or `fixed:YYYY-MM-DD`."),
)
@click.option(
    "--layer",
    type=click.Choice(["all", "reported", "illustrative"]),
    default="all",
    show_default=True,
    help=N_("Which projects count."),
)
@click.option(
    "--flag",
    type=click.Choice([ANY, *FLAGS]),
    help=N_("Only the projects carrying this flag at the report's moment (`any`: any flag)."),
)
@click.option(
    "--no-news-days",
    type=click.IntRange(1, 36_500),
    default=DEFAULT_NO_NEWS_DAYS,
    show_default=True,
    help=N_("An open project silent this many days is flagged `no_news`."),
)
@click.option("--by", type=click.Choice(reports.DIMENSIONS), help=N_("Break the figures down."))
@click.option(
    "--timeline",
    "interval",
    type=click.Choice(timeline.INTERVALS),
    help=N_("Cumulative figures at the end of each month or quarter."),
)
@JSON
def report(
    portfolio_id: UUID | None,
    as_of: datetime | None,
    known_at: datetime | None,
    currency: str,
    fx: str,
    layer: str,
    flag: str | None,
    no_news_days: int,
    by: str | None,
    interval: str | None,
    as_json: bool,
) -> None:
    if by and interval:
        fail(gettext("--by and --timeline are two reports: ask for one"), 2)
    settings = ready_settings()
    with opened(settings) as readmodel:
        readmodel.projector.catch_up()
        position = readmodel.wait_for(None)
        chosen = portfolio_id or only_portfolio(readmodel)
        try:
            query = report_query(
                readmodel.tracker,
                chosen,
                as_of.date() if as_of else None,
                known_at,
                currency.upper(),
                fx,
                report_filters(layer, flag=flag, no_news_days=no_news_days),
            )
            body: s.ProgressOut | s.BreakdownOut | s.TimelineOut
            if by:
                found = readmodel.report(lambda c: reports.breakdown(c, query, by))
                body = breakdown_out(found, position)
            elif interval:
                today = today_utc().date()
                found_timeline = readmodel.report(
                    lambda c: timeline.timeline(c, query, interval, today)
                )
                body = timeline_out(found_timeline, position)
            else:
                body = progress_out(
                    readmodel.report(lambda c: reports.progress(c, query)), position
                )
        except (TrackerError, ValidationException) as error:
            _refused(error)
    if as_json:
        print_json(body)
    elif isinstance(body, s.ProgressOut):
        print_progress(body)
    elif isinstance(body, s.BreakdownOut):
        print_breakdown(body)
    else:
        print_timeline(body)


@click.group(help=N_("The portfolios there are."))
def portfolios() -> None:
    pass


@portfolios.command(
    "list",
    help=N_(
        "Every portfolio (established by --as-of, as recorded by --known-at), the first "
        "established first; --json prints ``GET /api/v1/portfolios``'s body with every item."
    ),
)
@AS_OF
@known_at_option
@JSON
def list_command(as_of: datetime | None, known_at: datetime | None, as_json: bool) -> None:
    settings = ready_settings()
    with opened(settings) as readmodel:
        readmodel.projector.catch_up()
        position = readmodel.wait_for(None)
        try:
            day, moment = read_moment(as_of.date() if as_of else None, known_at)
        except ValidationException as error:
            _refused(error)
        body = portfolio_page_out(all_portfolios(readmodel, day, moment), position, day, moment)
    if as_json:
        print_json(body)
        return
    table = Table(title=gettext("Portfolios"))
    table.add_column(gettext("id"), no_wrap=True, min_width=36)
    table.add_column(gettext("established"), no_wrap=True)
    table.add_column(gettext("name"), min_width=20)
    table.add_column(gettext("forum"))
    for item in body.items:
        table.add_row(
            str(item.id),
            cldr.day(item.established_on),
            _illustrative(escape(item.name), item.illustrative),
            escape(item.forum),
        )
    out.print(table)
    if not body.items:
        out.print(gettext(NO_PORTFOLIO))


# The tables: a person's view of the same bodies.


NO_PORTFOLIO = N_("there is no portfolio yet: load one with `tracker demo` or `tracker import`")
#: What a breakdown or a timeline is by, as its table names it.
DIMENSION_NAMES = {
    "sector": N_("sector"),
    "region": N_("region"),
    "country": N_("country"),
    "status": N_("status"),
    "month": N_("month"),
    "quarter": N_("quarter"),
}


def _illustrative(name: str, illustrative: bool) -> str:
    return gettext("%(name)s (illustrative)", name=name) if illustrative else name


def _amount(text: str) -> str:
    """A decimal string of a body in the reader's way, every digit kept."""
    _, _, fraction = text.partition(".")
    return cldr.number(Decimal(text), len(fraction))


def _unconverted(total: s.TotalOut) -> list[str]:
    return [
        gettext(
            "+ %(amount)s %(currency)s unconverted (%(count)s)",
            amount=_amount(u.amount),
            currency=u.currency,
            count=u.count,
        )
        for u in total.unconverted
    ]


def _total(total: s.TotalOut) -> str:
    return "\n".join([f"{_amount(total.amount)} {total.currency}", *_unconverted(total)])


def _ratio(value: str | None) -> str:
    return "–" if value is None else cldr.percent(Decimal(value))


def _moment(body: s.ProgressOut | s.BreakdownOut | s.TimelineOut) -> str:
    day = cldr.day(getattr(body, "as_of", None) or today_utc().date())
    if body.known_at:
        return gettext(
            "as of %(day)s, as known at %(moment)s", day=day, moment=cldr.moment(body.known_at)
        )
    return gettext("as of %(day)s", day=day)


def _rates(body: s.ProgressOut | s.BreakdownOut | s.TimelineOut) -> None:
    if body.fx_rates_used:
        sets = sorted({_illustrative(r.rate_set, r.illustrative) for r in body.fx_rates_used})
        used = ngettext(
            "%(num)s exchange rate used, from: %(sets)s",
            "%(num)s exchange rates used, from: %(sets)s",
            len(body.fx_rates_used),
            sets="; ".join(sets),
        )
        out.print(used)
    elif not body.fx_rate_sets:
        out.print(
            gettext("this portfolio names no rate set: amounts in other currencies are unconverted")
        )


def print_progress(body: s.ProgressOut) -> None:
    targets, ratios = body.targets, body.ratios
    table = Table(
        title=gettext("Portfolio %(id)s %(moment)s", id=body.portfolio_id, moment=_moment(body))
    )
    table.add_column(gettext("figure"), min_width=14)
    table.add_column(gettext("value"), justify="right", no_wrap=True)
    table.add_column(gettext("target"), justify="right", no_wrap=True)
    table.add_column(gettext("of target"), justify="right", no_wrap=True)
    converted = targets.investment_in_report_currency if targets else None
    pledge = f"{_amount(converted)} {body.currency}" if converted is not None else "–"
    table.add_row(gettext("pledged (planned)"), _total(body.pledged), pledge, "")
    committed = _ratio(ratios.committed_to_target)
    table.add_row(gettext("committed"), _total(body.committed), pledge, committed)
    disbursed = _ratio(ratios.disbursed_to_target)
    table.add_row(gettext("disbursed"), _total(body.disbursed), pledge, disbursed)
    jobs = body.jobs_created
    table.add_row(
        gettext("jobs created"),
        gettext(
            "%(total)s (%(permanent)s permanent)",
            total=cldr.number(jobs.total),
            permanent=cldr.number(jobs.permanent),
        ),
        cldr.number(targets.jobs) if targets else "–",
        _ratio(ratios.jobs_to_target),
    )
    table.add_row(
        gettext("projects"),
        cldr.number(body.projects),
        cldr.number(targets.projects) if targets else "–",
        _ratio(ratios.projects_to_target),
    )
    for status, count in body.projects_by_status.items():
        table.add_row(f"  {status}", cldr.number(count), "", "")
    out.print(table)
    if targets:
        source = targets.source.title if targets.source else ""
        since = cldr.day(targets.effective_date)
        out.print(
            gettext("targets in force since %(day)s: %(source)s", day=since, source=escape(source))
        )
    _rates(body)


def _figures_table(title: str, first: str, currency: str) -> Table:
    table = Table(title=title)
    table.add_column(gettext(DIMENSION_NAMES[first]), min_width=16)
    table.add_column(gettext("projects"), justify="right")
    for figure in (gettext("pledged"), gettext("committed"), gettext("disbursed")):
        heading = gettext("%(figure)s, %(currency)s", figure=figure, currency=currency)
        table.add_column(heading, justify="right")
    table.add_column(gettext("jobs"), justify="right")
    return table


def _sum(total: s.TotalOut) -> str:
    """A total in a column headed by its currency; amounts left unconverted beneath."""
    return "\n".join([_amount(total.amount), *_unconverted(total)])


def _figures_row(table: Table, key: str, figures: s.FiguresOut) -> None:
    table.add_row(
        escape(key),
        cldr.number(figures.projects),
        _sum(figures.pledged),
        _sum(figures.committed),
        _sum(figures.disbursed),
        cldr.number(figures.jobs_created.total),
    )


def _by_title(body: s.BreakdownOut | s.TimelineOut, dimension: str) -> str:
    return gettext(
        "Portfolio %(id)s by %(dimension)s %(moment)s",
        id=body.portfolio_id,
        dimension=gettext(DIMENSION_NAMES[dimension]),
        moment=_moment(body),
    )


def print_breakdown(body: s.BreakdownOut) -> None:
    table = _figures_table(_by_title(body, body.by), body.by, body.currency)
    for item in body.slices:
        _figures_row(table, item.key, item.figures)
    out.print(table)
    _rates(body)


def print_timeline(body: s.TimelineOut) -> None:
    table = _figures_table(_by_title(body, body.interval), body.interval, body.currency)
    for point in body.points:
        period = point.period
        if point.target_restated:
            period = gettext("%(period)s (targets restated)", period=period)
        _figures_row(table, period, point.figures)
    out.print(table)
    _rates(body)
