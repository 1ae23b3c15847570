"""A project's audit trail: each event in a sentence, with what corrected or retracted it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api import schemas as s
from api.dashboard import format as f


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
        label = name.replace("_", " ")
        if isinstance(value, dict) and {"amount", "currency"} <= value.keys():
            parts.append(f"{label} → {f.full_money(value['amount'], value['currency'])}")
        elif name == "effective_date" and isinstance(value, str):
            parts.append(f"effective date → {f.day(date.fromisoformat(value))}")
        elif isinstance(value, list):
            parts.append(f"{label} → {', '.join(str(v) for v in value) or 'none'}")
        else:
            parts.append(f"{label} → {value}")
    return "; ".join(parts) or "no values changed"


def describe(event: s.EventOut, kinds: Mapping[int, str]) -> tuple[str, str | None]:
    """What an event says, in a sentence, and the reason it gives (if any)."""
    p = event.payload
    kind = event.type
    reason = p.get("reason")
    if kind in ("committed", "disbursed"):
        return f.full_money(p["amount"]["amount"], p["amount"]["currency"]), None
    if kind == "jobs_created":
        return f"{p.get('permanent', 0):,} permanent, {p.get('temporary', 0):,} temporary", None
    if kind == "milestone":
        text = str(p.get("name", ""))
        if p.get("description"):
            text += f" — {p['description']}"
        return text, None
    if kind == "status_changed":
        return f"Now {f.status(str(p.get('status', ''))).lower()}", reason
    if kind == "completed":
        return "Project closed", reason
    if kind == "cancelled":
        return "Project cancelled", reason
    if kind == "corrected":
        target = int(p["corrects"])
        what = f.event_label(kinds.get(target, "")).lower() or "event"
        return (
            f"Corrects #{target} ({what}): {_replacement_text(p.get('replacement', {}))}",
            reason,
        )
    if kind == "retracted":
        target = int(p["retracts"])
        what = f.event_label(kinds.get(target, "")).lower() or "event"
        return f"Retracts #{target} ({what})", reason
    if kind == "announced":
        money_text = f.full_money(
            p["planned_investment"]["amount"], p["planned_investment"]["currency"]
        )
        return (
            f"“{p.get('title', '')}”: {f.sector(str(p.get('sector', '')))}, planned "
            f"{money_text} and {int(p.get('planned_jobs', 0)):,} jobs",
            None,
        )
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
            what = f"Corrected by #{version}: {replacement}"
            marks.append((version, what, fix.payload.get("reason")))
        if retracted_by is not None:
            fix = known[retracted_by]
            marks.append((retracted_by, f"Retracted by #{retracted_by}", fix.payload.get("reason")))
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
