"""One line that says what an event recorded, for lists of events (changes, activity)."""

from __future__ import annotations

from typing import Any

from tracker.domain.values import Money


def money_text(value: Money) -> str:
    return f"{value.currency} {value.amount:,.2f}"


def _replaced(event: Any) -> str:
    given = event.replacement.given()
    parts = []
    for name, value in given.items():
        shown = money_text(value) if isinstance(value, Money) else value
        parts.append(f"{name.replace('_', ' ')} {shown}")
    return ", ".join(parts)


def event_summary(event: Any) -> str:
    """What the event says, in a line: amounts with their currency, the corrected values."""
    kind = getattr(type(event), "KIND", "") or type(event).__name__
    if kind in ("committed", "disbursed"):
        return f"{kind.capitalize()} {money_text(event.amount)}"
    if kind == "announced" and hasattr(event, "planned_investment"):
        return (
            f"Announced “{event.title}”: {money_text(event.planned_investment)} planned, "
            f"{event.planned_jobs:,} jobs"
        )
    if kind == "jobs_created":
        return f"Jobs created: {event.permanent:,} permanent, {event.temporary:,} temporary"
    if kind == "milestone":
        return f"Milestone: {event.name}"
    if kind in ("status_changed", "completed", "cancelled"):
        status = event.status.value.replace("_", " ")
        return f"Status: {status}" + (f" ({event.reason})" if event.reason else "")
    if kind == "corrected":
        return f"Corrected event {event.corrects}: {_replaced(event)} ({event.reason})"
    if kind == "title_translated":
        return f"Title in {event.language}: {event.title}"
    if kind == "retracted":
        return f"Retracted event {event.retracts} ({event.reason})"
    if kind == "targets_restated":
        return (
            f"Targets restated: {money_text(event.investment)}, {event.jobs:,} jobs, "
            f"{event.projects:,} projects"
        )
    if kind == "statement_recorded":
        return f"Statement: {event.summary}"
    if kind == "rate_sets_chosen":
        return f"Rate sets chosen: {len(event.rate_sets)}"
    if kind == "rates_published":
        return f"Rates published: {len(event.rates)}"
    if kind == "rate_corrected":
        rate = event.rate
        return (
            f"Rate corrected: {rate.currency} {rate.units_per_usd} per USD on "
            f"{rate.rate_date} ({event.reason})"
        )
    if kind == "rate_withdrawn":
        return f"Rate withdrawn: {event.currency} on {event.rate_date} ({event.reason})"
    title = getattr(event, "title", None) or getattr(event, "name", None)
    words = kind.replace("_", " ").capitalize()
    return f"{words}: {title}" if isinstance(title, str) else words
