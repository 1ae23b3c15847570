"""The hash chain's signed checkpoints: listed for anyone, signed on demand by an admin."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import QueryParameter

from api.params import ReadModelDep
from api.schemas.integrity import CheckpointOut, CheckpointsOut, VerifiedOut
from tracker.domain.errors import N_, Conflict
from tracker.eventstore.chain import Checkpoint
from tracker.eventstore.checkpoints import checkpoints, last_verified
from tracker.integrity.checkpointing import sign_head
from tracker.integrity.signing import b64, key_id

MAX_LIMIT = 1000


def checkpoint_out(checkpoint: Checkpoint) -> CheckpointOut:
    return CheckpointOut(
        number=checkpoint.number,
        position=checkpoint.position,
        link=checkpoint.link.hex(),
        signed_at=checkpoint.signed_at,
        public_key=b64(checkpoint.public_key),
        key_id=key_id(checkpoint.public_key),
        signature=b64(checkpoint.signature),
    )


class CheckpointController(Controller):
    path = "/api/v1/checkpoints"
    tags = ["integrity"]

    @get("/", sync_to_thread=True, summary="Signed checkpoints of the event log's hash chain")
    def list_checkpoints(
        self,
        readmodel: ReadModelDep,
        after: Annotated[
            int, QueryParameter(ge=0, le=2**53, description="Only checkpoints numbered after this.")
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
    ) -> CheckpointsOut:
        """Oldest first; page with ``after=next_after``. Readable by anyone, whatever
        ``TRACKER_PUBLIC_READS`` says: keep one, and the log can be checked against it later
        (docs/integrity.md)."""
        items = checkpoints(readmodel.engine, after=after, limit=limit)
        verified = last_verified(readmodel.engine)
        return CheckpointsOut(
            [checkpoint_out(c) for c in items],
            items[-1].number if items else after,
            VerifiedOut(verified.at, verified.position, verified.events) if verified else None,
        )

    @post("/", sync_to_thread=True, summary="Sign the chain's head now (admin)")
    def sign(self, readmodel: ReadModelDep, request: Request[None, None, State]) -> CheckpointOut:
        """201 with the new checkpoint, or the newest one when the log has not grown since; 409
        when the server has no signing key or the log is empty."""
        signer = request.app.state.signer
        if signer is None:
            raise Conflict(N_("no signing key is configured (TRACKER_SIGNING_KEY_FILE)"))
        signed = sign_head(readmodel.engine, signer)
        if signed is None:
            raise Conflict(N_("the event log is empty: there is nothing to sign"))
        return checkpoint_out(signed)
