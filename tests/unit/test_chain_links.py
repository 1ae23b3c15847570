"""The links of a batch of stored events, spelled out for speed (``links_of``), are those of
the chain's own arithmetic (``links_for`` over ``StoredEntry``), in position order or not."""

from __future__ import annotations

import os
import random
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from tracker.eventstore.chain import GENESIS, links_for, links_of, stored_entries


def test_a_batchs_links_are_the_chains_own() -> None:
    rng = random.Random(17)
    events = [
        StoredEvent(
            uuid4() if n % 3 else str(uuid4()),  # SQLite may hand the id back as text
            rng.randint(1, 10_000),
            f"tracker.domain.project:Project.Event{n % 7}",
            os.urandom(rng.randint(0, 700)),
        )
        for n in range(300)
    ]
    start = rng.randint(1, 1_000_000)
    for positions in (
        list(range(start, start + len(events))),
        sorted(rng.sample(range(start, start + 5 * len(events)), len(events))),  # gaps
        rng.sample(range(start, start + len(events)), len(events)),  # not in order
    ):
        entries = stored_entries(events, positions)
        previous = os.urandom(32)
        assert links_of(previous, events, positions) == links_for(previous, entries)
        assert links_of(GENESIS, events, positions) == links_for(GENESIS, entries)
