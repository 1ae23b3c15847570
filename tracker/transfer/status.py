"""The status of an import: how much of a file is already recorded (after an interruption).

Nothing is checked or recorded: each row's key is looked up in the stored receipts of its
project (or portfolio), a window of rows at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tracker.application import TrackerApplication
from tracker.transfer import windows
from tracker.transfer.errors import NO_ROWS, ImportRejected, RowError, Undecodable
from tracker.transfer.file_format import FileFormat, FileKind
from tracker.transfer.readers import ImportSource, opened, read_rows, resolved
from tracker.transfer.references import aggregate_id_for, ref_column, row_key
from tracker.transfer.rows import row_digest


@dataclass(frozen=True)
class ImportStatus:
    """How much of a file is recorded, by its rows' idempotency keys (``import:<row_id>``).

    Recording goes in batches, one transaction each, in file order: an import that was
    interrupted (killed, or stopped by a conflict) leaves a prefix of the file recorded, and
    importing the file again records the rest, exactly once.
    """

    source: str
    rows: int
    recorded: int
    #: Rows whose row_id is recorded with other values (a later import would refuse them).
    changed: int
    first_not_recorded: int | None
    first_changed: int | None

    @property
    def not_recorded(self) -> int:
        return self.rows - self.recorded - self.changed


def import_status(
    tracker: TrackerApplication,
    data: ImportSource,
    fmt: FileFormat | FileKind,
    *,
    source: str = "upload",
) -> ImportStatus:
    """Which of the file's rows are recorded: the stored receipt of each row's key, on its
    project (or portfolio), holds the row's digest. Nothing is checked or recorded; a row
    without a row_id or a reference counts as not recorded."""
    rows = recorded = changed = 0
    first_not_recorded: int | None = None
    first_changed: int | None = None
    window: list[tuple[int, UUID, str, str]] = []
    unreadable: list[RowError] = []

    def judge() -> None:
        nonlocal recorded, changed, first_not_recorded, first_changed
        keys: dict[UUID, set[str]] = {}
        for _, aggregate_id, key, _ in window:
            keys.setdefault(aggregate_id, set()).add(key)
        receipts = {a: tracker.command_records(a, wanted) for a, wanted in keys.items()}
        for line, aggregate_id, key, digest in window:
            receipt = receipts[aggregate_id].get(key)
            if receipt is not None and receipt.digest == digest:
                recorded += 1
            elif receipt is not None:
                changed += 1
                first_changed = _earlier(first_changed, line)
            else:
                first_not_recorded = _earlier(first_not_recorded, line)
        window.clear()

    with opened(data) as stream:
        for item in read_rows(stream, resolved(stream, fmt)):
            if isinstance(item, RowError):
                if isinstance(item, Undecodable):
                    raise ImportRejected(source, [item])
                if not rows:
                    unreadable.append(item)  # the header, or the file as a whole
                continue
            rows += 1
            cells = item.cells
            row_id, kind_of_row = cells.get("row_id"), cells.get("type")
            ref = cells.get(ref_column(kind_of_row))
            if row_id is None or ref is None:
                first_not_recorded = _earlier(first_not_recorded, item.line)
                continue
            aggregate_id = aggregate_id_for(kind_of_row, ref)
            window.append((item.line, aggregate_id, row_key(row_id), row_digest(cells)))
            if len(window) >= windows.WINDOW_ROWS:
                judge()
        judge()
    if not rows:
        raise ImportRejected(source, unreadable or [RowError(1, None, NO_ROWS)])
    return ImportStatus(source, rows, recorded, changed, first_not_recorded, first_changed)


def _earlier(line: int | None, other: int) -> int:
    return other if line is None else min(line, other)
