"""Which projects a report counts: one value object for every read that can be narrowed.

Progress, breakdowns, the timeline, the dashboard's page (and what it downloads) all take the
same :class:`Filters`: a layer (reported, illustrative or both) and, optionally, a sector, a
region, a country and a status. Sector, region, country and status are the project's as of
the report's day (its plan as then corrected, its status then), so a project that moved from
one status to another counts in the first until the day it moved; on a timeline, each point
judges by its own day.

Counting rules when a sector, region, country or status is asked for: only projects announced
by the report's day and matching count, with their facts; facts effective before their
project's announcement (the breakdown's "not yet announced" slice) do not. The layer alone
keeps every fact of the layer's projects, as it always did. Targets are the portfolio's,
whatever the filters.

A value no project of the portfolio has ever had (as recorded so far, in any version of its
plan) is refused with :class:`UnknownValue` naming the field: it is a typo, not an empty slice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from tracker.domain.errors import N_, UnknownValue
from tracker.domain.status import Status
from tracker.readmodel import tables as t

#: Which projects a report counts: every one, only those from public reports (not
#: illustrative), or only the illustrative ones.
LAYERS = ("all", "reported", "illustrative")
#: The project attributes a report can be narrowed by, in the order they are named.
NARROWING = ("sector", "region", "country", "status")

#: The flags a project can carry at a moment (``tracker.readmodel.flags`` judges them).
DISBURSED_ABOVE_COMMITTED = "disbursed_above_committed"
END_DATE_PASSED = "end_date_passed"
NO_NEWS = "no_news"
FLAGS = (DISBURSED_ABOVE_COMMITTED, END_DATE_PASSED, NO_NEWS)
#: The filter value that selects a project carrying any flag.
ANY = "any"
#: Days without news after which an open project is flagged, unless a reader asks otherwise.
DEFAULT_NO_NEWS_DAYS = 180


@dataclass(frozen=True)
class Filters:
    layer: str = "all"
    sector: str | None = None
    region: str | None = None  # ISO 3166-2
    country: str | None = None  # ISO 3166-1 alpha-2
    status: str | None = None
    #: Only the projects carrying this flag at the report's moment (``ANY``: any flag) …
    flag: str | None = None
    #: … where an open project silent this many days is flagged ``no_news``.
    no_news_days: int = DEFAULT_NO_NEWS_DAYS

    @property
    def narrows(self) -> bool:
        """Whether a project attribute or a flag is asked for (the layer aside)."""
        return any(getattr(self, name) for name in NARROWING) or self.flag is not None

    @property
    def illustrative(self) -> bool | None:
        """The layer as the listing's filter has it: only illustrative, only reported, or any."""
        return None if self.layer == "all" else self.layer == "illustrative"

    def admits(
        self, *, sector: str, regions: Iterable[str], countries: Iterable[str], status: str
    ) -> bool:
        """Whether a project with these attributes (as of the report's day) is counted; the
        layer is applied by the query that reads the projects."""
        return (
            (self.sector is None or sector == self.sector)
            and (self.region is None or self.region in regions)
            and (self.country is None or self.country in countries)
            and (self.status is None or status == self.status)
        )

    def params(self) -> dict[str, str]:
        """The filters as query parameters (only those set; ``layer=all`` is the default, and
        ``no_news_days`` is said only with a flag and when not the default)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["no_news_days"] = (
            str(self.no_news_days)
            if self.flag is not None and self.no_news_days != DEFAULT_NO_NEWS_DAYS
            else None
        )
        return {k: v for k, v in values.items() if v and not (k == "layer" and v == "all")}


#: No filter: every project of the portfolio, reported and illustrative.
EVERY_PROJECT = Filters()


def known_values(conn: Connection, portfolio_id: UUID) -> dict[str, list[str]]:
    """The sectors, regions and countries the portfolio's projects have had in any version
    of their plan, sorted: what a filter may ask for."""
    plans = t.plans.c
    rows = conn.execute(
        select(plans.sector, plans.regions, plans.countries)
        .where(plans.portfolio_id == str(portfolio_id))
        .distinct()
    ).all()
    known: dict[str, set[str]] = {"sector": set(), "region": set(), "country": set()}
    for row in rows:
        known["sector"].add(row.sector)
        known["region"].update(row.regions.split())
        known["country"].update(row.countries.split())
    return {name: sorted(values) for name, values in known.items()}


def check_filters(conn: Connection, portfolio_id: UUID, filters: Filters) -> Filters:
    """``filters`` if every value names something the portfolio's projects have had; else
    :class:`UnknownValue` naming the first field that does not."""
    if filters.layer not in LAYERS:
        raise UnknownValue(
            N_("layer must be one of %(allowed)s"), allowed=", ".join(LAYERS), field="layer"
        )
    if filters.status is not None and filters.status not in {s.value for s in Status}:
        raise UnknownValue(N_("%(status)r is not a status"), status=filters.status, field="status")
    if filters.flag is not None and filters.flag not in (ANY, *FLAGS):
        raise UnknownValue(
            N_("flag must be one of %(allowed)s"), allowed=", ".join((ANY, *FLAGS)), field="flag"
        )
    if filters.no_news_days < 1:
        raise UnknownValue(N_("no_news_days must be at least 1"), field="no_news_days")
    if not (filters.sector or filters.region or filters.country):
        return filters
    for name, values in known_values(conn, portfolio_id).items():
        asked: Any = getattr(filters, name)
        if asked is not None and asked not in values:
            raise UnknownValue(
                N_("no project of this portfolio has %(name)s %(asked)r"),
                name=name,
                asked=asked,
                field=name,
            )
    return filters
