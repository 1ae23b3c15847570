"""HTTP preconditions and idempotency: ETag / If-Match and Idempotency-Key."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import msgspec

from tracker.domain.errors import ValidationError

_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')
MAX_KEY_LENGTH = 200


def etag(version: int) -> str:
    return f'W/"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header asks for; ``*`` or no header asks for none."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match.strip())
    if not found:
        raise ValidationError(
            f'{if_match!r} is not an entity tag of this API such as W/"3"', field="If-Match"
        )
    return int(found.group(1))


def idempotency_key(header: str | None) -> str | None:
    if header is None:
        return None
    key = header.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            f"must be 1 to {MAX_KEY_LENGTH} printable characters", field="Idempotency-Key"
        )
    return key


def request_digest(method: str, path: str, body: msgspec.Struct) -> str:
    """A fingerprint of the request, to tell a retry from a different request reusing a key."""
    encoded = msgspec.json.encode(body, order="deterministic")
    return hashlib.sha256(f"{method} {path}\n".encode() + encoded).hexdigest()


def known_at_utc(known_at: datetime | None) -> datetime | None:
    """Timestamps without a zone are read as UTC, like every recorded time."""
    if known_at is not None and known_at.tzinfo is None:
        return known_at.replace(tzinfo=UTC)
    return known_at


def today_utc() -> datetime:
    return datetime.now(UTC)
