"""Calendar feeds: the whole plan and one per channel, as iCalendar (RFC 5545) files.

Each event is one post on one channel. Its UID is made from the post id and the
channel only, so a calendar that subscribed updates the event when the post's time or
title changes instead of adding a second one. Times are in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar as ICalendar
from icalendar import Event

from pipeline.site.calendar import Calendar, PostView

PRODID = "-//social-media-as-code//content calendar//EN"
UID_DOMAIN = "social-media-as-code"
EVENT_LENGTH = timedelta(minutes=15)
_STATUS = {"draft": "TENTATIVE", "retracted": "CANCELLED"}


def event_uid(post_id: str, channel: str) -> str:
    """The stable UID of a post on a channel: it never depends on the time or the title."""
    return f"{post_id}.{channel}@{UID_DOMAIN}"


def feed(calendar: Calendar, post_url, channel: str | None = None, name: str = "Content calendar") -> bytes:
    """The iCalendar file of every timed post (on `channel`, or on every channel).

    `post_url(view)` gives the absolute (or site-relative) URL of a post's page.
    """
    ical = ICalendar()
    ical.add("prodid", PRODID)
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    ical.add("x-wr-calname", name if channel is None else f"{name}: {channel}")
    ical.add("x-wr-timezone", "UTC")
    stamp = calendar.now.astimezone(UTC).replace(microsecond=0)
    for view in calendar.timed():
        for post_channel in view.post.channels:
            if post_channel not in calendar.config.channels or channel not in (None, post_channel):
                continue
            ical.add_component(_event(view, post_channel, post_url(view), stamp))
    return ical.to_ical()


def _event(view: PostView, channel: str, url: str, stamp: datetime) -> Event:
    post = view.post
    state = view.states[channel]
    start = post.publish_at.astimezone(UTC)
    event = Event()
    event.add("uid", event_uid(post.id, channel))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + EVENT_LENGTH)
    event.add("summary", f"[{channel}] {view.title}")
    lines = [f"{channel}: {state.label}"]
    if state.url:
        lines.append(f"Live post: {state.url}")
    if post.tags:
        lines.append("Tags: " + ", ".join(post.tags))
    lines += ["", post.body.strip()[:1000], "", f"Preview: {url}"]
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("status", _STATUS.get(post.status, "CONFIRMED"))
    event.add("categories", [channel, *post.tags])
    if view.change is not None:
        event.add("last-modified", view.change.at.astimezone(UTC))
    return event
