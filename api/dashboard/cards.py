"""The headline: one card per target (committed, disbursed, jobs, projects), with its bar."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Segment, bar
from tracker.i18n import N_, gettext, ngettext


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    figure: str  # exact, as the API says it
    figure_text: str  # as read, without its unit
    figure_unit: str  # "USD", or "" for counts
    target: str | None  # exact
    target_text: str | None  # as read
    #: How the ratio reads (a catalog message, ``%(ratio)s`` and ``%(target)s`` filled in where
    #: the page shows them): "58.2 % of the USD 3.40 bn investment pledge", …
    target_phrase: str
    ratio: str | None
    bar: Any
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # css, label, value
    note: str | None = None
    reported: str | None = None  # how much of the figure comes from reported projects
    plan_share: str | None = None  # the figure as a share of what the counted projects plan


def _unconverted_note(total: s.TotalOut) -> str | None:
    if not total.unconverted:
        return None
    parts = [f"{f.short_money(u.amount, u.currency)} ({u.count})" for u in total.unconverted]
    return gettext("Not converted for want of a rate: %(amounts)s", amounts=", ".join(parts))


def reported_shares(cards: list[Card], reported: s.ProgressOut) -> list[Card]:
    """Each card saying how much of its figure the reported projects make."""
    figures = {
        "committed": (reported.committed.amount, reported.currency),
        "disbursed": (reported.disbursed.amount, reported.currency),
        "jobs": (str(reported.jobs_created.total), ""),
        "projects": (str(reported.projects), ""),
    }
    shared = []
    for card in cards:
        part, currency = figures[card.key]
        whole = f.decimal(card.figure)
        share = f" ({f.percent(str(f.decimal(part) / whole))})" if whole else ""
        text = f.short_money(part, currency) if currency else f.number(int(part))
        reported_text = gettext("Of which from public reports: %(figure)s", figure=text + share)
        shared.append(replace(card, reported=reported_text))
    return shared


def plan_shares(cards: list[Card], progress: s.ProgressOut) -> list[Card]:
    """Each card (but the projects') saying what share its figure is of what the counted
    projects plan: for a filtered page, where the portfolio's targets are not theirs."""
    shares = progress.shares_of_plan
    planned = f.short_money(progress.pledged.amount, progress.currency)
    texts = {
        "committed": gettext(
            "%(share)s of the %(planned)s these projects plan",
            share=f.percent(shares.committed_to_plan),
            planned=planned,
        ),
        "disbursed": gettext(
            "%(share)s of the %(planned)s these projects plan",
            share=f.percent(shares.disbursed_to_plan),
            planned=planned,
        ),
        "jobs": gettext(
            "%(share)s of the %(planned)s jobs these projects plan",
            share=f.percent(shares.jobs_to_plan),
            planned=f.number(progress.planned_jobs),
        ),
    }
    return [replace(card, plan_share=texts.get(card.key)) for card in cards]


def headline(progress: s.ProgressOut) -> list[Card]:
    targets = progress.targets
    currency = progress.currency
    investment = targets.investment_in_report_currency if targets else None
    goal = float(f.decimal(investment)) if investment else 0.0
    cards = []
    ratios = progress.ratios
    for key, title, total, ratio in (
        ("committed", gettext("Committed"), progress.committed, ratios.committed_to_target),
        ("disbursed", gettext("Disbursed"), progress.disbursed, ratios.disbursed_to_target),
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
                target_text=f.short_money(investment, currency) if investment else None,
                target_phrase=N_("%(ratio)s of the %(target)s investment pledge"),
                ratio=ratio,
                bar=bar(
                    [Segment(value, css, f"{title}: {f.full_money(total.amount, currency)}")],
                    scale=goal or value,
                    label=gettext(
                        "%(title)s %(money)s, %(percent)s of the pledge",
                        title=title,
                        money=f.short_money(total.amount, currency),
                        percent=f.percent(ratio),
                    ),
                ),
                note=_unconverted_note(total),
            )
        )
    jobs = progress.jobs_created
    jobs_target = targets.jobs if targets else None
    cards.append(
        Card(
            key="jobs",
            title=gettext("Jobs created"),
            figure=str(jobs.total),
            figure_text=f.number(jobs.total),
            figure_unit="",
            target=str(jobs_target) if jobs_target is not None else None,
            target_text=f.number(jobs_target) if jobs_target is not None else None,
            target_phrase=N_("%(ratio)s of the %(target)s jobs targeted, temporary jobs counted"),
            ratio=progress.ratios.jobs_to_target,
            bar=bar(
                [
                    Segment(
                        jobs.permanent,
                        "fill-disbursed",
                        gettext("Permanent: %(n)s", n=f.number(jobs.permanent)),
                    ),
                    Segment(
                        jobs.temporary,
                        "fill-committed",
                        gettext("Temporary: %(n)s", n=f.number(jobs.temporary)),
                    ),
                ],
                scale=float(jobs_target or jobs.total),
                stacked=True,
                label=gettext(
                    "%(jobs)s jobs, %(percent)s of target",
                    jobs=f.number(jobs.total),
                    percent=f.percent(progress.ratios.jobs_to_target),
                ),
            ),
            legend=[
                ("fill-disbursed", gettext("permanent"), f.number(jobs.permanent)),
                ("fill-committed", gettext("temporary"), f.number(jobs.temporary)),
            ],
            note=_permanent_note(jobs, jobs_target),
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
            title=gettext("Projects"),
            figure=str(progress.projects),
            figure_text=f.number(progress.projects),
            figure_unit="",
            target=str(project_target) if project_target is not None else None,
            target_text=f.number(project_target) if project_target is not None else None,
            target_phrase=N_("%(ratio)s of the %(target)s projects targeted"),
            ratio=progress.ratios.projects_to_target,
            bar=bar(
                [Segment(n, f"status-{st}", f"{f.status(st)}: {f.number(n)}") for st, n in ordered],
                scale=float(project_target or progress.projects),
                stacked=True,
                target=float(project_target) if project_target else None,
                label=gettext(
                    "%(projects)s projects by status: %(statuses)s",
                    projects=f.number(progress.projects),
                    statuses=", ".join(
                        f"{f.number(n)} {f.status(st).lower()}" for st, n in ordered
                    ),
                ),
            ),
            legend=[(f"status-{st}", f.status(st).lower(), f.number(n)) for st, n in ordered],
            note=_cancelled_note(progress.projects, by_status.get("cancelled", 0)),
        )
    )
    return cards


