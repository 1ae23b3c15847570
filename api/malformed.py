"""What the framework says of a malformed request, in the client's language.

Litestar and msgspec check types, formats and bounds before a handler runs and word what they
find in English (``Expected `int`, got `str```, ``Invalid enum value 'week'``). Each wording
they use is matched here and said again as a whole sentence of the catalogs, with the values
it names; a wording not in the table is passed on as the framework gave it.
"""

from __future__ import annotations

import re

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
    )
)


def said_again(message: str) -> str:
    """``message`` from the framework in the language in use, when its wording is known."""
    for pattern, sentence in _WORDINGS:
        found = pattern.match(message)
        if found:
            return gettext(sentence, **found.groupdict())
    return message
