"""What both aggregates share: the event envelope, and how an idempotent retry is recognised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from tracker.domain.errors import N_, IdempotencyKeyReused
from tracker.domain.values import Envelope, Source, check_envelope


@dataclass(frozen=True)
class CommandRecord:
    """The digest of the request behind an idempotency key and the version it produced."""

    digest: str | None
    version: int


class TrackedAggregate(Aggregate):
    """An aggregate whose events carry the envelope.

    The aggregate does not remember idempotency keys: its state is snapshotted and must not
    grow with the history. The application keeps one receipt per key, written with the event.
    """

    def __init__(self) -> None:
        """State is set by events; the annotations type the snapshots."""

    class Event(Aggregate.Event):
        actor: str
        effective_date: date
        source: Source | None
        idempotency_key: str | None
        command_digest: str | None
        #: Recorded at a simulated time by the offline demo loader (see ``Envelope``).
        simulated: bool

        def apply(self, aggregate: Any) -> None:
            self.fold_into(aggregate)

        def fold_into(self, aggregate: Any) -> None:
            """Change the aggregate's state; each event type says how."""

    def emit(self, event_class: type[Any], envelope: Envelope, **payload: Any) -> None:
        self.trigger_event(event_class, **envelope_fields(envelope), **payload)


def earlier_command(record: CommandRecord | None, envelope: Envelope) -> CommandRecord | None:
    """The earlier command answered by ``record`` (the receipt of the envelope's key), if any.

    The same key with another request is refused: it is a client bug, not a retry.
    """
    if record is None or envelope.idempotency_key is None:
        return None
    if record.digest != envelope.command_digest:
        raise IdempotencyKeyReused(
            N_("this Idempotency-Key was already used with a different request"),
            field="Idempotency-Key",
        )
    return record


def command_record(event: Any) -> tuple[str, CommandRecord] | None:
    """The idempotency key an event was recorded under, with its record; ``None`` without."""
    key = getattr(event, "idempotency_key", None)
    if key is None:
        return None
    return key, CommandRecord(event.command_digest, event.originator_version)


#: What every stored event carries besides its payload: the library's and the envelope's.
ENVELOPE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "effective_date",
        "source",
        "idempotency_key",
        "command_digest",
        "simulated",
    }
)


def payload_of(event: Any) -> dict[str, Any]:
    """What an event says besides its envelope, as its own values."""
    return {name: value for name, value in vars(event).items() if name not in ENVELOPE_FIELDS}


def envelope_fields(envelope: Envelope) -> dict[str, Any]:
    """The stored fields of an envelope, once its values are checked."""
    envelope = check_envelope(envelope)
    return {
        "actor": envelope.actor,
        "effective_date": envelope.effective_date,
        "source": envelope.source,
        "idempotency_key": envelope.idempotency_key,
        "command_digest": envelope.command_digest,
        "simulated": envelope.simulated_at is not None,
        # The library stamps the event with the time now unless it is given one.
        "timestamp": envelope.simulated_at,
    }
