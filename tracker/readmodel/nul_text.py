"""Text with NUL in it: PostgreSQL text cannot hold NUL, and events stored before the domain
refused it must still reach the reports, so the projector writes U+FFFD in its place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Mapper

from tracker.eventstore.recorders import Stored

Row = dict[str, Any]


def storable(row: Row) -> Row:
    """``row`` with every NUL in its text replaced by U+FFFD: PostgreSQL text cannot hold NUL,
    and events stored before the domain refused it must still reach the reports."""
    if any(isinstance(value, str) and "\x00" in value for value in row.values()):
        return {
            name: value.replace("\x00", "\ufffd") if isinstance(value, str) else value
            for name, value in row.items()
        }
    return row


def free_of_nul(mapper: Mapper[Any], notifications: Sequence[Stored]) -> bool:
    """Whether no text in these events holds NUL, as their stored JSON shows: a JSON encoder
    writes NUL as ``\\u0000`` (a search of the bytes is far cheaper than looking at every
    value of every row). Compressed or enciphered events are not looked into."""
    if mapper.compressor or mapper.cipher:
        return False
    return not any(b"\\u0000" in notification.state for notification in notifications)
