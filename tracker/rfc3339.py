"""Moments written as text: the one reading of RFC 3339 that the API and the CLI share.

The API reads a ``known_at`` with msgspec (Litestar converts query parameters with it) after
:data:`MOMENT` has let it through (msgspec alone would read ``0.5`` as half a second after
1970); the CLI reads ``--known-at`` with :func:`parse_moment`, which does both. So ``Z``,
offsets and fractions of a second are read alike everywhere, and a moment without a zone is
UTC, like every recorded time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

#: A date and time with optional seconds, fraction and zone (ASCII digits only); a bare date
#: passes here and is refused by msgspec, as by the API.
MOMENT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
EXPECTED = "an RFC 3339 moment such as 2024-10-22T18:00:00Z"


def parse_moment(text: str) -> datetime:
    """The moment ``text`` names, in its zone (UTC when it names none); ValueError otherwise."""
    if not MOMENT.match(text):
        raise ValueError(f"{text!r} is not {EXPECTED}")
    try:
        moment = msgspec.convert(text, datetime, strict=False)
    except msgspec.ValidationError:
        raise ValueError(f"{text!r} is not {EXPECTED}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
