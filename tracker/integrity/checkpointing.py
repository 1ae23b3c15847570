"""Signing the chain's head: on demand, and every ``TRACKER_CHECKPOINT_INTERVAL`` seconds in
the API process (a thread that signs only when the log has grown since the last checkpoint).
Several processes may sign the same head at once: a position has one checkpoint, the others
get that one back."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from tracker.eventstore.chain import Checkpoint
from tracker.eventstore.checkpoints import add_checkpoint, chain_head, latest_checkpoint
from tracker.integrity.signing import Signer
from tracker.readmodel.database import DATABASE_ERRORS

log = logging.getLogger("tracker.checkpoints")


def sign_head(engine: Engine, signer: Signer) -> Checkpoint | None:
    """A checkpoint of the chain's head: a new one, or the newest when the head has not moved
    since (``None`` while the log is empty)."""
    head = chain_head(engine)
    if head is None:
        return None
    latest = latest_checkpoint(engine)
    if latest is not None and latest.position == head[0] and latest.public_key == signer.public_key:
        return latest
    position, link = head
    signed_at, signature = signer.sign(position, link)
    return add_checkpoint(engine, position, link, signed_at, signer.public_key, signature)


class CheckpointClock:
    """Signs the head every ``interval`` seconds until stopped."""

    def __init__(self, engine: Engine, signer: Signer, interval: float) -> None:
        self.engine = engine
        self.signer = signer
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                signed = sign_head(self.engine, self.signer)
            except DATABASE_ERRORS as error:  # the next tick tries again
                log.warning("cannot sign a checkpoint: %s", error)
                continue
            if signed is not None:
                log.debug("checkpoint #%d at position %d", signed.number, signed.position)
