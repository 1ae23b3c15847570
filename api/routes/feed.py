"""The global feed: every event of every project and portfolio, in the order it was stored.

Read straight from the event store's notification log, not from the read model: the feed is
the log, so it is never behind, and a position in it is the one every write returns.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio.to_thread
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent

from api.params import Tracker
from api.presenters.events import feed_event_out
from api.schemas import FeedOut
from api.stream import EventBroadcaster, FeedPage, event_stream
from tracker.application import TrackerApplication
from tracker.domain.errors import N_, ValidationError

MAX_LIMIT = 1000
#: The largest position one may ask for: the databases hold 64-bit integers and fail on a
#: larger one; 2**53 is also the largest integer JSON (and the OpenAPI document) keeps exact.
MAX_POSITION = 2**53

Broadcaster = NamedDependency[EventBroadcaster]
After = Annotated[
    int,
    QueryParameter(ge=0, le=MAX_POSITION, description="Only events after this global position."),
]
LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        required=False,
        description="Resume after this position (browsers send it when they reconnect).",
    ),
]


def read_feed(tracker: TrackerApplication, after: int, limit: int) -> FeedPage:
    page = tracker.events_after(after, limit)
    items = [feed_event_out(position, event) for position, event in page.events]
    return FeedPage(items, page.last, page.full)


def resume_position(last_event_id: str | None, after: int | None) -> int | None:
    """Where a stream starts: ``Last-Event-ID`` wins over ``after``, because a reconnecting
    browser sends the header with the URL it first opened."""
    if last_event_id is None:
        return after
    text = last_event_id.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_POSITION:
        raise ValidationError(
            N_("must be the id of an event this stream sent, a global position such as 42"),
            field="Last-Event-ID",
        )
    return int(text)


class FeedController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get("/", sync_to_thread=True, summary="Every event, in the order it was stored")
    def feed(
        self,
        tracker: Tracker,
        after: After = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
    ) -> FeedOut:
        """Page with ``after=next_after``; a page whose ``next_after`` is the ``after`` it was
        asked with means nothing newer is stored yet. An event that cannot be read is left out
        (the read model sets it aside too, and ``/ready`` names it)."""
        page = read_feed(tracker, after, limit)
        return FeedOut(page.items, page.last)

    @get("/stream", summary="New events as Server-Sent Events", media_type="text/event-stream")
    async def stream(
        self,
        tracker: Tracker,
        broadcaster: Broadcaster,
        last_event_id: LastEventId = None,
        after: Annotated[
            # The inner bounds are for the schema (see MinPosition), the outer ones are checked.
            Annotated[int, QueryParameter(ge=0, le=MAX_POSITION)] | None,
            QueryParameter(
                ge=0, le=MAX_POSITION, description="Start after this position (without the header)."
            ),
        ] = None,
    ) -> ServerSentEvent:
        """Each event as ``id: <position>``, ``event: <type>``, ``data: <feed item>``.

        Without ``Last-Event-ID`` or ``after`` the stream starts at the newest event: read the
        feed first and pass its ``next_after`` to see everything without a gap. Async on
        purpose: a thread per connected client would exhaust the pool.
        """
        start = resume_position(last_event_id, after)
        if start is None:
            head = await anyio.to_thread.run_sync(tracker.recorder.max_notification_id)
            start = head or 0
        return ServerSentEvent(event_stream(broadcaster, partial(read_feed, tracker), start))
