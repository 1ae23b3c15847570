"""Value objects: money, sources, envelopes and the codes they are checked against."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import pycountry

from tracker.domain.errors import N_, ValidationError

# ASCII digits only: ``\d`` would also read "٥" or "１２" as numbers.
AMOUNT = re.compile(r"^-?[0-9]{1,18}(\.[0-9]{1,6})?$")
#: Control characters (Unicode category Cc). A line of text may hold none; free text may
#: hold tabs and line breaks. PostgreSQL cannot store NUL in text at all.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The earliest effective date the tracker accepts: older dates are typing errors (1927 for
#: 2027, 0001 for a blank), and each one would stretch every timeline over decades.
EARLIEST_DATE = date(1950, 1, 1)
#: Planned dates may lie in the future, but not beyond this.
LATEST_PLANNED_DATE = date(2100, 12, 31)
#: How far past the recorder's today an effective date may lie (time zones east of UTC).
FUTURE_SLACK = timedelta(days=1)


def parse_amount(text: str, *, field: str = "amount") -> Decimal:
    """Read a money amount from its decimal string form; floats never reach the domain."""
    if not isinstance(text, str) or not AMOUNT.match(text):
        raise ValidationError(
            N_('%(text)r is not a decimal amount such as "1500000.00"'), text=text, field=field
        )
    try:
        return Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern already rules it out
        raise ValidationError(
            N_("%(text)r is not a decimal amount"), text=text, field=field
        ) from error


def check_currency(code: str, *, field: str = "currency") -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationError(
            N_("%(code)r is not an ISO 4217 currency code"), code=code, field=field
        )
    return code


def check_country(code: str, *, field: str = "countries") -> str:
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(
            N_("%(code)r is not an ISO 3166-1 alpha-2 country code"), code=code, field=field
        )
    return code


def check_region(code: str, *, field: str = "regions") -> str:
    if pycountry.subdivisions.get(code=code) is None:  # type: ignore[no-untyped-call]
        raise ValidationError(
            N_("%(code)r is not an ISO 3166-2 subdivision code"), code=code, field=field
        )
    return code


def check_text(value: str, *, field: str, max_length: int = 500, free: bool = False) -> str:
    """A trimmed, non-blank text of at most ``max_length`` characters with no control
    characters; ``free`` text (a reason, a description) may hold tabs and line breaks."""
    stripped = value.strip()
    if not stripped:
        raise ValidationError(N_("must not be blank"), field=field)
    if len(stripped) > max_length:
        raise ValidationError(
            N_("must be at most %(max_length)s characters"), max_length=max_length, field=field
        )
    control = (_CONTROL_IN_TEXT if free else _CONTROL_IN_LINE).search(stripped)
    if control:
        code = f"{ord(control.group()):04X}"
        if free:
            raise ValidationError(
                N_("must not contain the control character U+%(code)s"), code=code, field=field
            )
        raise ValidationError(
            N_("must not contain the control character U+%(code)s (this text is one line)"),
            code=code,
            field=field,
        )
    return stripped


def check_optional_text(
    value: str | None, *, field: str, max_length: int = 500, free: bool = False
) -> str | None:
    return (
        None if value is None else check_text(value, field=field, max_length=max_length, free=free)
    )


def check_effective_date(
    day: date, *, field: str = "effective_date", today: date | None = None
) -> date:
    """An effective date is when something happened: not before :data:`EARLIEST_DATE` and,
    when the recorder's ``today`` is known, not after it (with a day of slack)."""
    if day < EARLIEST_DATE:
        raise ValidationError(
            N_("%(day)s is before %(earliest_date)s, the earliest date the tracker accepts"),
            day=day,
            earliest_date=EARLIEST_DATE,
            field=field,
        )
    if today is not None and day > today + FUTURE_SLACK:
        raise ValidationError(
            N_("%(day)s is in the future; record facts once they have happened"),
            day=day,
            field=field,
        )
    return day


def check_planned_date(day: date | None, *, field: str) -> date | None:
    if day is not None and not EARLIEST_DATE <= day <= LATEST_PLANNED_DATE:
        raise ValidationError(
            N_(
                "%(day)s is outside the planned dates the tracker accepts (%(earliest_date)s to "
                "%(latest_planned_date)s)"
            ),
            day=day,
            earliest_date=EARLIEST_DATE,
            latest_planned_date=LATEST_PLANNED_DATE,
            field=field,
        )
    return day


@dataclass(frozen=True)
class Money:
    """An exact amount in one ISO 4217 currency. Never converted inside the domain."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str, currency: str, *, field: str = "amount") -> Money:
        return cls(parse_amount(amount, field=field), check_currency(currency, field=field))


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a document title and, when public, its address."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class Envelope:
    """What every event carries besides its payload.

    ``idempotency_key`` and ``command_digest`` make retried requests safe: the key is stored
    inside the event itself, so the check is as durable and atomic as the event. ``today`` is
    the recorder's date, when known: effective dates after it are refused. It is not stored.

    ``simulated_at`` is a recording time that did not really happen, which only the offline
    demo loader gives (the API and imports never set a recorded time): the event is recorded
    as of then and marked ``simulated``, wherever it is stored and shown.
    """

    actor: str
    effective_date: date
    source: Source | None = None
    idempotency_key: str | None = None
    command_digest: str | None = None
    today: date | None = None
    simulated_at: datetime | None = None


def check_envelope(envelope: Envelope) -> Envelope:
    """Check what an event will carry besides its payload; return the envelope as stored."""
    check_effective_date(envelope.effective_date, today=envelope.today)
    source = envelope.source
    if source is not None:
        url = source.url
        if url is not None and (
            not url.startswith(("http://", "https://"))
            or _CONTROL_IN_LINE.search(url)
            or " " in url
        ):
            raise ValidationError(
                N_("must be an http:// or https:// address without spaces"), field="source.url"
            )
        title = check_text(source.title, field="source.title")
        if title != source.title:
            source = Source(title, url)
    actor = check_text(envelope.actor, field="actor", max_length=200)
    if actor == envelope.actor and source is envelope.source:
        return envelope  # already as stored (most are: replace() is a tenth of a row's import)
    return replace(envelope, actor=actor, source=source)
