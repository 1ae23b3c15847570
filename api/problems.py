"""The problem types of the API (RFC 9457 ``type``): each a page at ``/problems/{slug}`` that
says what it means and what to do, listed at ``/problems``. ``api.errors`` names them."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from litestar import Controller, MediaType, Response, get
from litestar.params import FromPath

from api.dashboard.rendering import SECURITY_HEADERS
from tracker import i18n
from tracker.domain.errors import NotFound
from tracker.i18n import N_, gettext

PATH = "/problems"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    description: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    "malformed-request": ProblemType(
        400,
        N_("Malformed request"),
        N_(
            "The request could not be read: a value of the wrong type or shape, an unknown field, "
            "a bad date or moment, a body nested too deeply. `field` names the first offending "
            "input and `errors` lists every one, each with where it was (`body`, `query`, `path`, "
            "`header`)."
        ),
    ),
    "bad-request": ProblemType(400, N_("Bad request"), N_("The request breaks a rule of the API.")),
    "unauthorized": ProblemType(
        401,
        N_("Unauthorized"),
        N_(
            "No API key was sent, or the key is unknown or revoked. Send `Authorization: Bearer "
            "<key>` (or `X-API-Key`) with a key from `tracker keys create`."
        ),
    ),
    "forbidden": ProblemType(
        403,
        N_("Forbidden"),
        N_(
            "The key's role or portfolio scope does not allow this: writes need a recorder key, "
            "portfolios, targets and rate sets an admin key; a key scoped to a portfolio writes "
            "only there."
        ),
    ),
    "not-found": ProblemType(
        404,
        N_("Not found"),
        N_("No such portfolio, project, document, indicator, rate set or page."),
    ),
    "method-not-allowed": ProblemType(
        405,
        N_("Method not allowed"),
        N_("The resource does not answer this method; `Allow` lists those it does."),
    ),
    "conflict": ProblemType(
        409,
        N_("Conflict"),
        N_(
            "The status machine or the state of the aggregate forbids this change (a closed "
            "project, a status dated before the one in force, a retracted event corrected)."
        ),
    ),
    "version-mismatch": ProblemType(
        412,
        N_("Precondition failed"),
        N_(
            "`If-Match` names none of the current version's entity tag (compared strongly: a weak "
            "tag never matches). Read the resource again, and send its `ETag`."
        ),
    ),
    "too-large": ProblemType(
        413, N_("Request too large"), N_("The request body is larger than accepted.")
    ),
    "unsupported-media-type": ProblemType(
        415,
        N_("Unsupported media type"),
        N_(
            "The body's `Content-Type` is not one this operation reads: JSON bodies are sent as "
            "`application/json`."
        ),
    ),
    "invalid-value": ProblemType(
        422,
        N_("Unprocessable content"),
        N_(
            "A value is well formed but breaks a rule (an unknown currency or region, a zero "
            "amount, a date in the future); `field` names it."
        ),
    ),
    "invalid-rows": ProblemType(
        422,
        N_("Rows refused"),
        N_(
            "An import was refused whole: `errors` lists every bad row with its line, column and "
            "a hint. Nothing was recorded."
        ),
    ),
    "idempotency-key-reused": ProblemType(
        422,
        N_("Idempotency key reused"),
        N_(
            "The `Idempotency-Key` was used before with another body. Use a new key for a new "
            "request; repeat the same body to get the first answer again."
        ),
    ),
    "rate-limited": ProblemType(
        429,
        N_("Too many requests"),
        N_("Too many requests from this address or key; see `Retry-After`."),
    ),
    "internal-error": ProblemType(
        500,
        N_("Internal server error"),
        N_("An unexpected error; it was logged. Nothing is implied."),
    ),
    "busy": ProblemType(
        503,
        N_("Busy"),
        N_("The server is computing as many reports as it may at once; retry after `Retry-After`."),
    ),
    "database-unavailable": ProblemType(
        503,
        N_("Database unavailable"),
        N_(
            "The database is down, locked or out of connections; nothing was recorded. Retry "
            "after `Retry-After`."
        ),
    ),
    "too-many-imports": ProblemType(
        503,
        N_("Too many imports"),
        N_(
            "This server already runs as many imports as `TRACKER_MAX_CONCURRENT_IMPORTS` allows; "
            "nothing was recorded. Send the file again after `Retry-After`."
        ),
    ),
    "service-unavailable": ProblemType(
        503,
        N_("Service unavailable"),
        N_("The server cannot answer now; retry after `Retry-After`."),
    ),
}

#: The type of a problem known only by its status (an error raised by the framework).
BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "version-mismatch",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-value",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


def type_uri(slug: str | None, status: int) -> str:
    """The ``type`` of a problem: its page, or ``about:blank`` for a status with none."""
    slug = slug or BY_STATUS.get(status)
    if slug is None:
        return "about:blank"
    if slug not in PROBLEM_TYPES:
        raise KeyError(f"problem type {slug!r} has no page in api.problems")
    return f"{PATH}/{slug}"


def _page(title: str, body: str) -> Response[bytes]:
    """A page in the reader's language (the request's, as the dashboard's pages)."""
    html = (
        f'<!DOCTYPE html>\n<html lang="{i18n.language()}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
    return Response(html.encode(), media_type=MediaType.HTML, headers=SECURITY_HEADERS)


class ProblemController(Controller):
    path = PATH
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def index(self) -> Response[bytes]:
        items = "".join(
            f'<li><a href="{PATH}/{slug}">{escape(gettext(problem.title))}</a> '
            f"({problem.status})</li>\n"
            for slug, problem in PROBLEM_TYPES.items()
        )
        heading = gettext("Problem types")
        return _page(heading, f"<h1>{escape(heading)}</h1>\n<ul>\n{items}</ul>\n")

    @get("/{slug:str}", sync_to_thread=False)
    def show(self, slug: FromPath[str]) -> Response[bytes]:
        problem = PROBLEM_TYPES.get(slug)
        if problem is None:
            raise NotFound(
                N_("no problem type %(slug)r; %(path)s lists them"), slug=slug, path=PATH
            )
        title = gettext(problem.title)
        status = gettext("HTTP status %(status)s.", status=problem.status)
        every = gettext("Every problem type")
        return _page(
            title,
            f"<h1>{escape(title)}</h1>\n<p>{escape(status)}</p>\n"
            f"<p>{escape(gettext(problem.description))}</p>\n"
            f'<p><a href="{PATH}">{escape(every)}</a></p>\n',
        )
