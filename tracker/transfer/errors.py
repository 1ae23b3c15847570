"""What can be wrong with an import: a cell, a row, the file, or the store meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from typing import Any

from tracker.domain.errors import N_, Conflict, Forbidden, TrackerError, ValidationError

NO_ROWS = N_("the file has no rows to import")


class RowError:
    """What is wrong with one cell (or row) of the file: an English message marked with
    :func:`N_` and the variables it names (as :class:`~tracker.domain.errors.TrackerError`
    carries them), translated where it is shown; ``message`` is the English sentence. A hint
    may follow (:meth:`adding`), a message of its own, translated on its own."""

    def __init__(self, line: int, column: str | None, template: str, /, **params: object) -> None:
        self.line = line
        self.column = column
        self.parts: tuple[tuple[str, dict[str, object]], ...] = ((template, params),)

    @property
    def template(self) -> str:
        return self.parts[0][0]

    @property
    def params(self) -> dict[str, object]:
        return self.parts[0][1]

    @property
    def message(self) -> str:
        return self.say(lambda template, **params: template % params if params else template)

    def say(self, translate: Callable[..., str]) -> str:
        """The message with ``translate`` (e.g. :func:`tracker.i18n.gettext`) on each part."""
        return "".join(translate(template, **params) for template, params in self.parts)

    @classmethod
    def of(cls, line: int, column: str | None, error: TrackerError) -> RowError:
        """The row's error is a tracker error: its message and variables, as they are."""
        return cls(line, column, error.message, **error.params)

    def adding(self, template: str, /, **params: object) -> RowError:
        """This error with a further message (a hint) after it; ``""`` adds nothing."""
        if not template:
            return self
        made = copy(self)
        made.parts = (*self.parts, (template, params))
        return made

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, RowError)
            and (self.line, self.column, self.parts) == (other.line, other.column, other.parts)
        )

    def __hash__(self) -> int:
        return hash((self.line, self.column, self.message))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.line!r}, {self.column!r}, {self.message!r})"

    def as_dict(self, translate: Callable[..., str] | None = None) -> dict[str, Any]:
        """line, column and the message (English, or said with ``translate``)."""
        message = self.say(translate) if translate else self.message
        return {"line": self.line, "column": self.column, "message": message}


class Undecodable(RowError):
    """The file's bytes are not text in the encoding it was read in; reading stops there."""


class ImportRejected(ValidationError):
    """The file has bad rows; nothing was recorded. ``errors`` lists every one of them."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        super().__init__(
            N_("%(source)s: nothing was recorded; rows with errors: %(rows)s, errors: %(errors)s"),
            source=source,
            rows=len({e.line for e in errors}),
            errors=len(errors),
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportForbidden(Forbidden):
    """The importer may not record some rows (e.g. portfolio rows without an admin key)."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        super().__init__(
            N_(
                "%(source)s: nothing was recorded; rows that may not be imported with this key: "
                "%(rows)s"
            ),
            source=source,
            rows=len(errors),
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportInterrupted(Conflict):
    """The store changed while recording (another writer); part of the file was recorded."""
