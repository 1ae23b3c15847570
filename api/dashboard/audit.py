"""A project's audit trail: each event in a sentence, with what corrected or retracted it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from tracker.i18n import N_, gettext, ngettext
from tracker.i18n.formats import language_name

#: The values a correction may replace (tracker.domain.amendments.CORRECTABLE), as read.
FIELD_LABELS = {
    "amount": N_("amount"),
    "effective_date": N_("effective date"),
    "permanent": N_("permanent jobs"),
    "temporary": N_("temporary jobs"),
    "name": N_("name"),
    "title": N_("title"),
    "sector": N_("sector"),
    "regions": N_("regions"),
    "countries": N_("countries"),
    "parties": N_("parties"),
    "planned_investment": N_("planned investment"),
    "planned_jobs": N_("planned jobs"),
    "planned_start": N_("planned start"),
    "planned_end": N_("planned end"),
}


@dataclass(frozen=True)
class AuditEntry:
    event: s.EventOut
    label: str
    summary: str
    reason: str | None
    state: str  # "", "corrected" or "retracted"
    marks: list[tuple[int, str, str | None]]  # (version, what happened, reason)
    known_then: bool


def _replacement_text(replacement: dict[str, Any]) -> str:
    parts = []
    for name, value in replacement.items():
        label = gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name.replace("_", " ")
        if isinstance(value, dict) and {"amount", "currency"} <= value.keys():
            text = f.full_money(value["amount"], value["currency"])
        elif name in ("effective_date", "planned_start", "planned_end") and isinstance(value, str):
            text = f.day(date.fromisoformat(value))
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value) or gettext("none")
        elif isinstance(value, int) and not isinstance(value, bool):
            text = f.number(value)
        else:
            text = str(value)
        parts.append(f"{label} → {text}")
    return "; ".join(parts) or gettext("no values changed")


def _what(kinds: Mapping[int, str], target: int) -> str:
    kind = kinds.get(target, "")
    return f.event_label(kind).lower() if kind else gettext("event")


def describe(event: s.EventOut, kinds: Mapping[int, str]) -> tuple[str, str | None]:
    """What an event says, in a sentence, and the reason it gives (if any)."""
    p = event.payload
    kind = event.type
    reason = p.get("reason")
    if kind in ("committed", "disbursed"):
        return f.full_money(p["amount"]["amount"], p["amount"]["currency"]), None
    if kind == "jobs_created":
        text = gettext(
            "%(permanent)s permanent, %(temporary)s temporary",
            permanent=f.number(int(p.get("permanent", 0))),
            temporary=f.number(int(p.get("temporary", 0))),
        )
        return text, None
    if kind == "milestone":
        text = str(p.get("name", ""))
        if p.get("description"):
            text += f" — {p['description']}"
        return text, None
    if kind == "status_changed":
        return gettext("Now %(status)s", status=f.status(str(p.get("status", ""))).lower()), reason
    if kind == "completed":
        return gettext("Project closed"), reason
    if kind == "cancelled":
        return gettext("Project cancelled"), reason
    if kind == "corrected":
        target = int(p["corrects"])
        text = gettext(
            "Corrects #%(version)s (%(what)s): %(values)s",
            version=target,
            what=_what(kinds, target),
            values=_replacement_text(p.get("replacement", {})),
        )
        return text, reason
    if kind == "retracted":
        target = int(p["retracts"])
        text = gettext(
            "Retracts #%(version)s (%(what)s)", version=target, what=_what(kinds, target)
        )
        return text, reason
    if kind == "title_translated":
        text = gettext(
            "Title in %(language)s: “%(title)s”",
            language=language_name(str(p.get("language", ""))),
            title=p.get("title", ""),
        )
        return text, None
    if kind == "announced":
        planned = p["planned_investment"]
        jobs = int(p.get("planned_jobs", 0))
        text = ngettext(
            "“%(title)s”: %(sector)s, planned %(money)s and %(jobs)s job",
            "“%(title)s”: %(sector)s, planned %(money)s and %(jobs)s jobs",
            jobs,
            title=p.get("title", ""),
            sector=f.sector(str(p.get("sector", ""))),
            money=f.full_money(planned["amount"], planned["currency"]),
            jobs=f.number(jobs),
        )
        return text, None
    return kind, reason if isinstance(reason, str) else None


def audit_trail(events: list[s.EventOut], known_at: datetime | None) -> list[AuditEntry]:
    """Every event, each marked with the corrections and the retraction aimed at it that
    had been recorded by ``known_at`` (all of them when ``None``): at a past moment an event
    corrected only later is shown as it was then believed."""
    known = {e.version: e for e in events if known_at is None or e.recorded_at <= known_at}
    kinds = {e.version: e.type for e in events}
    entries = []
    for event in events:
        summary, reason = describe(event, kinds)
        marks: list[tuple[int, str, str | None]] = []
        corrected_by = [v for v in event.corrected_by if v in known]
        retracted_by = event.retracted_by if event.retracted_by in known else None
        for version in corrected_by:
            fix = known[version]
            replacement = _replacement_text(fix.payload.get("replacement", {}))
            what = gettext(
                "Corrected by #%(version)s: %(values)s", version=version, values=replacement
            )
            marks.append((version, what, fix.payload.get("reason")))
        if retracted_by is not None:
            fix = known[retracted_by]
            what = gettext("Retracted by #%(version)s", version=retracted_by)
            marks.append((retracted_by, what, fix.payload.get("reason")))
        state = "retracted" if retracted_by else "corrected" if corrected_by else ""
        entries.append(
            AuditEntry(
                event=event,
                label=f.event_label(event.type),
                summary=summary,
                reason=reason if isinstance(reason, str) else None,
                state=state,
                marks=marks,
                known_then=known_at is None or event.recorded_at <= known_at,
            )
        )
    return entries
