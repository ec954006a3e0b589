"""What the calendar site shows, gathered once per build: posts, their state per channel, cadence.

Plain data over the library: `load_content` for the posts, the ledger for what went
out, the cadence engine for per-day counts and findings, one `git log` for last changes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from pipeline.cadence.localtime import WEEK_STARTS
from pipeline.content.model import Config, Content, Media, Post, PostStatus
from pipeline.content.profiles import Profile
from pipeline.planning.answers import InboxEntry, inbox_entries, mentions_by_channel
from pipeline.planning.evaluation import ChannelCadence, evaluate, events_from_content
from pipeline.site.gitlog import Change
from pipeline.state.inbox import InboxRecord
from pipeline.state.ledger import (
    DELETED,
    FAILED,
    MISSED,
    PENDING,
    PUBLISHED,
    UNCERTAIN,
    UNREADABLE,
    Entry,
    LedgerState,
    published_times,
)


class Shown(StrEnum):
    """A post's state on one channel as the site shows it: the ledger's, the post's or the clock's."""

    FAILED = LedgerState.FAILED.value
    UNCERTAIN = LedgerState.UNCERTAIN.value
    MISSED = LedgerState.MISSED.value
    PENDING = LedgerState.PENDING.value
    DUE = "due"
    PUBLISHED = LedgerState.PUBLISHED.value
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    UNSCHEDULED = "unscheduled"
    DRAFT = PostStatus.DRAFT.value
    RETRACTED = PostStatus.RETRACTED.value


# Worst first: the chip of a post shows its worst.
STATES_BY_CONCERN = tuple(Shown)

_LABELS = {
    Shown.FAILED: "failed",
    Shown.UNCERTAIN: "uncertain: a person must resolve it",
    Shown.MISSED: "missed (too late to post)",
    Shown.PENDING: "being published",
    Shown.DUE: "due, not published yet",
    Shown.PUBLISHED: "published",
    Shown.SCHEDULED: "scheduled",
    Shown.QUEUED: "queued for the next free slot",
    Shown.UNSCHEDULED: "no time yet",
    Shown.DRAFT: "draft",
    Shown.RETRACTED: "retracted",
}

_SAFE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_UNSAFE_RUN = re.compile(r"[^a-z0-9_]+")


#: longest slug used as is: a page's path must stay far below a file name's 255 bytes
MAX_SLUG = 80


def slug(text: str) -> str:
    """A file-name-safe slug; text that is not one already (or is long) gets a short hash to stay unique."""
    if len(text) <= MAX_SLUG and _SAFE.match(text):
        return text
    base = _UNSAFE_RUN.sub("-", text.lower()).strip("-")[:40] or "x"
    return f"{base}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def web_url(url: object) -> str | None:
    """`url` when it is an http(s) URL with a host, else None: nothing else becomes a link."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in url for c in "\n\r\t"):
        return url.strip()
    return None


@dataclass(frozen=True)
class LinkCardData:
    """What a linked page says about itself, as read when a post was published (or stored in content/)."""

    url: str
    title: str = ""
    description: str = ""
    #: its picture, kept under content/ (a ledger keeps no pictures)
    image: Media | None = None


