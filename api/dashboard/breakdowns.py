"""The breakdowns by country, sector and region: a row with its bar per slice, and what lags.

Each row says committed, disbursed and jobs as shares of what the slice's projects plan, and
the shortfall of the figure the reader chose; the rows come in the API's order (largest
amount, lowest share or largest shortfall first, as chosen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Segment, bar
from tracker.i18n import N_, gettext

#: What the reader can measure slices by, and order them by, as the page words them
#: (``gettext`` each where shown).
FIGURE_NAMES = {
    "committed": N_("Committed"),
    "disbursed": N_("Disbursed"),
    "jobs": N_("Jobs created"),
}
RANK_NAMES = {
    "amount": N_("Largest first"),
    "share": N_("Lowest share of plan first"),
    "shortfall": N_("Largest shortfall first"),
    "key": N_("A–Z"),
}


def figure_names() -> dict[str, str]:
    return {key: gettext(name) for key, name in FIGURE_NAMES.items()}


def rank_names() -> dict[str, str]:
    return {key: gettext(name) for key, name in RANK_NAMES.items()}


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    name: str
    pledged: str
    committed: str
    disbursed: str
    projects: int
    jobs: int
    planned_jobs: int
    shares_line: Markup  # committed, disbursed and jobs of plan, each with its exact value
    shortfall: str  # of the chosen figure, as read
    bar: Any


TITLES = {"sector": N_("By sector"), "region": N_("By region"), "country": N_("By country")}
NOTES = {
    "region": N_("A project in two regions counts in full in each."),
    "country": N_("A project in two countries counts in full in each."),
}


@dataclass(frozen=True)
class BreakdownView:
    by: str
    title: str
    rows: list[BreakdownRow]
    note: str | None


def shortfall_text(shares: s.SharesOut, figure: str, currency: str) -> str:
    """Plan minus actual of ``figure``, as read (``USD 18.0 M short``, ``ahead by …``)."""
    if figure == "jobs":
        value = f.decimal(shares.jobs_shortfall)
        if value > 0:
            return gettext("%(jobs)s jobs short of plan", jobs=f.number(int(value)))
        if value < 0:
            return gettext("%(jobs)s jobs beyond plan", jobs=f.number(int(-value)))
        return gettext("on plan")
    value = f.decimal(
        shares.committed_shortfall if figure == "committed" else shares.disbursed_shortfall
    )
    if value > 0:
        return gettext("%(amount)s short of plan", amount=f.short_money(value, currency))
    if value < 0:
        return gettext("%(amount)s beyond plan", amount=f.short_money(-value, currency))
    return gettext("on plan")


def _data(figure: str, value: object, text: str) -> Markup:
    return Markup('<data data-figure="{}" value="{}">{}</data>').format(figure, value, text)


def shares_line(sl: s.SliceOut) -> Markup:
    """ "Of plan: committed 58.3 % · disbursed 61.6 % · jobs 428 of 710 (60.3 %)", each
    figure in a ``data`` element with the API's exact value."""
    shares, jobs = sl.shares_of_plan, sl.figures.jobs_created.total
    return Markup(
        gettext(
            "Of plan: committed %(committed)s · disbursed %(disbursed)s · "
            "jobs %(jobs)s of %(planned)s (%(share)s)"
        )
    ) % {
        "committed": _data(
            "committed-share",
            shares.committed_to_plan or "",
            f.percent(shares.committed_to_plan),
        ),
        "disbursed": _data(
            "disbursed-share",
            shares.disbursed_to_plan or "",
            f.percent(shares.disbursed_to_plan),
        ),
        "jobs": _data("jobs", jobs, f.number(jobs)),
        "planned": f.number(sl.figures.planned_jobs),
        "share": _data("jobs-share", shares.jobs_to_plan or "", f.percent(shares.jobs_to_plan)),
    }


def breakdown_view(report: s.BreakdownOut) -> BreakdownView:
    names: dict[str, Callable[[str], str]] = {
        "sector": f.sector,
        "region": f.region,
        "country": f.country,
    }
    name = names[report.by]
    slices = report.slices  # in the order asked for
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
                jobs=fig.jobs_created.total,
                planned_jobs=fig.planned_jobs,
                shares_line=shares_line(sl),
                shortfall=shortfall_text(sl.shares_of_plan, report.figure, currency),
                bar=bar(
                    [
                        Segment(
                            float(value),
                            css,
                            f"{gettext(what)}: {f.short_money(value, currency)}",
                            edge,
                        )
                        for value, css, what, edge in (
                            (pledged, "fill-pledged", N_("Planned"), "bar-edge"),
                            (committed, "fill-committed", N_("Committed"), None),
                            (disbursed, "fill-disbursed", N_("Disbursed"), None),
                        )
                    ],
                    scale=scale,
                    label=gettext(
                        "%(name)s: %(committed)s committed and %(disbursed)s disbursed of "
                        "%(planned)s planned",
                        name=label,
                        committed=f.short_money(committed, currency),
                        disbursed=f.short_money(disbursed, currency),
                        planned=f.short_money(pledged, currency),
                    ),
                    css="bar bar-thin",
                    height=12,
                ),
            )
        )
    note = gettext(NOTES[report.by]) if report.by in NOTES else None
    return BreakdownView(report.by, gettext(TITLES[report.by]), rows, note)
