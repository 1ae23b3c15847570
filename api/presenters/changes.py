"""What changed between two moments, to response bodies.

Money in the report currency is shown to the cent, as the progress report shows it; the
contributions to a difference are rounded so that they still add up to the difference shown
(the largest remainders get the cents rounding left over), and those a response leaves out
are summed into one ``others`` contribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from uuid import UUID

from api.presenters.events import aggregate_type
from api.presenters.rates import rates_out
from api.presenters.reports import filters_out
from api.presenters.summaries import event_summary
from api.presenters.values import exact_amount, source_out
from api.schemas import changes as c
from tracker.readmodel.activity import Recorded
from tracker.readmodel.changes import Cause, Changes, FigureChange, Measure
from tracker.readmodel.totals import EXACT

CENT = Decimal("0.01")


def in_cents(measure: Measure) -> bool:
    """Whether a measure is money in the report currency (shown to the cent)."""
    return not measure.unconverted and measure.unit not in ("jobs", "projects")


def shown(measure: Measure, value: Decimal) -> Decimal:
    """A value as a reader sees it: money in the report currency to the cent, else exact."""
    return value.quantize(CENT) if in_cents(measure) else value


def apportioned(figure: FigureChange) -> list[Decimal]:
    """Each contribution as shown: to the cent for money, adding up to the difference shown."""
    amounts = [contribution.amount for contribution in figure.contributions]
    if not in_cents(figure.measure):
        return amounts
    total = shown(figure.measure, figure.end) - shown(figure.measure, figure.start)
    floors = [amount.quantize(CENT, rounding=ROUND_FLOOR) for amount in amounts]
    spare = int((total - sum(floors, Decimal(0))) / CENT)
    by_remainder = sorted(
        range(len(amounts)), key=lambda i: (EXACT.subtract(amounts[i], floors[i]), -i)
    )
    if spare >= 0:
        for index in reversed(by_remainder[len(by_remainder) - spare :] if spare else []):
            floors[index] += CENT
    else:
        for index in by_remainder[:-spare]:
            floors[index] -= CENT
    return floors


def text(measure: Measure, value: Decimal) -> str:
    """Money to the cent, amounts left unconverted exactly, counts as whole numbers."""
    if in_cents(measure):
        return str(value.quantize(CENT))
    if measure.counting or measure.unit in ("jobs", "projects"):
        return str(int(value))
    return exact_amount(value)


def cause_out(cause: Cause, titles: Mapping[str, str]) -> c.CauseOut:
    return c.CauseOut(
        kind=cause.kind,  # type: ignore[arg-type]
        project_id=UUID(cause.project_id) if cause.project_id else None,
        project_title=titles.get(cause.project_id) if cause.project_id else None,
        positions=list(cause.positions),
        rates=[
            c.RateMoveOut(
                move.currency,
                rates_out([move.before])[0] if move.before else None,
                rates_out([move.after])[0] if move.after else None,
            )
            for move in cause.moves
        ],
    )


def figure_out(figure: FigureChange, limit: int, titles: Mapping[str, str]) -> c.FigureChangeOut:
    measure = figure.measure
    amounts = apportioned(figure)
    listed = [
        c.ContributionOut(cause_out(contribution.cause, titles), text(measure, amount))
        for contribution, amount in zip(figure.contributions[:limit], amounts, strict=False)
    ]
    rest = amounts[limit:]
    if rest:
        others = sum(rest, Decimal(0))
        others_out = c.CauseOut("others", count=len(rest))
        listed.append(c.ContributionOut(others_out, text(measure, others)))
    start, end = shown(measure, figure.start), shown(measure, figure.end)
    return c.FigureChangeOut(
        figure=measure.name,
        unit=measure.unit,
        start=text(measure, start),
        end=text(measure, end),
        difference=text(measure, end - start),
        contributions=listed,
        unconverted=measure.unconverted or None,
        counting=measure.counting,
    )


def changed_event_out(entry: Recorded, event: Any, titles: Mapping[str, str]) -> c.ChangedEventOut:
    return c.ChangedEventOut(
        position=entry.position,
        aggregate_type=aggregate_type(event),
        aggregate_id=event.originator_id,
        type=type(event).KIND,
        summary=event_summary(event),
        effective_date=event.effective_date,
        recorded_at=event.timestamp,
        actor=event.actor,
        source=source_out(event.source),
        project_id=UUID(entry.project_id) if entry.project_id else None,
        project_title=titles.get(entry.project_id) if entry.project_id else None,
        recorded_at_simulated=event.simulated,
    )


def changes_out(
    found: Changes,
    events: Sequence[c.ChangedEventOut],
    next_cursor: str | None,
    *,
    limit: int,
    titles: Mapping[str, str],
    position: int,
) -> c.ChangesOut:
    start, end = found.start.query, found.end.query
    return c.ChangesOut(
        portfolio_id=start.portfolio_id,
        currency=start.currency,
        layer=start.filters.layer,
        start=c.MomentOut(start.as_of, start.known_at),
        end=c.MomentOut(end.as_of, end.known_at),
        figures=[figure_out(figure, limit, titles) for figure in found.figures],
        events=list(events),
        next_cursor=next_cursor,
        position=position,
        filters=filters_out(start.filters),
    )
