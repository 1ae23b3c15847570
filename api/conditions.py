"""HTTP preconditions and idempotency: ETag, If-Match, If-None-Match and Idempotency-Key."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException

from api.schemas import CANONICAL_ID
from api.wording import refusal
from tracker.domain.errors import N_, ValidationError
from tracker.rfc3339 import MOMENT

#: One element of an entity-tag list (RFC 9110 §8.8.3, §5.6.1): optional whitespace, an
#: optional tag, optional whitespace, then a comma or the end (empty elements are allowed).
_LIST_ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)')
_VERSION = re.compile(r"^[0-9]{1,18}$")
MAX_KEY_LENGTH = 200
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CANONICAL_ID = re.compile(CANONICAL_ID)


def etag(version: int) -> str:
    """A versioned resource's strong entity tag: its representation at a URL is fixed by it."""
    return f'"{version}"'


def entity_tags(header: str, name: str) -> list[tuple[bool, str]] | None:
    """``If-Match`` / ``If-None-Match`` as (weak, opaque tag) pairs; ``None`` for ``*``."""
    value = header.strip(" \t")
    if value == "*":
        return None
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(value):
        element = _LIST_ELEMENT.match(value, position)
        if element is None or element.end() == position:
            raise ValidationError(
                N_('%(header)r is not a list of entity tags such as "3" or "3", "4"'),
                header=header,
                field=name,
            )
        if element.group(2) is not None:
            tags.append((element.group(1) is not None, element.group(2)))
        position = element.end()
    if not tags:
        raise ValidationError(N_("names no entity tag"), field=name)
    return tags


def expected_version(if_match: str | None) -> frozenset[int] | None:
    """The versions an ``If-Match`` header accepts (RFC 9110 §13.1.1): ``None`` (any) for no
    header or ``*``; otherwise those of its strong tags, as the strong comparison never
    matches a weak tag. An empty set is answered 412 by the write."""
    if if_match is None:
        return None
    tags = entity_tags(if_match, "If-Match")
    if tags is None:
        return None
    return frozenset(int(tag) for weak, tag in tags if not weak and _VERSION.match(tag))


def none_match(if_none_match: str | None, current: str) -> bool:
    """Whether ``If-None-Match`` matches the strong tag ``current`` (RFC 9110 §13.1.2: the weak
    comparison, so ``W/"3"`` matches ``"3"``; ``*`` matches any current representation)."""
    if if_none_match is None:
        return False
    tags = entity_tags(if_none_match, "If-None-Match")
    return tags is None or any(f'"{tag}"' == current for _, tag in tags)


def idempotency_key(header: str | None) -> str | None:
    if header is None:
        return None
    key = header.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            N_("must be 1 to %(max_key_length)s printable characters"),
            max_key_length=MAX_KEY_LENGTH,
            field="Idempotency-Key",
        )
    return key


def request_digest(method: str, path: str, body: msgspec.Struct) -> str:
    """A fingerprint of the request, to tell a retry from a different request reusing a key."""
    encoded = msgspec.json.encode(body, order="deterministic")
    return hashlib.sha256(f"{method} {path}\n".encode() + encoded).hexdigest()


#: The dates a read may ask about (``as_of``, and ``known_at`` in UTC): wide enough for any
#: real question, narrow enough that every date the reports compute from them exists.
READABLE_FROM = date(1900, 1, 1)
READABLE_UNTIL = date(2199, 12, 31)


#: The query parameters that name a recorded moment (``known_at``, and the ends of a window).
MOMENT_PARAMS = ("known_at", "known_from", "known_to")


