"""The dashboard's stylesheet nests as written: every block closes, so no rule meant for the
screen falls inside ``@media print`` (a merge once dropped one brace, and the map's colours,
the compare view's layout and all that followed applied to print only)."""

from __future__ import annotations

from api.dashboard.rendering import STATIC


def test_every_block_of_the_stylesheet_closes_where_it_should() -> None:
    css = (STATIC / "dashboard.css").read_text("utf-8")
    depth = 0
    for line_number, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {line_number} closes a block that was not open"
        if line.startswith("/*"):  # a section comment starts at the top level
            assert depth == 0, f"line {line_number} starts a section inside an open block"
    assert depth == 0