def _permanent_note(jobs: s.JobsOut, target: int | None) -> str | None:
    """The jobs figure counts temporary jobs too: say so, with the permanent ones alone."""
    if not jobs.temporary:
        return None
    numbers = {
        "temporary": f.number(jobs.temporary),
        "total": f.number(jobs.total),
        "permanent": f.number(jobs.permanent),
    }
    if target:
        return gettext(
            "Temporary jobs are counted: %(temporary)s of the %(total)s. Permanent jobs alone: "
            "%(permanent)s (%(percent)s of the target).",
            percent=f.percent(f.decimal(jobs.permanent) / target),
            **numbers,
        )
    return gettext(
        "Temporary jobs are counted: %(temporary)s of the %(total)s. Permanent jobs alone: "
        "%(permanent)s.",
        **numbers,
    )


def _cancelled_note(projects: int, cancelled: int) -> str | None:
    """The project count is every project announced, cancelled ones included: say so."""
    if not cancelled:
        return None
    going_ahead = projects - cancelled
    included = ngettext(
        "Every project announced is counted, %(num)s cancelled one included;",
        "Every project announced is counted, %(num)s cancelled ones included;",
        cancelled,
    )
    going = ngettext("%(num)s is not cancelled.", "%(num)s are not cancelled.", going_ahead)
    return f"{included} {going}"
