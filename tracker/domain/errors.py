"""The one error hierarchy of the product. The API maps each class to one status code."""

from __future__ import annotations

from collections.abc import Collection


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
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
        super().__init__(
            f"expected version {named}, but the current version is {actual}"
            if named
            else f"If-Match names no strong entity tag of a version; the current one is {actual}",
            field="If-Match",
        )
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(TrackerError):
    """The idempotency key was already used for a different request."""


class Busy(TrackerError):
    """Too much of this kind of work is in hand already; nothing was done, retry shortly."""

    retry_after = 2
