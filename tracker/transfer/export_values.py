"""Domain values as the exporters write them: amounts, days, plain JSON data, XML text."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tracker.domain import commands as c
from tracker.domain.base import payload_of
from tracker.domain.values import Money, Source


def amount_text(amount: Decimal) -> str:
    """An amount as a decimal string, never in scientific notation."""
    return format(amount, "f")


def money_dict(money: Money) -> dict[str, str]:
    """An amount of money as the exports write it: a decimal string and its currency."""
    return {"amount": amount_text(money.amount), "currency": money.currency}


def plain(value: Any) -> Any:
    """Domain values as JSON-friendly data (amounts stay decimal strings)."""
    if isinstance(value, Money):
        return money_dict(value)
    if isinstance(value, c.Replacement):
        return {k: plain(v) for k, v in value.given().items()}
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return amount_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def event_payload(event: Any) -> dict[str, Any]:
    """What an event says besides its envelope, as plain data."""
    return {k: plain(v) for k, v in payload_of(event).items()}


def source_dict(source: Source | None) -> dict[str, Any] | None:
    return {"title": source.title, "url": source.url} if source else None


def day_text(value: date | None) -> str:
    """A day as ISO text; blank for none."""
    return value.isoformat() if value else ""


#: What XML 1.0 cannot hold: most control characters, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Text for an XML file (xlsx, IATI). Recorders' text may hold characters XML cannot,
    and stored events are never rewritten: show those as U+FFFD rather than fail."""
    return _NOT_XML.sub("\ufffd", text)