def read_moment(
    as_of: date | None,
    known_at: datetime | None,
    *,
    names: tuple[str, str] = ("as_of", "known_at"),
) -> tuple[date | None, datetime | None]:
    """The moment a read asks about, checked: ``known_at`` without a zone is read as UTC, like
    every recorded time; either outside the readable dates is a 400 naming the parameter, and
    so is a ``known_at`` still to come (what it shows could change until then, so it could not
    be cited; see ``refuse_future``)."""
    if as_of is not None and not READABLE_FROM <= as_of <= READABLE_UNTIL:
        raise _unreadable(names[0], as_of.isoformat())
    if known_at is None:
        return as_of, None
    if known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=UTC)
    try:
        readable = READABLE_FROM <= known_at.astimezone(UTC).date() <= READABLE_UNTIL
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        readable = False
    if not readable:
        raise _unreadable(names[1], known_at.isoformat())
    refuse_future(known_at, names[1])
    return as_of, known_at


class FutureMoment(ValidationException):
    """A ``known_at`` still to come: refused as problem+json, by pages too."""


def refuse_future(known_at: datetime, name: str = "known_at") -> None:
    """A 400 naming ``known_at`` (or ``name``) when that moment has not come yet."""
    now = today_utc()
    if known_at > now:
        message = (
            f"{known_at.isoformat()} is in the future (it is now "
            f"{now.isoformat(timespec='seconds').replace('+00:00', 'Z')}): "
            "what was known then cannot be shown yet"
        )
        raise FutureMoment(
            f"{name}: {message}",
            extra=[{"key": name, "message": message, "source": "query"}],
        )


def _unreadable(name: str, value: str) -> ValidationException:
    message = f"{value} is outside the readable dates {READABLE_FROM} to {READABLE_UNTIL}"
    return ValidationException(
        f"{name}: {message}", extra=[{"key": name, "message": message, "source": "query"}]
    )


def today_utc() -> datetime:
    return datetime.now(UTC)


async def canonical_request(request: Request[Any, Any, Any]) -> None:
    """Refuse an id in the path or the ``portfolio`` filter written in another form than the
    canonical one (lower case, hyphens): one id, one spelling, in links, caches and logs; and
    an API ``known_at`` that is not an RFC 3339 moment (Litestar would read ``0.5`` as
    seconds after 1970). Async on purpose: Litestar runs a sync hook in a worker thread on
    every request."""
    refuse_other_media_types(request)
    if not request.scope["path_params"] and not request.scope["query_string"]:
        return  # no id, no query: nothing to check (most reads of /health, pages, feeds)
    segments = None
    for name, value in request.path_params.items():
        if isinstance(value, UUID):
            segments = segments or request.scope["path"].split("/")
            if str(value) not in segments:
                raise _not_canonical(name, "path")
    portfolio = request.query_params.get("portfolio")
    if portfolio and not _CANONICAL_ID.match(portfolio):
        raise _not_canonical("portfolio", "query")
    if not request.scope["path"].startswith("/api/"):
        return
    for name in MOMENT_PARAMS:
        value = request.query_params.get(name)
        if value and not MOMENT.match(value):
            message = N_("must be an RFC 3339 moment such as 2024-10-22T18:00:00Z")
            raise ValidationException(
                f"{name}: {message}",
                extra=[{"key": name, "message": message, "source": "query"}],
            )


_JSON_MEDIA_TYPE = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")


def refuse_other_media_types(request: Request[Any, Any, Any]) -> None:
    """415 for a JSON operation's body sent as another media type (``text/plain``, a form):
    it would otherwise be read as JSON all the same, or refused as malformed. Operations that
    read a file (imports) take their body as it comes and say which types they read."""
    if request.method not in _BODY_METHODS:
        return
    if "data" not in request.route_handler.parsed_fn_signature.parameters:
        return
    content_type = request.headers.get("Content-Type")
    if content_type is None:
        return
    media_type = content_type.partition(";")[0].strip().lower()
    if not _JSON_MEDIA_TYPE.match(media_type):
        raise refusal(
            HTTPException,
            N_("the body is %(media_type)s; send it as application/json"),
            status_code=415,
            field="Content-Type",
            media_type=media_type or "-",
        )


def _not_canonical(name: str, source: str) -> ValidationException:
    message = N_("must be a UUID written in lower case with hyphens")
    return ValidationException(
        f"{name}: {message}", extra=[{"key": name, "message": message, "source": source}]
    )
