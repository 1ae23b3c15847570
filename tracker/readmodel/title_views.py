"""How projects' titles in the readers' languages reach the read model (``rm_project_titles``).

Each ``TitleTranslated`` event is one row, never changed: the title of a project in a language
known at a moment is that of its latest row recorded by then (tracker/readmodel/titles.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from tracker.readmodel.views import Views

Row = dict[str, Any]


class TitleRows:
    """The title rows one batch adds."""

    def __init__(self, views: Views) -> None:
        self.table = views.project_titles
        self.new: list[Row] = []

    def add(self, event: Any, common: Row, position: int, recorded_at: datetime) -> None:
        self.new.append(
            {
                **common,
                "version": event.originator_version,
                "language": event.language,
                "title": event.title,
                "recorded_at": recorded_at,
                "recorded_position": position,
            }
        )

    def write(self, conn: Connection) -> None:
        if self.new:
            conn.execute(insert(self.table), self.new)
