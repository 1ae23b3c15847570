"""Verifying the stored log: recompute the chain and hold it against its links and checkpoints.

From the first event, or from the newest checkpoint whose signature holds and whose link is
still the stored one (then only the events after it are read). A checkpoint whose signature
does not hold, or that was signed by a key nobody trusts, is a failure of its own. A
verification that finds everything whole is remembered (``chain_verified``) for the metrics.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from tracker.eventstore.chain import GENESIS, Checkpoint, Walked, walk
from tracker.eventstore.checkpoints import Verified, checkpoints, link_at, record_verified
from tracker.eventstore.recorders import TrackerRecorder
from tracker.integrity.signing import key_id, signature_holds


@dataclass(frozen=True)
class Verification:
    """What a verification found."""

    walked: Walked
    #: Where the walk started: ``None`` from the first event, else that checkpoint.
    started_from: Checkpoint | None
    #: Checkpoints whose signature does not hold or whose key is not trusted, and why.
    refused: list[tuple[Checkpoint, str]] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.walked.holds and not self.refused

    def problems(self) -> list[str]:
        found = [f"{c.describe()}: {why}" for c, why in self.refused]
        if self.walked.broken is not None:
            found.insert(0, self.walked.broken.describe())
        return found


def verify_log(
    store: TrackerRecorder,
    engine: Engine,
    *,
    trusted: Collection[bytes] = (),
    from_checkpoint: bool = False,
    kept: Collection[Checkpoint] = (),
) -> Verification:
    """Recompute the chain; ``trusted``: the public keys whose checkpoints count (empty: each
    checkpoint's signature is checked against the key it names); ``kept``: checkpoints kept
    outside the database (``Checkpoint.kept``), which the log must still reach."""
    signed: list[Checkpoint] = []
    refused: list[tuple[Checkpoint, str]] = []
    for checkpoint in checkpoints(engine):
        if trusted and checkpoint.public_key not in trusted:
            refused.append(
                (checkpoint, f"signed by key {key_id(checkpoint.public_key)}, not a trusted one")
            )
        elif not signature_holds(checkpoint):
            refused.append((checkpoint, "its signature does not hold"))
        else:
            signed.append(checkpoint)
    start: Checkpoint | None = None
    if from_checkpoint:
        start = next((c for c in reversed(signed) if link_at(engine, c.position) == c.link), None)
    origin = (start.position, start.link) if start else (0, GENESIS)
    walked = walk(store.chain_steps(after=origin[0]), [*signed, *kept], start=origin)
    verification = Verification(walked, start, refused)
    if verification.holds:
        record_verified(engine, Verified(datetime.now(UTC), walked.head_position, walked.events))
    return verification
