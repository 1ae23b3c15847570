"""Which batches may skip looking for NUL in every row (tracker/readmodel/nul_text.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import msgspec
from eventsourcing.persistence import Notification

from tracker.readmodel.nul_text import free_of_nul, storable


def notification(position: int, **state: Any) -> Notification:
    return Notification(
        id=position,
        originator_id=uuid4(),
        originator_version=1,
        topic="tracker:Project.Announced",
        state=msgspec.json.encode(state),
    )


PLAIN = SimpleNamespace(compressor=None, cipher=None)


def test_a_batch_is_free_of_nul_only_when_no_event_s_json_holds_one() -> None:
    clean = [notification(1, title="Plant"), notification(2, title="Mill", jobs=0)]
    assert free_of_nul(PLAIN, clean)  # type: ignore[arg-type]
    dirty = [*clean, notification(3, source={"title": "Gazette\x00"})]
    assert not free_of_nul(PLAIN, dirty)  # type: ignore[arg-type]
    # Text that only spells the escape out is looked at too (the rows then show it has none).
    spelled = [notification(4, title="a \\u0000 said in text")]
    assert not free_of_nul(PLAIN, spelled)  # type: ignore[arg-type]


def test_compressed_or_enciphered_events_are_always_looked_at_row_by_row() -> None:
    clean = [notification(1, title="Plant")]
    for mapper in (
        SimpleNamespace(compressor=object(), cipher=None),
        SimpleNamespace(compressor=None, cipher=object()),
    ):
        assert not free_of_nul(mapper, clean)  # type: ignore[arg-type]


def test_storable_replaces_nul_in_text_only() -> None:
    assert storable({"title": "a\x00b", "jobs": 3}) == {"title": "a\ufffdb", "jobs": 3}
    row = {"title": "ab", "jobs": 3}
    assert storable(row) is row
