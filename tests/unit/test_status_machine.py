from __future__ import annotations

import pytest

from tracker.domain.errors import InvalidTransition
from tracker.domain.status import RESUMED, STAGES, Status, next_status


def test_a_project_moves_forward_and_may_skip_stages() -> None:
    assert next_status(Status.ANNOUNCED, "agreed", None) is Status.AGREED
    assert next_status(Status.AGREED, "under_implementation", None) is Status.UNDER_IMPLEMENTATION


@pytest.mark.parametrize(
    "later, earlier", [(b, a) for i, a in enumerate(STAGES) for b in STAGES[i:]]
)
def test_a_project_never_moves_back_or_stays(later: Status, earlier: Status) -> None:
    with pytest.raises(InvalidTransition):
        next_status(later, earlier.value, None)


def test_resuming_returns_to_the_stage_before_suspension() -> None:
    assert next_status(Status.SUSPENDED, RESUMED, Status.IN_PREPARATION) is Status.IN_PREPARATION
    assert next_status(Status.SUSPENDED, "in_preparation", Status.IN_PREPARATION) is (
        Status.IN_PREPARATION
    )
    assert next_status(Status.SUSPENDED, "operational", Status.IN_PREPARATION) is Status.OPERATIONAL
    with pytest.raises(InvalidTransition):
        next_status(Status.SUSPENDED, "agreed", Status.IN_PREPARATION)


def test_only_a_suspended_project_resumes_and_suspension_does_not_nest() -> None:
    with pytest.raises(InvalidTransition, match="only a suspended"):
        next_status(Status.AGREED, RESUMED, None)
    with pytest.raises(InvalidTransition, match="already suspended"):
        next_status(Status.SUSPENDED, "suspended", Status.AGREED)


@pytest.mark.parametrize("terminal", [Status.CLOSED, Status.CANCELLED])
def test_terminal_states_stay_terminal(terminal: Status) -> None:
    for requested in [*STAGES, Status.SUSPENDED, RESUMED]:
        with pytest.raises(InvalidTransition):
            next_status(terminal, requested, None)


def test_closing_and_cancelling_need_their_own_events() -> None:
    with pytest.raises(InvalidTransition, match="completed"):
        next_status(Status.OPERATIONAL, "closed", None)
    with pytest.raises(InvalidTransition, match="cancelled"):
        next_status(Status.OPERATIONAL, "cancelled", None)
    with pytest.raises(InvalidTransition, match="not a status"):
        next_status(Status.OPERATIONAL, "finished", None)
