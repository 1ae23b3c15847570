"""Exporting a portfolio: the formats, and each one's media type and file name.

``csv`` is the import format (docs/import-format.md), one row per event, so an export
imports into another database with the same reports; ``json`` and ``xlsx`` carry the
figures and every event; ``iati`` is IATI activity XML 2.03.

Each is made under a signed checkpoint of the event log (tracker/transfer/export_proof.py):
the JSON export carries it with the proof that checks the whole file offline, the workbook
and the IATI file carry the checkpoint alone, and the CSV (the import format, which has no
room for it) comes with it only in the API's ``Tracker-Checkpoint`` header.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine

from tracker.application import TrackerApplication
from tracker.domain.errors import N_, ValidationError
from tracker.eventstore.chain import Checkpoint
from tracker.integrity.signing import Signer
from tracker.transfer.export_csv import to_csv
from tracker.transfer.export_iati import check_iati_moment, to_iati
from tracker.transfer.export_json import to_json
from tracker.transfer.export_proof import DrawnEvents, export_checkpoint, proof
from tracker.transfer.portfolio_export import ExportQuery, gather

Format = Literal["csv", "xlsx", "json", "iati"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json", "iati")
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv",  # UTF-8; the API adds the charset parameter
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "iati": "application/xml",
}
EXTENSIONS: dict[Format, str] = {"csv": "csv", "xlsx": "xlsx", "json": "json", "iati": "xml"}


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str
    #: The signed checkpoint the export was made under (``None``: nothing was ever signed).
    checkpoint: Checkpoint | None = None


def export_portfolio(
    tracker: TrackerApplication,
    engine: Engine,
    query: ExportQuery,
    fmt: Format,
    *,
    now: datetime | None = None,
    bom: bool = False,
    signer: Signer | None = None,
) -> Rendered:
    """The portfolio in one format, with its media type and a file name, under the head of
    the log signed now with ``signer`` (else under the newest checkpoint); ``bom``: a csv led
    by a UTF-8 byte-order mark, for Excel; ``iati`` needs the portfolio's reporting
    organisation, and an ``as_of`` that has come."""
    if fmt not in FORMATS:
        raise ValidationError(
            N_("%(fmt)r is not an export format; use one of %(allowed)s"),
            fmt=fmt,
            allowed=", ".join(FORMATS),
            field="format",
        )
    if fmt == "csv" and query.as_of is not None:
        raise ValidationError(
            N_(
                "the csv export is the import format: it carries every event as known at "
                "known_at, so it takes no as_of (json, xlsx and iati give figures as of a day)"
            ),
            field="as_of",
        )
    if bom and fmt != "csv":
        raise ValidationError(N_("a byte-order mark is for the csv export only"), field="bom")
    now = now or datetime.now(UTC)
    if fmt == "iati":
        check_iati_moment(query, now)
    drawn = DrawnEvents(tracker)
    export = gather(drawn, engine, query, now=now)
    checkpoint = export_checkpoint(engine, signer)
    export = replace(export, checkpoint=checkpoint)
    if fmt == "csv":
        content = to_csv(export, bom=bom).encode()
    elif fmt == "json":
        content = to_json(export, proof(tracker.store, engine, drawn, checkpoint))
    elif fmt == "xlsx":  # openpyxl imported when needed: a quarter second of every start
        from tracker.transfer.export_xlsx import to_xlsx

        content = to_xlsx(export)
    else:
        content = to_iati(export)
    return Rendered(content, MEDIA_TYPES[fmt], filename(query, fmt), checkpoint)


def filename(query: ExportQuery, fmt: Format) -> str:
    name = f"portfolio-{query.portfolio_id}"
    if query.as_of is not None:
        name += f"-as-of-{query.as_of.isoformat()}"
    if query.known_at is not None:
        name += f"-known-at-{query.known_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name}.{EXTENSIONS[fmt]}"
