"""Calendar feeds: the whole plan and one per channel, as iCalendar (RFC 5545) files.

Each event is one post on one channel. Its UID is made from the post id and the
channel only, so a calendar that subscribed updates the event when the post's time or
title changes instead of adding a second one. Times are in UTC.

A feed holds the future and a window of the past (90 days unless told): calendar apps
refuse, or time out on, the megabytes that years of posts make, and a subscriber plans
with what is coming. The archive is the site's.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from icalendar import Calendar as ICalendar
from icalendar import Event

from pipeline.content.model import PostStatus
from pipeline.site.calendar import Calendar, PostView

PRODID = "-//social-media-as-code//content calendar//EN"
UID_DOMAIN = "social-media-as-code"
EVENT_LENGTH = timedelta(minutes=15)
DEFAULT_PAST = timedelta(days=90)  # how far back a feed reaches
DESCRIPTION_TEXT = 160  # characters of the post's text in an event; the preview link has the rest
_STATUS = {PostStatus.DRAFT: "TENTATIVE", PostStatus.RETRACTED: "CANCELLED"}


def event_uid(post_id: str, channel: str) -> str:
    """The stable UID of a post on a channel: it never depends on the time or the title."""
    return f"{post_id}.{channel}@{UID_DOMAIN}"


class KeptEvents(Protocol):
    """Serialized events kept between builds (site/pagecache.py): by key, with `STAMP_MARK` for DTSTAMP."""

    made: dict[str, dict[str, tuple[str, bytes]]]  # post file -> channel -> (key, the event) made this build

    def key(self, view: PostView, channel: str, url: str) -> str | None: ...

    def get(self, view: PostView, channel: str, key: str) -> bytes | None: ...


#: what stands in a kept event for its DTSTAMP line (the build's now, the same in every event)
STAMP_MARK = b"\r\nDTSTAMP:@\r\n"


def feeds(calendar: Calendar, post_url, name: str = "Content calendar", *,
          past: timedelta = DEFAULT_PAST, kept: KeptEvents | None = None) -> dict[str | None, bytes]:
    """The iCalendar file of every timed post (key None) and of each channel (key: its id), from
    `past` before the calendar's now on.

    `post_url(view)` gives the absolute (or site-relative) URL of a post's page. Each
    event is serialized once and shared by the two feeds that hold it: icalendar's
    line folding is most of the cost of 20,000 events. An event `kept` holds under its key is
    used again; the others are put in `kept.made`.
    """
    events: dict[str | None, list[bytes]] = {None: [], **{channel: [] for channel in calendar.channel_ids}}
    stamp = calendar.now.astimezone(UTC).replace(microsecond=0)
    stamp_line = f"\r\nDTSTAMP:{stamp:%Y%m%dT%H%M%SZ}\r\n".encode()
    since = calendar.now - past
    for view in calendar.timed():
        if view.post.publish_at < since:
            continue
        url = post_url(view)
        for channel in view.channels_in(calendar.config):
            key = kept.key(view, channel, url) if kept is not None else None
            found = kept.get(view, channel, key) if key is not None else None
            if found is not None:
                data = found.replace(STAMP_MARK, stamp_line, 1)
            else:
                data = serialize(_event(view, channel, url, stamp))
                if key is not None and data.count(stamp_line) == 1:
                    kept.made.setdefault(view.post.file, {})[channel] = (key, data.replace(stamp_line, STAMP_MARK, 1))
            events[None].append(data)
            events[channel].append(data)
    about = f"Posts from {since.astimezone(calendar.zone):%Y-%m-%d} on; older ones are on the calendar site."
    return {channel: _wrap(name if channel is None else f"{name}: {channel}", about, chunks)
            for channel, chunks in events.items()}


def feed(calendar: Calendar, post_url, channel: str | None = None, name: str = "Content calendar", *,
         past: timedelta = DEFAULT_PAST) -> bytes:
    """One feed of `feeds`: every channel's (None) or one channel's."""
    return feeds(calendar, post_url, name, past=past)[channel]


def feeds_in_background(calendar: Calendar, post_url, name: str = "Content calendar", *,
                        past: timedelta = DEFAULT_PAST, threshold: int = 2000,
                        kept: KeptEvents | None = None) -> Callable[[], dict[str | None, bytes]]:
    """Start `feeds` in a forked process when there are more than `threshold` posts in them and a spare core;
    the returned function gives the result (computed here when there was no process or it failed), and
    puts the events the process made in `kept.made`.

    A big calendar's feeds take about as long as its pages: on two cores they overlap.
    """
    def here() -> dict[str | None, bytes]:
        return feeds(calendar, post_url, name, past=past, kept=kept)

    def there() -> tuple[dict[str | None, bytes], dict | None]:
        return here(), kept.made if kept is not None else None

    since = calendar.now - past
    if (sum(1 for view in calendar.timed() if view.post.publish_at >= since) <= threshold
            or (os.cpu_count() or 1) < 2
            or "fork" not in multiprocessing.get_all_start_methods()):
        return here
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_feeds_child, args=(send, there), daemon=True)
    process.start()
    send.close()

    def result() -> dict[str | None, bytes]:
        try:
            data, made = receive.recv()
        except (EOFError, OSError, TypeError):
            data = made = None
        finally:
            receive.close()
            process.join()
        if data is None:
            return here()
        if kept is not None and made:
            kept.made.update(made)
        return data

    return result


def _feeds_child(send, work: Callable[[], dict]) -> None:
    try:
        data = work()
    except Exception:  # the parent computes them itself and reports what goes wrong
        data = None
    send.send(data)
    send.close()


def serialize(component) -> bytes:
    """`component.to_ical()`, with a faster fold for the lines that need one.

    icalendar escapes and formats every value; its line folding walks each line
    character by character, which is most of the time for a big feed, though nearly
    every line is shorter than 75 octets and needs none.
    """
    return b"".join(fold(line) + b"\r\n" for line in component.content_lines() if line)


def fold(line: str, limit: int = 75) -> bytes:
    """One content line as UTF-8, folded (RFC 5545 3.1) before `limit` octets, never inside a
    character nor right after a backslash (as icalendar does, for clients that split escapes)."""
    data = line.encode("utf-8")
    if len(data) < limit:
        return data
    pieces, start, room = [], 0, limit - 1
    while len(data) - start > room:
        end = start + room
        while end > start + 1 and (data[end] & 0xC0) == 0x80:  # a continuation byte: back up
            end -= 1
        if data[end - 1:end] in (b"\\", b"^") and end - 1 > start:
            end -= 1
        pieces.append(data[start:end])
        start, room = end, limit - 2  # later lines start with the folding space
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def _wrap(name: str, about: str, events: list[bytes]) -> bytes:
    ical = ICalendar()
    ical.add("prodid", PRODID)
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    ical.add("x-wr-calname", name)
    ical.add("x-wr-caldesc", about)
    ical.add("x-wr-timezone", "UTC")
    empty = ical.to_ical()
    end = empty.rindex(b"END:VCALENDAR")
    return empty[:end] + b"".join(events) + empty[end:]


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
    text = " ".join(post.body.split())
    lines += ["", text if len(text) <= DESCRIPTION_TEXT else text[:DESCRIPTION_TEXT - 3] + "...", "",
              f"Preview: {url}"]
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("status", _STATUS.get(post.status, "CONFIRMED"))
    event.add("categories", [channel, *post.tags])
    if view.change is not None:
        event.add("last-modified", view.change.at.astimezone(UTC))
    return event
