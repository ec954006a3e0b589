"""The plain data cadence rules work on: events on one channel, and what the rules find."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pipeline.cadence.localtime import format_day, local_iso


class Source(StrEnum):
    """Where an event's time comes from."""

    PUBLISHED = "published"  # its real publication time, from the ledger
    SCHEDULED = "scheduled"  # its publish_at
    QUEUED = "queued"        # the slot the queue gives it


PUBLISHED, SCHEDULED, QUEUED = Source.PUBLISHED, Source.SCHEDULED, Source.QUEUED


class Event(NamedTuple):
    """One post on one channel at one time (UTC). A tuple: there are as many as posts x channels."""

    post: str
    at: datetime
    tags: frozenset[str] = frozenset()
    text: str = ""
    source: Source = SCHEDULED
    #: a like or a repost, no post of its own: only the rules about when (and
    #: max_engagements_per_day) count it
    engagement: bool = False


class Mention(NamedTuple):
    """A post of someone else that addressed the channel (state/inbox.jsonl), and our answer's time."""

    #: where people read it (its URL, else the network's id)
    url: str
    #: when it was written (UTC)
    at: datetime
    author: str
    #: mention, reply or quote
    kind: str
    #: when the post answering it goes out (published, else scheduled); None: no answer yet
    answered_at: datetime | None = None
    #: that post's id
    answer: str | None = None


@dataclass(frozen=True)
class CadenceFinding:
    """A rule broken on one channel: which posts, between which times (UTC).

    `blame` is the post to point at in `social validate` (its publish_at line);
    None means the channel as a whole (its entry in channels.yml).
    """

    rule: str
    level: str
    message: str
    posts: tuple[str, ...]
    start: datetime
    end: datetime
    blame: str | None = None

    def as_dict(self, zone: ZoneInfo) -> dict:
        return {
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "posts": list(self.posts),
            "start": local_iso(self.start, zone),
            "end": local_iso(self.end, zone),
        }


@dataclass
class Timeline:
    """One channel's events in time order, with each one's local time worked out once."""

    events: list[Event]
    zone: ZoneInfo
    week_start: int = 0
    now: datetime | None = None
    #: what others addressed to the channel, oldest first (max_unanswered)
    mentions: Sequence[Mention] = ()
    times: list[datetime] = field(init=False, repr=False)
    local: list[datetime] = field(init=False, repr=False)
    dates: list[date] = field(init=False, repr=False)
    _posts: Timeline | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        self.events = sorted(self.events, key=lambda e: (e.at, e.post))
        self.times = [event.at for event in self.events]
        self.local = [moment.astimezone(self.zone) for moment in self.times]
        self.dates = [moment.date() for moment in self.local]

    def posts(self) -> Timeline:
        """The channel without its likes and reposts: what the rules about how much and how often count."""
        if self._posts is None:
            if any(event.engagement for event in self.events):
                self._posts = Timeline([e for e in self.events if not e.engagement], self.zone, self.week_start,
                                       self.now, self.mentions)
            else:
                self._posts = self
        return self._posts

    @property
    def year(self) -> int | None:
        """The year dates are shown without (the year of now)."""
        return self.now.astimezone(self.zone).year if self.now else None

    def when(self, index: int) -> str:
        """`Thu Dec 3 09:30`: local time of event `index`."""
        return f"{format_day(self.dates[index], self.year)} {self.local[index]:%H:%M}"


def ids(events: Iterable[Event]) -> tuple[str, ...]:
    return tuple(event.post for event in events)
