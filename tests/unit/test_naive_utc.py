"""Recorded times are stored as naive UTC (tracker/readmodel/database.py ``naive_utc``): the
same moment whatever zone it came in, and a naive one left as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker.readmodel.database import naive_utc

MOMENT = datetime(2024, 2, 29, 23, 59, 59, 999_999)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (MOMENT.replace(tzinfo=UTC), MOMENT),
        (MOMENT.replace(tzinfo=timezone(timedelta(0))), MOMENT),
        (MOMENT.replace(tzinfo=timezone(timedelta(hours=5))), MOMENT - timedelta(hours=5)),
        (MOMENT.replace(tzinfo=timezone(timedelta(hours=-3))), MOMENT + timedelta(hours=3)),
        (MOMENT, MOMENT),
    ],
)
def test_a_recorded_time_is_stored_as_the_same_moment_in_naive_utc(
    given: datetime, stored: datetime
) -> None:
    made = naive_utc(given)
    assert made == stored
    assert made.tzinfo is None
    assert type(made) is datetime
    assert made.fold == 0
