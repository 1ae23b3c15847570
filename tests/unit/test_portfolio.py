from __future__ import annotations

from datetime import date

import pytest

from tests.unit.factories import on, usd
from tracker.domain.errors import ValidationError
from tracker.domain.portfolio import Portfolio


def test_the_targets_in_force_are_the_latest_effective_by_the_date() -> None:
    portfolio = Portfolio.establish("KZ-UZ", "forum", date(2023, 2, 1), on("2023-02-01"))
    portfolio.restate_targets(usd("2100000000"), 10000, 42, on("2023-02-01"))
    portfolio.restate_targets(usd("3400000000"), 14600, 74, on("2024-10-22"))
    portfolio.restate_targets(usd("3100000000"), 15000, 69, on("2024-07-12"))  # recorded late

    assert portfolio.targets_as_of(date(2023, 1, 1)) is None
    assert portfolio.targets_as_of(date(2024, 1, 1)).projects == 42  # type: ignore[union-attr]
    assert portfolio.targets_as_of(date(2024, 8, 1)).projects == 69  # type: ignore[union-attr]
    assert portfolio.targets_as_of(None).projects == 74  # type: ignore[union-attr]


def test_targets_must_not_be_negative() -> None:
    portfolio = Portfolio.establish("KZ-UZ", "forum", date(2023, 2, 1), on("2023-02-01"))
    with pytest.raises(ValidationError) as caught:
        portfolio.restate_targets(usd("1"), -1, 3, on("2023-02-01"))
    assert caught.value.field == "jobs"
