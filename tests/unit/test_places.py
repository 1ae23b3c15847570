"""Region and country names in the four languages: every region the public record and the
demo use, and every region on the dashboard's map, has a reviewed name in Russian, Kazakh and
Uzbek, with its sources."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.dashboard.region_map import TILES, short_names
from tracker import i18n
from tracker.demo_illustrative import KZ_REGIONS, UZ_REGIONS
from tracker.demo_record import PUBLIC_RECORD
from tracker.i18n import places


def _regions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "regions" and isinstance(value, list):
                yield from (str(code) for code in value)
            else:
                yield from _regions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _regions(item)


USED = sorted({*KZ_REGIONS, *UZ_REGIONS, *_regions(json.loads(PUBLIC_RECORD.read_text("utf-8")))})
#: Every first-level region of both countries: the map draws a square for each.
NAMED = sorted({*USED, *TILES})
#: How each language is written: Russian and Kazakh in Cyrillic (Kazakh with its own letters),
#: Uzbek in the Latin script with ʻ (U+02BB) in oʻ and gʻ, never ' or ‘.
SCRIPT = {
    "ru": re.compile(r"[А-ЯЁа-яё -]+"),
    "kk": re.compile(r"[А-ЯЁа-яёӘәҒғҚқҢңӨөҰұҮүҺһІі -]+"),
    "uz": re.compile(r"[A-Za-zʻʼ -]+"),
}


def test_the_record_and_the_demo_use_regions() -> None:
    assert len(USED) >= 10
    assert "UZ-TK" in USED and "UZ-TO" in USED  # the city and the region of Tashkent


def test_the_map_has_every_region_of_both_countries() -> None:
    assert len([code for code in TILES if code.startswith("KZ-")]) == 20
    assert len([code for code in TILES if code.startswith("UZ-")]) == 14


@pytest.mark.parametrize("code", NAMED)
def test_every_region_used_has_a_reviewed_name_in_every_language(code: str) -> None:
    entry = places.reviewed_regions().get(code)
    assert entry, f"{code} has no entry in tracker/i18n/regions.json"
    for lang in ("ru", "kk", "uz"):  # a source in each language
        assert any(s.startswith(f"https://{lang}.wikipedia.org/") for s in entry["sources"])
        assert SCRIPT[lang].fullmatch(entry[lang]), (lang, entry[lang])
    names = {}
    for lang in i18n.LANGUAGES:
        with i18n.use(lang):
            names[lang] = places.region(code)
        assert names[lang].endswith(f" ({code[:2]})")
    for lang in ("ru", "kk", "uz"):
        assert names[lang].removesuffix(f" ({code[:2]})") == entry[lang]
    assert len(set(names.values())) >= 2, names  # not the English name in every language


@pytest.mark.parametrize("lang", ["ru", "kk", "uz"])
def test_every_square_of_the_map_is_labelled_in_the_readers_language(lang: str) -> None:
    with i18n.use(lang):
        labels = short_names(list(TILES))
    assert len(set(labels.values())) == len(TILES), labels  # each square tells its region
    for code, label in labels.items():
        assert label in places.reviewed_regions()[code][lang], (code, label)


def test_the_city_and_the_region_of_tashkent_read_apart_in_every_language() -> None:
    for lang in i18n.LANGUAGES:
        with i18n.use(lang):
            assert places.region("UZ-TK") != places.region("UZ-TO"), lang


def test_english_names_stay_pycountrys() -> None:
    assert places.region("UZ-TK") == "Toshkent city (UZ)"
    assert places.region("KZ-35") == "Qaraghandy oblysy (KZ)"


@pytest.mark.parametrize(
    ("lang", "kz", "uz"),
    [
        ("en", "Kazakhstan", "Uzbekistan"),
        ("ru", "Казахстан", "Узбекистан"),
        ("kk", "Қазақстан", "Өзбекстан"),
        ("uz", "Qozogʻiston", "Oʻzbekiston"),
    ],
)
def test_country_names(lang: str, kz: str, uz: str) -> None:
    with i18n.use(lang):
        assert (places.country("KZ"), places.country("UZ")) == (kz, uz)


def test_a_region_outside_the_table_falls_back_to_pycountry() -> None:
    with i18n.use("ru"):
        assert places.region("RU-CHE") == "Челябинская область (RU)"  # pycountry's Russian
    with i18n.use("kk"):
        assert places.region("KG-N") == "Naryn (KG)"  # no Kazakh catalog
    assert places.region("XX-99") == "XX-99"


def _sectors(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sector" and isinstance(value, str):
                yield value
            else:
                yield from _sectors(value)
    elif isinstance(node, list):
        for item in node:
            yield from _sectors(item)


def test_every_sector_used_reads_in_every_language() -> None:
    """Sectors are free text; the ones the record and the demo use are translated."""
    from api.dashboard.format import SECTOR_LABELS, sector
    from tracker.demo_illustrative import SECTORS

    used = {*SECTORS, *_sectors(json.loads(PUBLIC_RECORD.read_text("utf-8")))}
    assert used <= SECTOR_LABELS.keys(), sorted(used - SECTOR_LABELS.keys())
    with i18n.use("ru"):
        assert sector("metallurgy") == "Металлургия"
        assert sector("cheese making") == "Cheese making"  # unknown: as recorded
