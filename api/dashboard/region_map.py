"""A map of the regions of Kazakhstan and Uzbekistan: one labelled square per region.

A tile-grid map, not boundaries: no registry package ships the two countries' first-level
boundaries under a licence and in a form that suits an offline page (docs/dashboard.md says
more), and equal squares let a small city (Astana, Tashkent) weigh as much as a steppe
region. The squares keep the regions' rough places: north to south, west to east, Kazakhstan
above Uzbekistan.

Each square says its region (short name), the share of plan of the figure the reader chose,
and is shaded by that share in five steps; a region with nothing planned is hatched and says
"—". So colour is never the only carrier: the legend names the steps, every value is written,
and the page's table beside the map lists the same figures. The shares are the region
breakdown's, so the map has the page's moment and filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from api import schemas as s
from api.dashboard import format as f
from tracker.i18n import N_, gettext

#: The squares as they are laid out, north at the top: each region by its ISO 3166-2 code (as
#: the data names it), ``.`` where there is none: Kazakhstan's twenty regions above
#: Uzbekistan's fourteen, every first-level region of both.
LAYOUT = """
.     .     .     KZ-39 KZ-59 .     KZ-55 .     .
KZ-27 .     KZ-15 .     KZ-11 KZ-71 .     KZ-10 KZ-63
KZ-23 .     .     .     KZ-62 KZ-35 .     KZ-33 .
KZ-47 .     .     KZ-43 KZ-61 KZ-31 KZ-19 .     .
.     UZ-QR .     UZ-NW UZ-JI KZ-79 KZ-75 .     .
.     UZ-XO UZ-BU UZ-SA UZ-SI UZ-TK UZ-TO UZ-NG .
.     .     .     UZ-QA .     .     .     UZ-FA UZ-AN
.     .     .     .     UZ-SU .     .     .     .
"""
#: Each region's square: (column, row), row 0 at the top.
TILES: dict[str, tuple[int, int]] = {
    code: (column, row)
    for row, line in enumerate(LAYOUT.strip("\n").splitlines())
    for column, code in enumerate(line.split())
    if code != "."
}
TILE_W, TILE_H, GAP = 96, 64, 4
COLUMNS = 1 + max(column for column, _ in TILES.values())
ROWS = 1 + max(row for _, row in TILES.values())
#: The steps of the shading: a share below each bound (the last has none).
STEPS: tuple[tuple[Decimal | None, str], ...] = (
    (Decimal("0.25"), N_("below 25 %")),
    (Decimal("0.5"), N_("25 % to 50 %")),
    (Decimal("0.75"), N_("50 % to 75 %")),
    (Decimal("1"), N_("75 % to 100 %")),
    (None, N_("at least 100 %")),
)
COUNTRY_LABELS = (("KZ", 0, 0), ("UZ", 0, 7))  # (country, column, row) of each name


@dataclass(frozen=True)
class MapRegion:
    code: str
    name: str
    short: str
    share: str | None  # the chosen figure's share of plan, as the API says it
    step: int | None  # which shade (index of ``STEPS``); None: nothing planned
    projects: int
    actual: str  # the chosen figure, as read
    planned: str  # its plan, as read


@dataclass(frozen=True)
class RegionMap:
    svg: Markup
    regions: list[MapRegion]  # every square's region, in reading order
    legend: list[tuple[str, str]]  # (css class, words)
    elsewhere: list[str]  # regions of the data that have no square (other countries)


#: Words that say what kind of region it is, left out of a square's label when the rest
#: still tells the regions apart (the table and the hover text give the full name).
KIND_WORDS = frozenset(
    {
        "oblysy",
        "region",
        "область",
        "облысы",
        "viloyati",
        "республика",
        "respublikasi",
        "республикасы",
    }
)


def short_names(codes: Sequence[str]) -> dict[str, str]:
    """Each region's name in the reader's language without its country code and, where the
    rest stays unique, without the word for its kind ("Qostanay", "Костанайская")."""
    full = {code: f.region(code).rsplit(" (", 1)[0] for code in codes}
    short = {
        code: " ".join(w for w in name.split() if w.lower() not in KIND_WORDS) or name
        for code, name in full.items()
    }
    seen: dict[str, int] = {}
    for name in short.values():
        seen[name] = seen.get(name, 0) + 1
    return {code: name if seen[name] == 1 else full[code] for code, name in short.items()}


def step_of(share: str | None) -> int | None:
    if share is None:
        return None
    value = Decimal(share)
    return next(i for i, (bound, _) in enumerate(STEPS) if bound is None or value < bound)


def _measure(sl: s.SliceOut, figure: str, currency: str) -> tuple[str | None, str, str]:
    shares, fig = sl.shares_of_plan, sl.figures
    if figure == "jobs":
        return shares.jobs_to_plan, f.number(fig.jobs_created.total), f.number(fig.planned_jobs)
    amount = fig.committed.amount if figure == "committed" else fig.disbursed.amount
    share = shares.committed_to_plan if figure == "committed" else shares.disbursed_to_plan
    return share, f.short_money(amount, currency), f.short_money(fig.pledged.amount, currency)


def region_map(report: s.BreakdownOut, figure: str, figure_name: str) -> RegionMap:
    """The map of ``report`` (a breakdown by region) shaded by ``figure``'s share of plan."""
    slices = {sl.key: sl for sl in report.slices}
    names = short_names(list(TILES))
    regions = []
    for code, _ in sorted(TILES.items(), key=lambda item: (item[1][1], item[1][0])):
        sl = slices.get(code)
        share, actual, planned = _measure(sl, figure, report.currency) if sl else (None, "", "")
        regions.append(
            MapRegion(
                code=code,
                name=f.region(code),
                short=names[code],
                share=share,
                step=step_of(share),
                projects=sl.figures.projects if sl else 0,
                actual=actual,
                planned=planned,
            )
        )
    elsewhere = sorted(k for k in slices if k not in TILES and "-" in k)
    legend = [(f"map-step-{i}", gettext(words)) for i, (_, words) in enumerate(STEPS)]
    legend.append(("map-none", gettext("nothing planned, or no project")))
    return RegionMap(_svg(regions, figure_name), regions, legend, elsewhere)


