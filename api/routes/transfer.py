"""Bulk import of rows (CSV or JSON) and portfolio exports (csv, xlsx, json, IATI XML)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from api.auth import principal_of
from api.conditions import read_moment
from api.errors import problem, problem_response, rows_problem
from api.params import AsOf, KnownAt, ReadModelDep, Tracker
from api.presenters.imports import import_answer
from api.schemas import ImportOut
from api.wording import refusal
from tracker.application import TrackerApplication
from tracker.i18n import N_
from tracker.integrity.signing import checkpoint_dict
from tracker.keys import Role
from tracker.transfer.errors import ImportForbidden, ImportRejected
from tracker.transfer.export import FORMATS, MEDIA_TYPES, Format, export_portfolio
from tracker.transfer.file_format import (
    DateFormat,
    FileFormat,
    FileKind,
    NumberFormat,
    check_encoding,
)
from tracker.transfer.importer import Importer, import_rows
from tracker.transfer.portfolio_export import ExportQuery

#: A CSV of 100,000 rows is about 8 MB. The body is spooled to a temporary file and read as
#: a stream, so the size costs disk and time, not memory (docs/import-format.md).
MAX_IMPORT_BYTES = 64 * 1024 * 1024
#: Seconds a client refused for too many imports at once is asked to wait.
IMPORTS_RETRY_AFTER = 10
CSV_EXAMPLE = (
    "row_id,type,portfolio_ref,project_ref,effective_date,title,sector,regions,amount,"
    "currency,planned_jobs,status\n"
    "cu-1,announced,6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e,copper-plant,2025-01-10,"
    "Copper cathode plant,metallurgy,KZ-61;UZ-SI,50000000.00,USD,300,\n"
    "cu-2,status_changed,,copper-plant,2025-02-01,,,,,,,under_implementation\n"
    "cu-3,committed,,copper-plant,2025-02-15,,,,20000000.00,USD,,\n"
)
XLSX = MEDIA_TYPES["xlsx"]
JSON_EXAMPLE = [
    {
        "row_id": "cu-3",
        "type": "committed",
        "project_ref": "copper-plant",
        "effective_date": "2025-02-15",
        "amount": "20000000.00",
        "currency": "USD",
    }
]


@dataclass
class ImportOperation(Operation):
    """The body is a file (CSV, a JSON array of rows, or a workbook), which Litestar cannot
    describe."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="Rows in the import format (docs/import-format.md).",
            content={
                "text/csv": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING), example=CSV_EXAMPLE
                ),
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.ARRAY,
                        items=Schema(
                            type=OpenAPIType.OBJECT,
                            additional_properties=Schema(type=OpenAPIType.STRING),
                        ),
                    ),
                    example=JSON_EXAMPLE,
                ),
                XLSX: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                ),
            },
        )


@dataclass
class ExportOperation(Operation):
    """The answer is a file in one of four media types, which Litestar cannot describe."""

    def __post_init__(self) -> None:
        if self.responses is None or "200" not in self.responses:
            return
        text = Schema(type=OpenAPIType.STRING)
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.responses["200"] = OpenAPIResponse(
            description="The file; `Content-Disposition` names it "
            "(`portfolio-<id>[-as-of-<date>][-known-at-<time>].<csv|json|xlsx|xml>`).",
            headers={
                "Content-Disposition": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING), description="attachment; filename=…"
                )
            },
            content={
                "text/csv": OpenAPIMediaType(schema=text),
                "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT)),
                MEDIA_TYPES["xlsx"]: OpenAPIMediaType(schema=binary),
                "application/xml": OpenAPIMediaType(schema=text),
            },
        )


