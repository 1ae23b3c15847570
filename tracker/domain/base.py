"""What both aggregates share: the event envelope and the memory of idempotent commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from tracker.domain.errors import IdempotencyKeyReused
from tracker.domain.values import Envelope, Source


@dataclass(frozen=True)
class CommandRecord:
    """The digest of the request behind an idempotency key and the version it produced."""

    digest: str | None
    version: int


class TrackedAggregate(Aggregate):
    """An aggregate whose events carry the envelope and which remembers idempotency keys."""

    commands: dict[str, CommandRecord]

    def __init__(self) -> None:
        """State is set by events; the annotations type the snapshots."""

    class Event(Aggregate.Event):
        actor: str
        effective_date: date
        source: Source | None
        idempotency_key: str | None
        command_digest: str | None

        def apply(self, aggregate: Any) -> None:
            if not hasattr(aggregate, "commands"):
                aggregate.commands = {}
            self.fold_into(aggregate)
            if self.idempotency_key is not None:
                aggregate.commands[self.idempotency_key] = CommandRecord(
                    self.command_digest, self.originator_version
                )

        def fold_into(self, aggregate: Any) -> None:
            """Change the aggregate's state; each event type says how."""

    def emit(self, event_class: type[Any], envelope: Envelope, **payload: Any) -> None:
        self.trigger_event(event_class, **envelope_fields(envelope), **payload)

    def earlier_command(self, envelope: Envelope) -> CommandRecord | None:
        """The record of an earlier command with the same idempotency key, if any.

        The same key with another request is refused: it is a client bug, not a retry.
        """
        key = envelope.idempotency_key
        if key is None or key not in self.commands:
            return None
        record = self.commands[key]
        if record.digest != envelope.command_digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request",
                field="Idempotency-Key",
            )
        return record


def envelope_fields(envelope: Envelope) -> dict[str, Any]:
    return {
        "actor": envelope.actor,
        "effective_date": envelope.effective_date,
        "source": envelope.source,
        "idempotency_key": envelope.idempotency_key,
        "command_digest": envelope.command_digest,
    }
