"""Signed checkpoints of the hash chain over the event log (docs/integrity.md)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct


class CheckpointOut(Struct):
    """The chain's link at a position, signed with an Ed25519 key.

    The signature covers ``tracker-checkpoint-v1``, the position, the link (hex) and
    ``signed_at``, one per line, in UTF-8.
    """

    number: int
    position: int
    #: SHA-256 link of the event at ``position`` (hex).
    link: str
    #: RFC 3339, UTC, exactly as signed.
    signed_at: str
    #: The signing key's public key (raw 32 bytes, base64).
    public_key: str
    #: The first 16 hex digits of the public key's SHA-256.
    key_id: str
    #: Ed25519 signature (base64).
    signature: str


class VerifiedOut(Struct):
    """The last verification (``tracker verify``) that found the whole chain holding."""

    verified_at: datetime
    position: int
    events: int


class CheckpointsOut(Struct):
    items: list[CheckpointOut]
    #: Pass as ``after`` for the next page (an empty page: nothing newer yet).
    next_after: int
    last_verified: VerifiedOut | None