def card_key(url: str) -> str:
    """A link without its campaign parameters and fragment: each channel adds its own utm_*."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


@dataclass(frozen=True)
class ChannelState:
    """A post on one channel, as the ledger and the schedule say."""

    channel: str
    kind: Shown
    url: str | None = None  # the live post (http(s) only)
    error: str | None = None
    at: datetime | None = None  # when the ledger last recorded it (UTC)

    @property
    def label(self) -> str:
        return _LABELS[self.kind]


@dataclass
class PostView:
    """One post as the site shows it."""

    post: Post
    slug: str
    states: dict[str, ChannelState]
    change: Change | None = None

    @property
    def id(self) -> str:
        return self.post.id

    @property
    def title(self) -> str:
        return self.post.title or self.post.id

    def channels_in(self, config: Config) -> list[str]:
        """Its channels that channels.yml has."""
        return [channel for channel in self.post.channels if channel in config.channels]

    @property
    def kind(self) -> str:
        """The state that most needs attention across its channels."""
        kinds = {state.kind for state in self.states.values()} or {"unscheduled"}
        return next(k for k in STATES_BY_CONCERN if k in kinds)


@dataclass(frozen=True)
class InboxShown:
    """The inbox page's items, and where they come from."""

    entries: list[InboxEntry] = field(default_factory=list)
    #: sample data shipped for the example (the plugin's `sample_inbox`), not collected from any network
    sample: bool = False
    #: the file read, relative to the content root; None when there is none
    source: str | None = None

    @property
    def waiting(self) -> list[InboxEntry]:
        """What waits for an answer, oldest first."""
        return [entry for entry in self.entries if entry.waiting]

    @property
    def answered(self) -> list[InboxEntry]:
        """What has an answer going out or out already, newest first."""
        return [entry for entry in self.entries if not entry.waiting][::-1]


@dataclass
class Calendar:
    """Everything the pages show, computed once per build."""

    content: Content
    config: Config
    now: datetime
    posts: list[PostView]
    cadence: dict[str, ChannelCadence]
    changes: dict[str, Change] = field(default_factory=dict)
    inbox: InboxShown = field(default_factory=InboxShown)
    #: content/profiles/<channel>.yml, by channel
    profiles: dict[str, Profile] = field(default_factory=dict)
    #: Open Graph data of linked pages, by `card_key` of the link
    link_cards: dict[str, LinkCardData] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.zone: ZoneInfo = self.config.zone
        self.today: date = self.now.astimezone(self.zone).date()
        self.week_start: int = WEEK_STARTS[self.config.week_start]
        self.channel_ids: list[str] = list(self.config.channels)
        self.colour = {channel: index % 8 for index, channel in enumerate(self.channel_ids)}
        self.by_id = {view.id: view for view in self.posts}
        self.by_day: dict[date, list[PostView]] = defaultdict(list)
        self.tags: dict[str, list[PostView]] = defaultdict(list)
        for view in self.posts:
            for tag in view.post.tags:
                self.tags[tag].append(view)
            if view.post.publish_at is None:
                continue
            self.by_day[view.post.publish_at.astimezone(self.zone).date()].append(view)
        self.tag_slugs = {tag: slug(tag) for tag in self.tags}
        self.day_counts = {cid: result.day_counts() for cid, result in self.cadence.items()}
        self.limits = {cid: result.rules["max_per_day"].value for cid, result in self.cadence.items()
                       if "max_per_day" in result.rules}

    def over_limit(self, day: date) -> list[tuple[str, int, int]]:
        """(channel, posts that day, its max_per_day) for each channel over its limit on `day`."""
        over = []
        for channel, limit in self.limits.items():
            count = self.day_counts[channel].get(day, 0)
            if count > limit:
                over.append((channel, count, limit))
        return over

    def month_has_posts(self, month: date) -> bool:
        return any(day.year == month.year and day.month == month.month for day in self.by_day)

    def months(self) -> list[date]:
        """First days of every month from the first post to the last, and the current month."""
        days = [*self.by_day, self.today]
        first, last = min(days), max(days)
        months, month = [], first.replace(day=1)
        while month <= last:
            months.append(month)
            month = next_month(month)
        return months

    def images(self) -> list[Media]:
        """Images besides the posts' own: the profiles' avatars and the stored link cards' pictures."""
        avatars = [profile.avatar for profile in self.profiles.values() if profile.avatar]
        return avatars + [card.image for card in self.link_cards.values() if card.image]

    def timed(self) -> list[PostView]:
        return [view for view in self.posts if view.post.publish_at is not None]


def next_month(month: date) -> date:
    """The first day of the month after `month`."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def channel_states(post: Post, entries: dict[str, list[Entry]], now: datetime) -> dict[str, ChannelState]:
    """The state of `post` on each of its channels; `entries` are the ledger's current parts by channel."""
    states = {}
    for channel in post.channels:
        states[channel] = channel_state(post, channel, entries.get(channel, []), now)
    return states


