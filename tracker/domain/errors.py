"""The one error hierarchy of the product. The API maps each class to one status code.

An error says what is wrong in English, as a message marked with :func:`N_` whose variables
are named (``%(name)s``) and given beside it; whoever shows it (the API in the request's
language, the CLI in the reader's) translates the message and fills the variables in, so the
domain stays free of catalogs and I/O. ``detail`` is the English sentence.
"""

from __future__ import annotations

from collections.abc import Collection


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs (Babel extracts ``N_``); translated where shown."""
    return message


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        self.message = message
        self.params = params
        self.detail = message % params if params else message
        super().__init__(self.detail)
        self.field = field


class NotFound(TrackerError):
    """The named portfolio, project or event does not exist (as known at the asked moment)."""


class ValidationError(TrackerError):
    """A value breaks a rule of the domain; ``field`` names the offending input."""


class UnknownValue(TrackerError):
    """A read asks for a value nothing has (a sector no project of the portfolio has had)."""


class Conflict(TrackerError):
    """The command cannot be applied to the aggregate in its current state."""


class InvalidTransition(Conflict):
    """The status machine does not allow this move."""


class ConcurrentWrite(Conflict):
    """Another writer changed the aggregate at the same time and retries ran out."""


class Forbidden(TrackerError):
    """The caller's key may not change this portfolio (it is scoped to another one)."""


class VersionMismatch(TrackerError):
    """The caller expected another version of the aggregate (If-Match failed)."""

    def __init__(self, expected: Collection[int], actual: int) -> None:
        named = " or ".join(str(version) for version in sorted(expected))
        if named:
            super().__init__(
                N_("expected version %(expected)s, but the current version is %(actual)s"),
                field="If-Match",
                expected=named,
                actual=actual,
            )
        else:
            super().__init__(
                N_(
                    "If-Match names no strong entity tag of a version; the current one is "
                    "%(actual)s"
                ),
                field="If-Match",
                actual=actual,
            )
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(TrackerError):
    """The idempotency key was already used for a different request."""


class Busy(TrackerError):
    """Too much of this kind of work is in hand already; nothing was done, retry shortly."""

    retry_after = 2
