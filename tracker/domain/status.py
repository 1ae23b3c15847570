"""The project status machine, the only place that decides which moves are allowed."""

from __future__ import annotations

from enum import StrEnum

from tracker.domain.errors import N_, InvalidTransition


class Status(StrEnum):
    ANNOUNCED = "announced"
    AGREED = "agreed"
    IN_PREPARATION = "in_preparation"
    UNDER_IMPLEMENTATION = "under_implementation"
    OPERATIONAL = "operational"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


#: The forward path of a project, in order. A project may skip ahead, never go back.
STAGES: tuple[Status, ...] = (
    Status.ANNOUNCED,
    Status.AGREED,
    Status.IN_PREPARATION,
    Status.UNDER_IMPLEMENTATION,
    Status.OPERATIONAL,
)
TERMINAL = frozenset({Status.CLOSED, Status.CANCELLED})
COMPLETABLE = frozenset({Status.UNDER_IMPLEMENTATION, Status.OPERATIONAL})

#: IATI activity status codes (1 pipeline, 2 implementation, 3 finalisation, 4 closed,
#: 5 cancelled, 6 suspended).
IATI_ACTIVITY_STATUS: dict[Status, int] = {
    Status.ANNOUNCED: 1,
    Status.AGREED: 1,
    Status.IN_PREPARATION: 1,
    Status.UNDER_IMPLEMENTATION: 2,
    Status.OPERATIONAL: 3,
    Status.CLOSED: 4,
    Status.CANCELLED: 5,
    Status.SUSPENDED: 6,
}

#: The pseudo status a recorder may send to resume a suspended project where it was.
RESUMED = "resumed"


def is_open(status: Status) -> bool:
    return status not in TERMINAL


def next_status(current: Status, requested: str, before_suspension: Status | None) -> Status:
    """The status after a ``status_changed`` request, or :class:`InvalidTransition`.

    Closing and cancelling have their own events (``completed``, ``cancelled``).
    """
    if current in TERMINAL:
        raise InvalidTransition(
            N_("the project is %(current)s and can no longer change status"), current=current
        )
    if requested == RESUMED:
        if current is not Status.SUSPENDED or before_suspension is None:
            raise InvalidTransition(
                N_("only a suspended project can be resumed; it is %(current)s"), current=current
            )
        return before_suspension
    try:
        target = Status(requested)
    except ValueError:
        allowed = ", ".join([*STAGES, Status.SUSPENDED, RESUMED])
        raise InvalidTransition(
            N_("%(requested)r is not a status one can change to; use one of %(allowed)s"),
            requested=requested,
            allowed=allowed,
        ) from None
    if target is Status.SUSPENDED:
        if current is Status.SUSPENDED:
            raise InvalidTransition(N_("the project is already suspended"))
        return target
    if target in TERMINAL:
        event = "completed" if target is Status.CLOSED else "cancelled"
        raise InvalidTransition(
            N_("a project becomes %(target)s through a %(event)r event"), target=target, event=event
        )
    origin = before_suspension if current is Status.SUSPENDED else current
    assert origin is not None
    if STAGES.index(target) < STAGES.index(origin) or (
        target is origin and current is not Status.SUSPENDED
    ):
        raise InvalidTransition(
            N_("a project cannot move from %(origin)s back or over to %(target)s"),
            origin=origin,
            target=target,
        )
    return target
