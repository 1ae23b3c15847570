"""Stored-event encoding with msgspec: compact JSON, decoded straight back into typed values.

The library's default transcoder tags every non-JSON value; here each event class gets a
msgspec decoder built from its own type hints, so ``Decimal``, ``date``, ``UUID`` and the
domain's dataclasses come back exactly as they went in, and a stored event stays readable JSON.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from tracker.eventstore.recorders import Stored

_ENVELOPE_FIELDS = ("originator_id", "originator_version")
#: Event fields added after events were first stored, with the value older events mean.
_EVENT_DEFAULTS = {"simulated": False}
#: Class-level values an aggregate may give as the default of newer state (not descriptors).
_PLAIN_DEFAULTS = (tuple, frozenset, str, int, bool)


class MsgspecTranscoder(Transcoder):
    """Untyped msgspec JSON, for the library's few uses of a bare transcoder."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return msgspec.json.decode(data)


class MsgspecMapper(Mapper[UUID]):
    """Maps domain events to stored events and back, typed by each event class."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("transcoder", MsgspecTranscoder())
        super().__init__(**kwargs)
        self._encoder = msgspec.json.Encoder()

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=self.stored_state(domain_event),
        )

    def stored_state(self, domain_event: DomainEventProtocol[UUID]) -> bytes:
        """An event's state as stored: its fields but the originator's id and version, as
        JSON, compressed and encrypted if the mapper does (for the import's check, which
        keeps the state without a :class:`StoredEvent` made only to be taken apart)."""
        state = dict(vars(domain_event))
        del state["originator_id"], state["originator_version"]
        data = self._encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return data

    def to_domain_event(self, stored_event: StoredEvent | Stored) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        if issubclass(cls, CanSnapshotAggregate):
            state = _decode_snapshot(self._plain(stored_event), stored_event)
        else:
            state = _as_dict(self.decoded_state(stored_event, cls))
        originator_id = stored_event.originator_id
        state["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        state["originator_version"] = stored_event.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return typing.cast(DomainEventProtocol[UUID], event)

    def decoded_state(self, stored_event: StoredEvent | Stored, cls: Any) -> Any:
        """The stored state of an event of ``cls`` (not a snapshot), decoded and checked
        exactly as :meth:`to_domain_event` does, but not made into the domain event: a
        msgspec struct of the event's fields, less the originator's id and version. For
        readers that want a few values of many events (the read model's rebuild)."""
        try:
            return _event_decoder(cls).decode(self._plain(stored_event))
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise _undecodable(stored_event, error) from error

    def _plain(self, stored_event: StoredEvent | Stored) -> bytes:
        data = stored_event.state
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return data


def _undecodable(
    stored_event: StoredEvent | Stored, error: Exception
) -> MapperDeserialisationError:
    return MapperDeserialisationError(
        f"cannot decode stored event {stored_event.originator_id} "
        f"v{stored_event.originator_version} ({stored_event.topic}): {error}"
    )


def _as_dict(struct: msgspec.Struct) -> dict[str, Any]:
    return {name: getattr(struct, name) for name in struct.__struct_fields__}


def _struct_for(
    name: str, hints: dict[str, Any], defaults: dict[str, Any] | None = None
) -> type[msgspec.Struct]:
    """A struct of ``hints``; a field with a default may be missing from older data."""
    defaults = defaults or {}
    fields = [
        (field, hint, defaults[field]) if field in defaults else (field, hint)
        for field, hint in hints.items()
    ]
    # Fields with defaults go last, as Python's own signatures require.
    fields.sort(key=lambda f: len(f) == 3)
    return msgspec.defstruct(name, fields, forbid_unknown_fields=False)


@cache
def _event_decoder(cls: type[Any]) -> msgspec.json.Decoder[Any]:
    hints = typing.get_type_hints(cls)
    fields = {
        f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in _ENVELOPE_FIELDS
    }
    defaults = {name: value for name, value in _EVENT_DEFAULTS.items() if name in fields}
    return msgspec.json.Decoder(_struct_for(cls.__qualname__, fields, defaults))


class _SnapshotOuter(msgspec.Struct):
    topic: str
    timestamp: datetime
    state: msgspec.Raw


@cache
def _aggregate_state_decoder(cls: type[Any]) -> msgspec.json.Decoder[Any]:
    """Aggregates declare their state as annotations; those type the snapshot's state. A
    class-level value is the default for snapshots taken before that state existed."""
    hints = {
        name: hint
        for name, hint in typing.get_type_hints(cls).items()
        if typing.get_origin(hint) is not typing.ClassVar and not name.isupper()
    }
    hints["_created_on"] = datetime
    hints["_modified_on"] = datetime
    defaults = {
        name: value
        for name in hints
        if isinstance(value := getattr(cls, name, None), _PLAIN_DEFAULTS)
    }
    return msgspec.json.Decoder(_struct_for(f"{cls.__qualname__}State", hints, defaults))


def _decode_snapshot(data: bytes, stored_event: StoredEvent | Stored) -> dict[str, Any]:
    try:
        outer = msgspec.json.decode(data, type=_SnapshotOuter)
        aggregate_cls = resolve_topic(outer.topic)
        state = _as_dict(_aggregate_state_decoder(aggregate_cls).decode(outer.state))
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise _undecodable(stored_event, error) from error
    return {"topic": outer.topic, "timestamp": outer.timestamp, "state": state}
