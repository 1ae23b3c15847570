"""Building IATI XML: an element with its attributes, and one holding a narrative."""

from __future__ import annotations

from typing import Any

from lxml import etree

from tracker.transfer.export_values import xml_safe


def sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> Any:
    """A child element; ``iso_date`` is written ``iso-date`` (and so on)."""
    element = etree.SubElement(
        parent, tag, {k.replace("_", "-"): xml_safe(v) for k, v in attributes.items()}
    )
    if text is not None:
        element.text = xml_safe(text)
    return element


def narrative(parent: etree._Element, tag: str, text: str, **attributes: str) -> Any:
    """A child element whose text is a ``narrative`` inside it, as IATI writes free text."""
    element = sub(parent, tag, **attributes)
    sub(element, "narrative", text)
    return element


def omitted(parent: etree._Element, what: str, why: str) -> None:
    """Say in the file, as a comment, what was left out and why."""
    parent.append(etree.Comment(xml_safe(f" {what} omitted: {why} ").replace("--", "- -")))
