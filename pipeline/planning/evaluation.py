"""Cadence over a whole repository: posts become events per channel, each channel's rules run.

`events_from_content` is the one place that knows about posts and the ledger;
everything after it works on plain events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from pipeline.cadence.declaration import Rule
from pipeline.cadence.events import PUBLISHED, SCHEDULED, CadenceFinding, Event, Timeline
from pipeline.cadence.localtime import WEEK_STARTS
from pipeline.cadence.registry import check
from pipeline.content.model import Config, Content, Post, PostStatus

#: (post id, channel id) -> when it really went out (UTC), as the ledger records it
Published = Mapping[tuple[str, str], datetime]


def events_from_content(content: Content, published: Published | None = None,
                        posts: Iterable[Post] | None = None) -> dict[str, list[Event]]:
    """Per channel, the posts that count, in time order (`posts`, default: those without errors).

    A post counts at its real publication time when `published` has it, else at its
    publish_at. Drafts and retracted posts never count; queued posts count once
    they have a time.
    """
    published = published or {}
    channels = content.config.channels if content.config else {}
    events: dict[str, list[Event]] = {channel: [] for channel in channels}
    for post in content.usable_posts() if posts is None else posts:
        if post.status != PostStatus.READY:
            continue
        tags = frozenset(post.tags)
        for channel in post.channels:
            if channel not in events:
                continue
            real = published.get((post.id, channel))
            at = real or post.publish_at
            if at is None:
                continue
            if channel in post.overrides:
                event = post_event(post, channel, at, PUBLISHED if real else SCHEDULED)
            else:
                event = Event(post.id, at, tags, post.body, PUBLISHED if real else SCHEDULED)
            events[channel].append(event)
    for channel_events in events.values():
        channel_events.sort(key=lambda event: (event.at, event.post))
    return events


def post_event(post: Post, channel: str, at: datetime, source: str) -> Event:
    """The event of `post` on `channel`: the text and tags that channel gets."""
    return Event(post.id, at, frozenset(post.tags_for(channel)), post.text_for(channel), source)


@dataclass
class ChannelCadence:
    """One channel's timeline and what its rules find from `now` on."""

    channel: str
    rules: Mapping[str, Rule]
    line: Timeline
    findings: list[CadenceFinding]

    def day_counts(self, since: date | None = None) -> dict[date, int]:
        counts: dict[date, int] = {}
        for day in self.line.dates:
            if since is None or day >= since:
                counts[day] = counts.get(day, 0) + 1
        return counts


def evaluate(config: Config, events: Mapping[str, list[Event]], now: datetime | None = None
             ) -> dict[str, ChannelCadence]:
    """Run every channel's rules. With `now`, findings that ended before it are left out:
    the past cannot be changed, but it still counts (a gap after the last published post)."""
    result = {}
    for channel_id, channel in config.channels.items():
        line = Timeline(list(events.get(channel_id, [])), config.zone,
                        WEEK_STARTS[config.week_start], now)
        findings = check(line, channel.cadence)
        if now is not None:
            findings = [f for f in findings if f.end >= now]
        result[channel_id] = ChannelCadence(channel_id, channel.cadence, line, findings)
    return result
