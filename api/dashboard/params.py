"""What the reader asked for, from the query string: the moment, the filters every figure
follows, the breakdowns' figure and order, the timeline's interval, the table's search and sort.

Malformed values are explained on the page instead of answered with a 400: a person typed
them. The settings a page keeps in its links are the ones named in ``VIEW_PARAMS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.exceptions import ValidationException

from api.conditions import FutureMoment, read_moment
from api.dashboard import format as f
from tracker.domain.status import Status
from tracker.eventstore.chain import Checkpoint
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.readmodel.filters import ANY, DEFAULT_NO_NEWS_DAYS, FLAGS, LAYERS, Filters
from tracker.readmodel.queries import SORTS
from tracker.readmodel.shares import FIGURES, ORDERS
from tracker.readmodel.timeline import INTERVALS

DEFAULT_SORT = "-planned_investment"
#: The silence after which a project is listed as stale and flagged ``no_news``.
DEFAULT_STALE_DAYS = DEFAULT_NO_NEWS_DAYS
#: The query parameters a page keeps when any one of them changes.
VIEW_PARAMS = (
    "as_of",
    "known_at",
    "sector",
    "region",
    "country",
    "status",
    "q",
    "flag",
    "sort",
    "stale_days",
    "rows",
    "layer",
    "figure",
    "rank",
    "interval",
)
DEFAULT_RANK = "amount"


def query_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in request.query_params.items()}


def min_position(params: Mapping[str, str]) -> int | None:
    text = params.get("min_position", "")
    return int(text) if text.isdigit() else None


def view_query(params: Mapping[str, str]) -> str:
    """The query string of the settings a view keeps, for a link to its downloads."""
    return urlencode([(k, params[k]) for k in VIEW_PARAMS if params.get(k)])


def link_maker(path: str, params: Mapping[str, str]) -> Any:
    """``url(sort="title")``: this page's URL with one setting changed and the rest kept."""
    kept = {k: params[k] for k in VIEW_PARAMS if params.get(k)}

    def url(**changes: str | None) -> str:
        merged = {**kept, **changes}
        order = [*VIEW_PARAMS, *(k for k in merged if k not in VIEW_PARAMS)]
        query = urlencode([(k, merged[k]) for k in order if merged.get(k)])
        return f"{path}?{query}" if query else path

    return url


@dataclass(frozen=True)
class Moment:
    """Which moment every figure is for: effective ``as_of`` and recorded ``known_at``."""

    as_of: date | None = None
    known_at: datetime | None = None
    problems: tuple[str, ...] = ()

    @property
    def is_latest(self) -> bool:
        return self.as_of is None and self.known_at is None

    @property
    def as_of_text(self) -> str:
        return self.as_of.isoformat() if self.as_of else ""

    @property
    def known_at_text(self) -> str:
        """For ``<input type=datetime-local>``: UTC, no zone, to the millisecond at most."""
        if self.known_at is None:
            return ""
        utc = self.known_at.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds")

    @property
    def known_at_param(self) -> str:
        return self.known_at.isoformat().replace("+00:00", "Z") if self.known_at else ""


def parse_moment(params: Mapping[str, str]) -> Moment:
    """The moment the query string asks for; what cannot be read is explained on the page,
    but a ``known_at`` still to come is refused (``FutureMoment``, a 400 problem): a page of
    the future could not be cited."""
    problems = []
    as_of = None
    if text := params.get("as_of", "").strip():
        try:
            as_of = date.fromisoformat(text)
        except ValueError:
            problems.append(
                _("“As of” must be a date such as 2025-03-31, not “%(value)s”.", value=text)
            )
    known_at = None
    if text := params.get("known_at", "").strip():
        try:
            known_at = datetime.fromisoformat(text)
        except ValueError:
            problems.append(
                _(
                    "“Known at” must be a moment such as 2025-04-01T09:30 (UTC), not “%(value)s”.",
                    value=text,
                )
            )
    try:
        as_of, known_at = read_moment(as_of, known_at)
    except FutureMoment:
        raise
    except ValidationException as error:
        problems.append(f"{error.detail}.")
        as_of = known_at = None
    return Moment(as_of, known_at, tuple(problems))


def rfc3339(moment: datetime) -> str:
    """``2025-03-03T14:02:11.123456Z``: UTC, to the microsecond (a recorded time has them)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def cite_link(
    url: Any, moment: Moment, rendered_at: datetime, checkpoint: Checkpoint | None = None
) -> tuple[str, datetime]:
    """The page's link fixed to what was known when it was read, and that moment.

    ``known_at`` is the page's own, or the moment it was rendered: nothing recorded later
    can change what the link shows. ``as_of`` and the filters are kept as they are shown.
    The newest signed checkpoint of the event log rides along (``checkpoint=POSITION-LINK``,
    which the page ignores): whoever keeps the link can hold the log to it years later with
    ``tracker verify --checkpoint`` (docs/integrity.md).
    """
    known_at = moment.known_at or rendered_at
    link = url(
        as_of=moment.as_of_text or None,
        known_at=rfc3339(known_at),
        checkpoint=checkpoint.citation() if checkpoint else None,
    )
    return link, known_at


@dataclass(frozen=True)
class TableQuery:
    sector: str | None = None
    region: str | None = None
    country: str | None = None
    status: str | None = None
    q: str | None = None
    #: Only the projects carrying this flag (``any``: any flag).
    flag: str | None = None
    sort: str = DEFAULT_SORT
    stale_days: int = DEFAULT_STALE_DAYS
    show_all: bool = False
    #: Which projects every figure counts: all, reported or illustrative (``LAYERS``).
    layer: str = "all"
    #: The figure the breakdowns and the map measure (``shares.FIGURES``) …
    figure: str = "committed"
    #: … and how the breakdowns order their slices (``shares.ORDERS``).
    rank: str = DEFAULT_RANK
    #: The timeline's periods: ``month``, ``quarter``, or "" (quarters, or months while
    #: there would be fewer than eight quarters).
    interval: str = ""
    problems: tuple[str, ...] = ()

    @property
    def filters(self) -> Filters:
        """What every figure of the page counts: the same value the API's reports take."""
        return Filters(
            self.layer,
            self.sector,
            self.region,
            self.country,
            self.status,
            self.flag,
            self.stale_days,
        )

    def kept(self) -> dict[str, str]:
        """The page's filters as its own query parameters (``stale_days`` only with a flag
        and when not the default), for a link to another view of the same projects."""
        kept = {k: v for k, v in self.filters.params().items() if k != "no_news_days"}
        if self.flag is not None and self.stale_days != DEFAULT_STALE_DAYS:
            kept["stale_days"] = str(self.stale_days)
        return kept

    @property
    def filtered(self) -> bool:
        return self.filters.narrows or bool(self.q)