class ImportSlots:
    """How many imports this process runs at once (``TRACKER_MAX_CONCURRENT_IMPORTS``).

    Taken and given back on the event loop, so a plain counter is enough."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    def take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True

    def give_back(self) -> None:
        self.taken -= 1


def import_slots(request: Request[Any, Any, Any], tracker: TrackerApplication) -> ImportSlots:
    state = request.app.state
    if "import_slots" not in state:
        state["import_slots"] = ImportSlots(tracker.settings.max_concurrent_imports)
    slots: ImportSlots = state["import_slots"]
    return slots


def file_format(
    request: Request[Any, Any, Any], number_format: NumberFormat, date_format: DateFormat
) -> FileFormat:
    """How the body is written: its media type (a CSV's ``charset``, when given, is its
    encoding; else it is found from the body) and the regional options asked for."""
    media_type, _, parameters = request.headers.get("content-type", "").partition(";")
    media_type = media_type.strip().lower()
    if media_type in ("text/csv", "application/csv", "text/tab-separated-values"):
        charset = _charset(parameters)
        return FileFormat(
            "csv",
            encoding=check_encoding(charset) if charset else None,
            number_format=number_format,
            date_format=date_format,
        )
    if media_type in ("application/json", XLSX):
        kind: FileKind = "json" if media_type == "application/json" else "xlsx"
        return FileFormat(kind, number_format=number_format, date_format=date_format)
    raise refusal(
        HTTPException,
        N_(
            "send the rows as text/csv, application/json or an xlsx workbook (%(xlsx)s), "
            "not %(media_type)s"
        ),
        status_code=415,
        xlsx=XLSX,
        media_type=media_type or "-",
    )


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def importer_of(request: Request[Any, Any, Any]) -> Importer:
    """What the caller's key allows, as for the API's own writes."""
    principal = principal_of(request)
    if principal is None:
        return Importer("anonymous", admin=False)
    return Importer(
        principal.name,
        admin=principal.role.allows(Role.ADMIN),
        portfolio_scope=principal.portfolio_id,
    )


class TransferController(Controller):
    tags = ["import and export"]

    @post(
        "/api/v1/imports",
        summary="Import portfolios, projects and events from a CSV, JSON or XLSX file",
        status_code=200,
        request_max_body_size=MAX_IMPORT_BYTES,
        operation_class=ImportOperation,
        responses={
            200: ResponseSpec(
                data_container=ImportOut,
                description="Every row with its outcome: `new` or `already recorded`",
                # Generated examples are random: the document would differ run to run.
                generate_examples=False,
            )
        },
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        dry_run: Annotated[
            bool,
            QueryParameter(description="Check every row and report; record nothing."),
        ] = False,
        number_format: Annotated[
            NumberFormat,
            QueryParameter(
                description="`regional`: amounts written `1 500 000,00` and counts `14 600` "
                "(decimal comma, thousands set apart by spaces) in every cell of the file."
            ),
        ] = "plain",
        date_format: Annotated[
            DateFormat,
            QueryParameter(
                description="`regional`: dates written `31.03.2025` in every cell of the file."
            ),
        ] = "iso",
    ) -> Response[Any]:
        """Every row is checked first; a file with any bad row records nothing and is answered
        with 422 and an `errors` list of `{line, column, message}` naming every bad row. Rows
        already recorded by an earlier import of the same file are reported, not recorded
        again. The rows are recorded in batches, one transaction each: an interrupted import
        leaves a prefix of the file recorded, and sending the file again records the rest,
        exactly once. A process runs at most `TRACKER_MAX_CONCURRENT_IMPORTS` imports at once;
        one more is answered 503 with `Retry-After`.

        A CSV may be separated by commas, semicolons or tabs, and be UTF-8, UTF-16 (with its
        byte-order mark) or cp1251: the `charset` of the `Content-Type` names the encoding,
        else it is found from the body; the answer's `read_as` says what was read."""
        fmt = file_format(request, number_format, date_format)
        slots = import_slots(request, tracker)
        if not slots.take():
            return problem(
                503,
                f"this server already runs {slots.limit} imports "
                "(TRACKER_MAX_CONCURRENT_IMPORTS); nothing was recorded, send the file again "
                f"in {IMPORTS_RETRY_AFTER} seconds",
                slug="too-many-imports",
                headers={"Retry-After": str(IMPORTS_RETRY_AFTER)},
            )
        importer = importer_of(request)
        try:
            with tempfile.TemporaryFile(prefix="tracker-import-") as body:
                async for chunk in request.stream():
                    body.write(chunk)
                report = await anyio.to_thread.run_sync(
                    lambda: import_rows(
                        tracker, body, fmt, importer, source=f"upload.{fmt.kind}", dry_run=dry_run
                    )
                )
        except (ImportRejected, ImportForbidden) as error:
            return rows_problem(error)
        finally:
            slots.give_back()
        return Stream(import_answer(report), media_type="application/json")

    @get(
        "/api/v1/portfolios/{portfolio_id:uuid}/export",
        sync_to_thread=True,
        summary="Export a portfolio: csv (import format), xlsx, json or IATI 2.03 XML",
        operation_class=ExportOperation,
        responses={
            409: problem_response(
                "`iati`: the portfolio has no IATI reporting organisation as known at "
                "`known_at` (field `reporting_organisation`)"
            )
        },
    )
    def export(
        self,
        request: Request[Any, Any, Any],
        tracker: Tracker,
        readmodel: ReadModelDep,
        portfolio_id: FromPath[UUID],
        format: Annotated[
            Literal["csv", "xlsx", "json", "iati"],
            QueryParameter(description=f"One of {', '.join(FORMATS)}."),
        ],
        as_of: AsOf = None,
        known_at: KnownAt = None,
        bom: Annotated[
            bool,
            QueryParameter(
                description="csv: start with a UTF-8 byte-order mark, so that Excel opens it "
                "as UTF-8."
            ),
        ] = False,
    ) -> Response[bytes]:
        """Projects with their figures as of `as_of` and as known at `known_at` (the same
        rules as the reports), and their events. `csv` is the import format and takes no
        `as_of`: importing it into another database reproduces every report.

        Every export is made under a signed checkpoint of the event log, named in the
        `Tracker-Checkpoint` header; `json` also carries it with the proof that lets anyone
        check the whole file offline with the public key (docs/integrity.md)."""
        fmt: Format = format
        query = ExportQuery(portfolio_id, *read_moment(as_of, known_at))
        with readmodel.report_budget():
            rendered = export_portfolio(
                tracker, readmodel.engine, query, fmt, bom=bom, signer=request.app.state.signer
            )
        headers = {"Content-Disposition": f'attachment; filename="{rendered.filename}"'}
        if rendered.checkpoint is not None:
            signed = checkpoint_dict(rendered.checkpoint)
            headers["Tracker-Checkpoint"] = "; ".join(f"{k}={v}" for k, v in signed.items())
        return Response(rendered.content, media_type=rendered.media_type, headers=headers)