def _svg(regions: Sequence[MapRegion], figure_name: str) -> Markup:
    width, height = COLUMNS * TILE_W, ROWS * TILE_H
    title = gettext("Regions: %(measure)s as a share of plan", measure=figure_name)
    desc = gettext(
        "One square per region of Kazakhstan (solid border) and Uzbekistan (dashed border), "
        "placed roughly where the region lies; each says the share and is shaded by it. The "
        "table below the map lists the same figures."
    )
    parts = [
        f'<svg class="region-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="region-map-title region-map-desc" font-size="13">',
        f'<title id="region-map-title">{escape(title)}</title>',
        f'<desc id="region-map-desc">{escape(desc)}</desc>',
        '<defs><pattern id="map-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect class="map-hatch-ground" width="8" height="8"/>'
        '<line class="map-hatch-line" x1="0" y1="0" x2="0" y2="8"/></pattern></defs>',
    ]
    for country, column, row in COUNTRY_LABELS:
        name = f.country(country)
        parts.append(
            f'<text class="map-country" x="{column * TILE_W + 4}" y="{row * TILE_H + 38}">'
            f"{escape(name)}</text>"
        )
    for region in regions:
        column, row = TILES[region.code]
        x, y = column * TILE_W + GAP / 2, row * TILE_H + GAP / 2
        w, h = TILE_W - GAP, TILE_H - GAP
        css = "map-none" if region.step is None else f"map-step-{region.step}"
        country = region.code[:2].lower()
        value = f.percent(region.share) if region.share is not None else "—"
        label_css = "map-label map-label-long" if len(region.short) > 12 else "map-label"
        # A name too long for its square is squeezed to fit rather than cut.
        squeeze = (
            f' textLength="{w - 8}" lengthAdjust="spacingAndGlyphs"'
            if len(region.short) > 15
            else ""
        )
        if region.projects:
            hover = gettext(
                "%(region)s: %(share)s of plan (%(actual)s of %(planned)s; projects: %(n)s)",
                region=region.name,
                share=value,
                actual=region.actual,
                planned=region.planned,
                n=f.number(region.projects),
            )
        else:
            hover = gettext("%(region)s: no project", region=region.name)
        parts.append(
            f'<g class="map-tile map-{country}" data-region="{escape(region.code)}" '
            f'data-share="{escape(region.share or "")}" data-step="{css}">'
            f"<title>{escape(hover)}</title>"
            f'<rect class="{css}" x="{x:g}" y="{y:g}" width="{w}" height="{h}" rx="4"/>'
            f'<text class="{label_css}" x="{x + w / 2:g}" y="{y + 24:g}" text-anchor="middle"'
            f"{squeeze}>"
            f"{escape(region.short)}</text>"
            f'<text class="map-value" x="{x + w / 2:g}" y="{y + 46:g}" text-anchor="middle">'
            f"{escape(value)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
