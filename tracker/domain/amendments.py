"""Corrections and retractions: which stored event a command may amend, and with what.

The checks read the project (:class:`~tracker.domain.project.Project`) through
:class:`Amendable` and emit nothing: the aggregate records the event they allow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol
from uuid import UUID

from tracker.domain.base import TrackedAggregate
from tracker.domain.commands import Correct, Replacement
from tracker.domain.errors import N_, Conflict, ValidationError
from tracker.domain.facts import Fact, check_fact
from tracker.domain.plan import Plan, check_plan
from tracker.domain.values import Envelope, check_effective_date

#: Which replacement values each correctable event type accepts.
CORRECTABLE: dict[str, frozenset[str]] = {
    "committed": frozenset({"amount", "effective_date"}),
    "disbursed": frozenset({"amount", "effective_date"}),
    "jobs_created": frozenset({"permanent", "temporary", "effective_date"}),
    "milestone": frozenset({"name", "effective_date"}),
    "announced": frozenset(
        {
            "title",
            "sector",
            "regions",
            "countries",
            "parties",
            "planned_investment",
            "planned_jobs",
            "planned_start",
            "planned_end",
        }
    ),
}


class Amendable(Protocol):
    """What the checks read of a project."""

    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...

    plan: Plan
    #: Fact version -> the version of the event that retracted it.
    retracted: dict[int, int]
    #: Fact version -> the versions of the corrections made to it.
    corrections: dict[int, tuple[int, ...]]


def checked_replacement(
    project: Amendable,
    command: Correct,
    kind: str,
    envelope: Envelope,
    current_fact: Callable[[], Fact],
) -> Replacement:
    """The replacement ``command`` stores for the ``kind`` event it names, checked.

    ``current_fact`` gives the named fact as now believed (not called for an announcement).
    """
    values = command.replacement.given()
    if not values:
        raise ValidationError(
            N_("a correction must replace at least one value"), field="replacement"
        )
    unknown = sorted(set(values) - CORRECTABLE[kind])
    if unknown:
        raise ValidationError(
            N_("a %(kind)r event has no %(allowed)s to correct; correctable: %(allowed2)s"),
            kind=kind,
            allowed=", ".join(unknown),
            allowed2=", ".join(sorted(CORRECTABLE[kind])),
            field=f"replacement.{unknown[0]}",
        )
    replacement = command.replacement
    if kind == "announced":
        # Store the checked values (countries follow the regions, text is trimmed).
        if "regions" in values and "countries" not in values:
            values["countries"] = ()  # derived again from the new regions
        checked = check_plan(replace(project.plan, **values))
        names = set(values) | ({"countries"} if "regions" in values else set())
        replacement = Replacement(**{name: getattr(checked, name) for name in names})
    else:
        if command.replacement.effective_date is not None:
            check_effective_date(
                command.replacement.effective_date,
                field="replacement.effective_date",
                today=envelope.today,
            )
        check_fact(replace(current_fact(), **values), kind)
    return replacement


def check_retractable(kind: str) -> None:
    if kind == "announced":
        raise Conflict(N_("an announcement cannot be retracted; cancel the project instead"))


def named(
    project: Amendable,
    version: int,
    events: Mapping[int, TrackedAggregate.Event],
    *,
    field: str,
) -> tuple[str, TrackedAggregate.Event]:
    """The kind of the event a correction or retraction names, and the event, if the
    rules let it be corrected or retracted."""
    target = events.get(version)
    if target is None or not 1 <= version <= project.version:
        raise ValidationError(
            N_("this project has no event with version %(version)s"),
            version=version,
            field=field,
        )
    check_is_own(project, target, version)
    kind = event_kind(target)
    if kind not in CORRECTABLE:
        raise ValidationError(
            N_(
                "event %(version)s is a %(kind)r event; only %(allowed)s events can be "
                "corrected or retracted"
            ),
            version=version,
            kind=kind,
            allowed=", ".join(sorted(CORRECTABLE)),
            field=field,
        )
    retracted_by = project.retracted.get(version)
    if retracted_by is not None:
        raise Conflict(
            N_("event %(version)s was retracted by event %(retracted_by)s"),
            version=version,
            retracted_by=retracted_by,
            field=field,
        )
    return kind, target


def check_is_own(project: Amendable, event: TrackedAggregate.Event, version: int) -> None:
    """A caller handing another event than the one asked for is a bug, not bad input."""
    if event.originator_id != project.id or event.originator_version != version:
        raise ValueError(f"{event!r} is not event {version} of project {project.id}")


def event_kind(event: Any) -> str:
    """The public name of a stored event's type (``committed``, ``retracted``, …)."""
    return str(getattr(type(event), "KIND", "") or type(event).__name__)
