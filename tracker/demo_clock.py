"""A simulated recording clock, for the offline demo loader only.

The demo's events happened over four years, but a loader records them in seconds, so a
report "as known at" any past moment would show nothing worth seeing. The loader plans each
command with a recording time as a desk would have had it: the same day for official
publications, days or weeks after the fact for most reports, months for a late one, and
later still for a correction. Commands then run in the order of those times, so the log's
order agrees with them. Every event so recorded is marked ``simulated`` (see
``tracker.domain.values.Envelope``); the API and imports never set a recorded time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum


class Lag(Enum):
    """How long after its effective date a kind of event is recorded."""

    SAME_DAY = "same day"
    REPORT = "report"
    AFTERTHOUGHT = "correction"


#: Every simulated time lies at least this far before the real recording time.
MARGIN = timedelta(hours=1)
#: Events of one aggregate are at least this far apart, in the order they were planned.
SPACING = timedelta(minutes=1)


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    run: Callable[[], object] = field(compare=False)


class RecordingClock:
    """Plans commands at simulated recording times, then runs them in the order of those
    times (the order of planning among equal times)."""

    def __init__(self, now: datetime, rng: random.Random) -> None:
        self.latest_allowed = now.astimezone(UTC) - MARGIN
        self.rng = rng
        self.latest: dict[str, datetime] = {}
        self.steps: list[_Step] = []

    @property
    def planned(self) -> int:
        return len(self.steps)

    def time_for(
        self, aggregate: str, day: date, lag: Lag, *, not_before: datetime | None = None
    ) -> datetime:
        """When an event of ``aggregate`` effective on ``day`` was recorded: ``lag`` after the
        day, after the aggregate's earlier events (and ``not_before``), never after now."""
        at = datetime.combine(day, time(9), UTC) + self._lag(lag)
        for earlier in (self.latest.get(aggregate), not_before):
            if earlier is not None:
                at = max(at, earlier + SPACING)
        at = min(at, self.latest_allowed)
        self.latest[aggregate] = at
        return at

    def plan(self, at: datetime, run: Callable[[], object]) -> None:
        self.steps.append(_Step(at, len(self.steps), run))

    def run(self) -> Iterator[int]:
        """Run every planned step in time order; yield how many have run."""
        for done, step in enumerate(sorted(self.steps), start=1):
            step.run()
            yield done

    def _lag(self, lag: Lag) -> timedelta:
        rng = self.rng
        if lag is Lag.SAME_DAY:
            return timedelta(minutes=rng.randrange(0, 480))
        if lag is Lag.AFTERTHOUGHT:
            return timedelta(days=rng.randrange(20, 120), minutes=rng.randrange(0, 480))
        # Most reports within two weeks, some within two months, one in ten months late.
        roll = rng.random()
        days = (
            rng.randrange(1, 15)
            if roll < 0.7
            else rng.randrange(15, 60)
            if roll < 0.9
            else rng.randrange(90, 200)
        )
        return timedelta(days=days, minutes=rng.randrange(0, 480))