def counted_words(filters: Filters) -> str | None:
    """What a narrowed page counts, as a list ("sector: Energy; status: Agreed"); ``None``
    when it counts every project."""
    parts = []
    if filters.layer != "all":
        parts.append(_("from public reports") if filters.layer == "reported" else _("illustrative"))
    if filters.sector:
        parts.append(_("sector: %(sector)s", sector=f.sector(filters.sector)))
    if filters.region:
        parts.append(_("region: %(region)s", region=f.region(filters.region)))
    if filters.country:
        parts.append(_("country: %(country)s", country=f.country(filters.country)))
    if filters.status:
        parts.append(_("status: %(status)s", status=f.status(filters.status)))
    if filters.flag == ANY:
        parts.append(_("any flag"))
    elif filters.flag:
        parts.append(_("flag: %(flag)s", flag=f.flag(filters.flag)))
    return "; ".join(parts) if parts else None


def usable(table: TableQuery, known: Mapping[str, list[str]]) -> TableQuery:
    """``table`` without a sector, region or country no project of the portfolio has had
    (``filters.known_values``), each one dropped said among its problems."""
    dropped = {
        name: value
        for name in ("sector", "region", "country")
        if (value := getattr(table, name)) is not None and value not in known[name]
    }
    if not dropped:
        return table
    said = {
        "sector": N_(
            "No project of this portfolio has the sector “%(value)s”; every sector is shown."
        ),
        "region": N_(
            "No project of this portfolio has the region “%(value)s”; every region is shown."
        ),
        "country": N_(
            "No project of this portfolio has the country “%(value)s”; every country is shown."
        ),
    }
    problems = tuple(_(said[name], value=value) for name, value in dropped.items())
    return replace(
        table,
        sector=None if "sector" in dropped else table.sector,
        region=None if "region" in dropped else table.region,
        country=None if "country" in dropped else table.country,
        problems=table.problems + problems,
    )


def parse_table(params: Mapping[str, str]) -> TableQuery:
    problems = []

    def text(name: str, limit: int = 200) -> str | None:
        value = params.get(name, "").strip()
        return value[:limit] or None

    sort = text("sort") or DEFAULT_SORT
    if sort not in SORTS:
        problems.append(
            _("Unknown sort order “%(value)s”; sorted by planned investment instead.", value=sort)
        )
        sort = DEFAULT_SORT
    status = text("status")
    if status is not None and status not in {s.value for s in Status}:
        problems.append(_("Unknown status “%(value)s”; showing every status.", value=status))
        status = None
    days = DEFAULT_STALE_DAYS
    if raw := text("stale_days"):
        try:
            days = int(raw)
            if not 1 <= days <= 36_500:
                raise ValueError(raw)
        except ValueError:
            problems.append(
                _("“No news for” must be a number of days, not “%(value)s”.", value=raw)
            )
            days = DEFAULT_STALE_DAYS
    flag = text("flag")
    if flag is not None and flag not in (ANY, *FLAGS):
        problems.append(_("Unknown flag “%(value)s”; showing every project.", value=flag))
        flag = None
    layer = text("layer") or "all"
    if layer not in LAYERS:
        problems.append(
            _(
                "Unknown layer “%(value)s”; showing reported and illustrative projects.",
                value=layer,
            )
        )
        layer = "all"
    figure = text("figure") or "committed"
    if figure not in FIGURES:
        problems.append(_("Unknown measure “%(value)s”; committed is shown.", value=figure))
        figure = "committed"
    rank = text("rank") or DEFAULT_RANK
    if rank not in ORDERS:
        problems.append(_("Unknown order “%(value)s”; the largest come first.", value=rank))
        rank = DEFAULT_RANK
    interval = text("interval") or ""
    if interval and interval not in INTERVALS:
        problems.append(
            _("Unknown interval “%(value)s”; the timeline fits its span.", value=interval)
        )
        interval = ""
    return TableQuery(
        layer=layer,
        figure=figure,
        rank=rank,
        interval=interval,
        sector=text("sector", 100),
        region=text("region", 10),
        country=text("country", 2),
        status=status,
        q=text("q"),
        flag=flag,
        sort=sort,
        stale_days=days,
        show_all=params.get("rows") == "all",
        problems=tuple(problems),
    )
