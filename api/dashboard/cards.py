"""The headline: one card per target (committed, disbursed, jobs, projects), with its bar."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Segment, bar


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
    reported: str | None = None  # how much of the figure comes from reported projects


def _unconverted_note(total: s.TotalOut) -> str | None:
    if not total.unconverted:
        return None
    parts = [f"{f.short_money(u.amount, u.currency)} ({u.count})" for u in total.unconverted]
    return "Not converted for want of a rate: " + ", ".join(parts)


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
        shared.append(replace(card, reported=f"Of which from public reports: {text}{share}"))
    return shared


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
                target_text=f.short_money(investment, currency) if investment else None,
                target_noun="investment pledge",
                ratio=ratio,
                bar=bar(
                    [Segment(value, css, f"{title}: {f.full_money(total.amount, currency)}")],
                    scale=goal or value,
                    label=f"{title} {f.short_money(total.amount, currency)}, "
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
            target_noun="jobs targeted, temporary jobs counted",
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
            title="Projects",
            figure=str(progress.projects),
            figure_text=f.number(progress.projects),
            figure_unit="",
            target=str(project_target) if project_target is not None else None,
            target_text=f.number(project_target) if project_target is not None else None,
            target_noun="projects targeted",
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
            note=_cancelled_note(progress.projects, by_status.get("cancelled", 0)),
        )
    )
    return cards


def _permanent_note(jobs: s.JobsOut, target: int | None) -> str | None:
    """The jobs figure counts temporary jobs too: say so, with the permanent ones alone."""
    if not jobs.temporary:
        return None
    share = f" ({f.percent(f.decimal(jobs.permanent) / target)} of the target)" if target else ""
    return (
        f"Temporary jobs are counted: {f.number(jobs.temporary)} of the "
        f"{f.number(jobs.total)}. Permanent jobs alone: {f.number(jobs.permanent)}" + share + "."
    )


def _cancelled_note(projects: int, cancelled: int) -> str | None:
    """The project count is every project announced, cancelled ones included: say so."""
    if not cancelled:
        return None
    going_ahead = projects - cancelled
    return (
        f"Every project announced is counted, {f.number(cancelled)} cancelled "
        f"{'one' if cancelled == 1 else 'ones'} included; {f.number(going_ahead)} "
        f"{'is' if going_ahead == 1 else 'are'} not cancelled."
    )
