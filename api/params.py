"""The parameters controllers share, and their reading into the core's queries.

Dependencies (the tracker application, the read model), the headers of a write (``If-Match``,
``Idempotency-Key``), the moment of a read (``as_of``, ``known_at``) and a report's currency
and exchange rates.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import HeaderParameter, QueryParameter

from api.conditions import read_moment, today_utc
from tracker.application import TrackerApplication
from tracker.domain.errors import N_, ValidationError
from tracker.domain.status import Status
from tracker.domain.values import check_currency
from tracker.readmodel.filters import DEFAULT_NO_NEWS_DAYS, EVERY_PROJECT, Filters
from tracker.readmodel.flags import FlagJudge
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.service import ReadModel

Tracker = NamedDependency[TrackerApplication]
ReadModelDep = NamedDependency[ReadModel]
# Litestar checks a bound given on the optional but leaves a zero bound out of its OpenAPI
# schema, which would then allow -1; the inner one puts it there.
MinPosition = Annotated[
    Annotated[int, QueryParameter(ge=0)] | None,
    QueryParameter(
        ge=0,
        description="Wait (at most 2 s) until the read model has applied this global position, "
        "e.g. the `position` a write returned.",
    ),
]

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        description='Write only if the current version is this one (W/"3"); else 412.',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Retrying with the same key and body returns the first response and "
        "records nothing new; the same key with another body is refused (422).",
    ),
]

AsOf = Annotated[
    date | None,
    QueryParameter(description="Count only facts effective on or before this date."),
]
KnownAt = Annotated[
    datetime | None,
    QueryParameter(
        description="Count only events recorded by this ISO 8601 moment (UTC if no zone)."
    ),
]

Currency = Annotated[
    str,
    QueryParameter(pattern=r"^[A-Z]{3}$", description="Report currency (ISO 4217)."),
]
Fx = Annotated[
    str,
    QueryParameter(
        pattern=r"^(latest|fixed:\d{4}-\d{2}-\d{2})$",
        description="`latest`: each amount at the latest rate on or before its value date; "
        "`fixed:YYYY-MM-DD`: every amount at the rates of that date.",
    ),
]
_FIXED = re.compile(r"^fixed:(\d{4}-\d{2}-\d{2})$")


Layer = Annotated[
    Literal["all", "reported", "illustrative"],
    QueryParameter(
        description="`reported`: only projects from public reports; `illustrative`: only the "
        "invented ones; `all` (default): both. Targets are the same for every layer."
    ),
]


NoNewsDays = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=36_500,
        description="An open project with no event effective in this many days before "
        "`as_of` (or today) is flagged `no_news`.",
    ),
]
FlagFilter = Annotated[
    Literal["any", "disbursed_above_committed", "end_date_passed", "no_news"] | None,
    QueryParameter(
        description="Only the projects carrying this flag at the moment (`any`: any flag); "
        "see `GET /api/v1/portfolios/{id}/flags`."
    ),
]


Sector = Annotated[str | None, QueryParameter(max_length=100, description="Exact sector.")]
StatusFilter = Annotated[Status | None, QueryParameter(description="Projects in this status.")]
RegionCode = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$",
        description="Projects in this ISO 3166-2 region.",
    ),
]
CountryCode = Annotated[
    str | None,
    QueryParameter(pattern=r"^[A-Z]{2}$", description="Projects in this ISO 3166-1 country."),
]


def report_filters(
    layer: str,
    sector: str | None = None,
    region: str | None = None,
    country: str | None = None,
    status: Status | None = None,
    flag: str | None = None,
    no_news_days: int = DEFAULT_NO_NEWS_DAYS,
) -> Filters:
    """A report's filters from its query parameters (reports judge sector, region, country,
    status and flags as of ``as_of``; a value no project of the portfolio has had is a 400)."""
    return Filters(
        layer, sector, region, country, status.value if status else None, flag, no_news_days
    )


def report_query(
    tracker: TrackerApplication,
    portfolio_id: UUID,
    as_of: AsOf,
    known_at: KnownAt,
    currency: str,
    fx: str,
    filters: Filters = EVERY_PROJECT,
) -> ReportQuery:
    """The report a request asks for, checked; 404 for an unknown portfolio."""
    check_currency(currency)
    fixed = _FIXED.match(fx)
    try:
        fx_date = date.fromisoformat(fixed.group(1)) if fixed else None
    except ValueError:
        raise ValidationError(N_("%(fx)r does not name a real date"), fx=fx, field="fx") from None
    as_of, known_at = read_moment(as_of, known_at)
    tracker.portfolio(portfolio_id)  # 404 for an unknown portfolio
    judge = FlagJudge(tracker, today_utc().date())
    return ReportQuery(portfolio_id, as_of, known_at, currency, fx_date, filters, judge)


def refused(name: str, message: str) -> ValidationException:
    """A 400 naming the query parameter, as Litestar's own checks of parameters answer."""
    return ValidationException(
        f"{name}: {message}", extra=[{"key": name, "message": message, "source": "query"}]
    )


def changes_moments(
    known: tuple[datetime | None, datetime | None], as_of: tuple[date | None, date | None]
) -> tuple[tuple[date | None, datetime | None], tuple[date | None, datetime | None]]:
    """The start and end moments a request asks for, checked: the end comes no earlier
    than the start on either axis; a missing end is the latest, a missing start the end."""
    if known == (None, None) and as_of == (None, None):
        raise refused(
            "known_from",
            "give known_from (and known_to) to compare what was known at two moments, "
            "as_of_from (and as_of_to) to compare two days, or both",
        )
    if known[0] is None and known[1] is not None:
        raise refused("known_from", "known_to needs known_from (the start)")
    if as_of[0] is None and as_of[1] is not None:
        raise refused("as_of_from", "as_of_to needs as_of_from (the start)")
    start = read_moment(as_of[0], known[0], names=("as_of_from", "known_from"))
    end = read_moment(as_of[1], known[1], names=("as_of_to", "known_to"))
    if start[1] is not None and end[1] is not None and end[1] < start[1]:
        raise refused("known_to", "must not come before known_from")
    if start[0] is not None and end[0] is not None and end[0] < start[0]:
        raise refused("as_of_to", "must not come before as_of_from")
    return start, end
