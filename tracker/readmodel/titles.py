"""Which title a reader is shown: the project's title in the reader's language when one was
given (``Project.TitleTranslated``, as known at the moment), else the title as entered.

The one place the dashboard's views and downloads pick a project's title; the API's JSON
keeps ``title`` as entered and lists the translations in ``titles``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, select

from tracker.readmodel import tables as t
from tracker.readmodel.database import naive_utc
from tracker.readmodel.queries import ProjectRow

#: Project ids per ``IN (…)``.
CHUNK = 1000
_T = t.project_titles.c


def shown_title(title: str, titles: Mapping[str, str], language: str) -> str:
    """``title`` (as entered) in ``language`` when ``titles`` (by language) has it."""
    return titles.get(language, title)


def titles_in(
    conn: Connection, project_ids: Iterable[str], language: str, known_at: datetime | None
) -> dict[str, str]:
    """The title in ``language`` of each of these projects that had one given by ``known_at``
    (the latest given; ``None``: now), by project id."""
    wanted = sorted(set(project_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(_T.project_id, _T.title)
            .where(_T.project_id.in_(wanted[start : start + CHUNK]))
            .where(_T.language == language)
            .order_by(_T.project_id, _T.version)
        )
        if known_at is not None:
            query = query.where(_T.recorded_at <= naive_utc(known_at))
        for row in conn.execute(query):
            found[row.project_id] = row.title  # the later version replaces the earlier
    return found


def in_language(
    conn: Connection, rows: Sequence[ProjectRow], language: str, known_at: datetime | None
) -> list[ProjectRow]:
    """``rows`` with each title shown in ``language`` where one was given by ``known_at``."""
    titles = titles_in(conn, (row.project_id for row in rows), language, known_at)
    return [
        replace(row, title=titles[row.project_id]) if row.project_id in titles else row
        for row in rows
    ]
