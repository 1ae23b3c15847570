"""What the API says before or beside a handler, in the client's language.

Refusals raised outside the domain (the key check, a body's media type) are made with
:func:`refusal`: an English message marked with ``N_()`` and its variables, said in the
request's language when answered (api/errors.py). Litestar and msgspec check types, formats
and bounds before a handler runs and word what they find in English (``Expected `int`, got
`str```, ``Invalid enum value 'week'``): each wording they use is matched here and said again
as a whole sentence of the catalogs (:func:`said_again`), with the values it names; a wording
not in the table is passed on as the framework gave it.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.exceptions import HTTPException

from tracker.i18n import N_, gettext

#: (the framework's wording, the catalog's sentence for it), the first match wins.
_WORDINGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (
            r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$",
            N_("expected %(expected)s, got %(got)s"),
        ),
        (
            r"^Object missing required field `(?P<name>[^`]+)`$",
            N_("the field %(name)s is required"),
        ),
        (
            r"^Object contains unknown field `(?P<name>[^`]+)`$",
            N_("there is no field %(name)s here"),
        ),
        (
            r"^Invalid enum value (?P<value>.+)$",
            N_("%(value)s is not one of the values allowed here"),
        ),
        (r"^Invalid RFC3339 encoded date$", N_("not a date in the form 2025-03-31")),
        (
            r"^Invalid RFC3339 encoded datetime$",
            N_("not a moment in the form 2025-03-31T12:00:00Z"),
        ),
        (r"^Expected `array` of length <= (?P<count>\d+)$", N_("at most %(count)s items")),
        (r"^Expected `[^`]+` of length <= (?P<count>\d+)$", N_("at most %(count)s characters")),
        (r"^Expected `[^`]+` of length >= (?P<count>\d+)$", N_("at least %(count)s characters")),
        (
            r"^Expected `[^`]+` matching regex (?P<pattern>.+)$",
            N_("does not have the form %(pattern)s"),
        ),
        (r"^Expected `[^`]+` >= (?P<bound>\S+)$", N_("must be at least %(bound)s")),
        (r"^Expected `[^`]+` <= (?P<bound>\S+)$", N_("must be at most %(bound)s")),
        (
            r"^Missing required query parameter '(?P<name>[^']+)'",
            N_("the query parameter %(name)s is required"),
        ),
        (
            r"^Missing required header parameter '(?P<name>[^']+)'",
            N_("the header %(name)s is required"),
        ),
        (r"^JSON is malformed: (?P<reason>.+)$", N_("the body is not valid JSON (%(reason)s)")),
        (r"^Not Found$", N_("nothing is found at this address")),
        (r"^Method Not Allowed$", N_("this address does not take this method")),
    )
)


def said_again(message: str) -> str:
    """``message`` from the framework in the language in use, when its wording is known (or
    is itself a message of the catalogs, as the API's own checks beside a handler word theirs)."""
    for pattern, sentence in _WORDINGS:
        found = pattern.match(message)
        if found:
            return gettext(sentence, **found.groupdict())
    return gettext(message)


def refusal(
    kind: type[HTTPException],
    message: str,
    /,
    *,
    status_code: int | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> HTTPException:
    """An HTTP exception raised before or beside a handler (the key check, a body's media
    type, readiness) whose ``detail`` is said in the request's language when it is answered:
    an English message marked with ``N_()`` and its variables, as tracker errors carry them."""
    extra = {"message": message, "params": params, "field": field}
    if status_code is not None:
        return kind(message % params, status_code=status_code, headers=headers, extra=extra)
    return kind(message % params, headers=headers, extra=extra)