def channel_state(post: Post, channel: str, parts: list[Entry], now: datetime) -> ChannelState:
    """One channel's state: the post's own status first, then the ledger, then the clock."""
    # an unreadable part waits for a person exactly as an uncertain one does
    parts = sorted((replace(e, state=UNCERTAIN) if e.state == UNREADABLE else e for e in parts),
                   key=lambda entry: entry.part)
    live = next((web_url(e.url) for e in parts if e.state == PUBLISHED and web_url(e.url)), None)
    last_at = _parse_at(max((e.at for e in parts), default=None))
    if post.status == PostStatus.DRAFT:
        return ChannelState(channel, Shown.DRAFT)
    if post.status == PostStatus.RETRACTED or any(e.state == DELETED for e in parts):
        return ChannelState(channel, Shown.RETRACTED, url=live, at=last_at)
    states = {e.state for e in parts}
    for state in (FAILED, UNCERTAIN, MISSED, PENDING):
        if state in states:
            error = next((e.error for e in parts if e.state == state and e.error), None)
            return ChannelState(channel, Shown(state.value), url=live, error=error, at=last_at)
    if parts and states == {PUBLISHED}:
        return ChannelState(channel, Shown.PUBLISHED, url=live, at=last_at)
    if post.publish_at is None:
        return ChannelState(channel, Shown.QUEUED if post.queue else Shown.UNSCHEDULED)
    return ChannelState(channel, Shown.SCHEDULED if post.publish_at > now else Shown.DUE)


def _parse_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def ledger_by_post(entries) -> dict[str, dict[str, list[Entry]]]:
    """The ledger's current entries grouped by post, then channel: one pass over the ledger."""
    grouped: dict[str, dict[str, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        grouped[entry.post][entry.channel].append(entry)
    return grouped


def cards_in_ledger(entries) -> dict[str, LinkCardData]:
    """The link cards networks read when they published (Bluesky keeps its card in the entry's data)."""
    cards: dict[str, LinkCardData] = {}
    for entry in entries:
        card = entry.data.get("card") if entry.data else None
        if isinstance(card, dict) and web_url(card.get("uri")):
            cards[card_key(card["uri"])] = LinkCardData(
                card["uri"], str(card.get("title") or ""), str(card.get("description") or ""))
    return cards


def build_calendar(content: Content, ledger_entries, now: datetime,
                   changes: dict[str, Change] | None = None, inbox: list[InboxRecord] | None = None, *,
                   inbox_sample: bool = False, inbox_source: str | None = None,
                   profiles: list[Profile] | None = None,
                   link_cards: dict[str, LinkCardData] | None = None) -> Calendar:
    """The calendar of `content` (with a usable config) at `now`, from the ledger's current entries and
    the inbox's items (state/inbox.jsonl, or sample data).

    Link cards stored with the content (`link_cards`) win over those the ledger recorded."""
    config = content.config
    current = list(ledger_entries)
    grouped = ledger_by_post(current)
    slugs: set[str] = set()
    views = []
    for post in content.usable_posts():
        name = slug(post.id)
        while name in slugs:  # two ids that slug alike (only possible for unsafe ids)
            name += "-"
        slugs.add(name)
        views.append(PostView(post, name, channel_states(post, grouped.get(post.id, {}), now),
                              (changes or {}).get(post.file)))
    far = datetime.max.replace(tzinfo=UTC)
    views.sort(key=lambda v: (v.post.publish_at or far, v.id))
    published = published_times(current)
    entries = inbox_entries(inbox or [], content, current)
    cadence = evaluate(config, events_from_content(content, published), now, mentions_by_channel(entries))
    cards = {**cards_in_ledger(current), **(link_cards or {})}
    return Calendar(content, config, now, views, cadence, changes or {},
                    InboxShown(entries, inbox_sample, inbox_source),
                    {profile.channel: profile for profile in profiles or ()}, cards)
