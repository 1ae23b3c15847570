"""Ed25519 signatures over the chain's head (the ``cryptography`` package does the maths).

A checkpoint signs ``tracker-checkpoint-v1``, the position, the link (hex) and the time it was
signed (RFC 3339, UTC), one per line: the same bytes are rebuilt from a checkpoint by anyone
holding the public key, in the API, an export or a citation. The private key comes from
``TRACKER_SIGNING_KEY_FILE`` (a PEM file, PKCS #8) or ``TRACKER_SIGNING_KEY`` (the 32-byte raw
key in base64), never from the database. Public keys and signatures are shown in base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tracker.eventstore.chain import Checkpoint
from tracker.settings import Settings

MESSAGE_TAG = b"tracker-checkpoint-v1"


class SigningKeyError(ValueError):
    """The signing key or a public key is missing or malformed."""


def message(position: int, link: bytes, signed_at: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return b"\n".join(
        (MESSAGE_TAG, str(position).encode(), link.hex().encode(), signed_at.encode())
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError(f"{what} is not base64") from None


def key_id(public_key: bytes) -> str:
    """A short name for a public key (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def public_key_from_text(text: str) -> bytes:
    """A raw Ed25519 public key from base64 (32 bytes) or a PEM ``PUBLIC KEY`` block."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped.encode())
        except ValueError as error:
            raise SigningKeyError(f"not a PEM public key: {error}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError("the PEM public key is not an Ed25519 key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = unb64(stripped, "the public key")
    if len(raw) != 32:
        raise SigningKeyError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    return raw


def checkpoint_dict(checkpoint: Checkpoint) -> dict[str, object]:
    """A checkpoint as the exports and the CLI write it (the API's ``CheckpointOut``)."""
    return {
        "number": checkpoint.number,
        "position": checkpoint.position,
        "link": checkpoint.link.hex(),
        "signed_at": checkpoint.signed_at,
        "public_key": b64(checkpoint.public_key),
        "key_id": key_id(checkpoint.public_key),
        "signature": b64(checkpoint.signature),
    }


def checkpoint_from(data: object) -> Checkpoint:
    """A checkpoint from what :func:`checkpoint_dict` wrote (``SigningKeyError`` if malformed)."""
    if not isinstance(data, dict):
        raise SigningKeyError("the checkpoint is not an object")
    try:
        return Checkpoint(
            int(data["number"]),
            int(data["position"]),
            bytes.fromhex(str(data["link"])),
            str(data["signed_at"]),
            unb64(str(data["public_key"]), "the checkpoint's public key"),
            unb64(str(data["signature"]), "the checkpoint's signature"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise SigningKeyError(f"the checkpoint is malformed: {error}") from None


def signature_holds(checkpoint: Checkpoint) -> bool:
    """Whether the checkpoint's signature is its public key's, over its position, link and time."""
    try:
        key = Ed25519PublicKey.from_public_bytes(checkpoint.public_key)
        key.verify(
            checkpoint.signature,
            message(checkpoint.position, checkpoint.link, checkpoint.signed_at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


class Signer:
    """The operator's private key, able to sign the chain's head."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer | None:
        """The configured key, ``None`` when none is configured."""
        if settings.signing_key_file:
            path = Path(settings.signing_key_file)
            try:
                pem = path.read_bytes()
            except OSError as error:
                raise SigningKeyError(f"TRACKER_SIGNING_KEY_FILE: {error}") from None
            try:
                key = serialization.load_pem_private_key(pem, password=None)
            except (ValueError, TypeError) as error:
                raise SigningKeyError(
                    f"{path} is not an unencrypted PEM private key: {error}"
                ) from None
            if not isinstance(key, Ed25519PrivateKey):
                raise SigningKeyError(f"{path} does not hold an Ed25519 key")
            return cls(key)
        if settings.signing_key:
            raw = unb64(settings.signing_key, "TRACKER_SIGNING_KEY")
            if len(raw) != 32:
                raise SigningKeyError(f"TRACKER_SIGNING_KEY must be 32 bytes, not {len(raw)}")
            return cls(Ed25519PrivateKey.from_private_bytes(raw))
        return None

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    def pem(self) -> bytes:
        """The private key as an unencrypted PKCS #8 PEM file's content."""
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, position: int, link: bytes, at: datetime | None = None) -> tuple[str, bytes]:
        """The time (RFC 3339, UTC, whole seconds) and the signature of a checkpoint."""
        signed_at = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return signed_at, self._key.sign(message(position, link, signed_at))


def trusted_keys(settings: Settings, given: tuple[str, ...] = ()) -> set[bytes]:
    """The public keys whose checkpoints count: the signing key's, ``TRACKER_TRUSTED_KEYS``
    (earlier keys, after a rotation) and ``given``."""
    signer = Signer.from_settings(settings)
    found = {public_key_from_text(text) for text in (*settings.trusted_keys, *given)}
    if signer is not None:
        found.add(signer.public_key)
    return found
