"""state/metrics.jsonl read back: followers over time, and what each post earned.

Pure functions over the lines `social stats collect` appends (docs/growth.md has
their shape). A channel's follower count is one line a day; a part's counts are a
line whenever they changed, so its last line holds what it has earned so far. A
post's engagement is the sum over its parts of likes, reposts, replies and quotes,
on one channel. Lines that cannot be used are skipped and counted, never fatal:
the history is for looking at, nothing is decided by it that cannot be undone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.state.journal import Journal

METRICS_FILE = "metrics.jsonl"
ACCOUNT = "account"
POST = "post"
COUNTS = ("likes", "reposts", "replies", "quotes")
#: a post younger than this at the last reading is still gathering most of its engagement: it is
#: left out where posts are compared with each other (best hours, best days)
SETTLED = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class PostResult:
    """What one post earned on one channel, over all its parts, at its latest readings."""

    post: str
    channel: str
    published: datetime | None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    url: str | None = None
    #: when its counts were last read (changed)
    read_at: datetime | None = None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


@dataclass(frozen=True, slots=True)
class Average:
    """Mean engagement per post of a group of posts (a weekday, an hour)."""

    key: int
    posts: int
    total: int

    @property
    def mean(self) -> float:
        return self.total / self.posts if self.posts else 0.0


@dataclass
class History:
    """Every reading of state/metrics.jsonl (or a sample of it), ready to chart."""

    #: channel -> [(when, followers)], in time order
    followers: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    #: every post with counts, by (post, channel)
    posts: dict[tuple[str, str], PostResult] = field(default_factory=dict)
    #: the latest reading of any kind: "the last 30 days" end here, not at the clock
    last_reading: datetime | None = None
    #: lines skipped, and why
    warnings: list[str] = field(default_factory=list)
    #: where the lines came from
    source: str = ""

    @property
    def empty(self) -> bool:
        return not self.followers and not self.posts

    @property
    def channels(self) -> list[str]:
        return sorted(set(self.followers) | {channel for _, channel in self.posts})

    def settled_posts(self, channel: str | None = None) -> list[PostResult]:
        """Posts old enough at the last reading to be compared, on one channel or all."""
        if self.last_reading is None:
            return []
        cutoff = self.last_reading - SETTLED
        return [result for result in self.posts.values() if result.published is not None
                and result.published <= cutoff and channel in (None, result.channel)]

    def recent_posts(self, days: int = 30) -> list[PostResult]:
        """Posts published in the `days` before the last reading, most engagement first."""
        if self.last_reading is None:
            return []
        since = self.last_reading - timedelta(days=days)
        found = [result for result in self.posts.values()
                 if result.published is not None and result.published >= since]
        return sorted(found, key=lambda r: (-r.engagement, r.published, r.post, r.channel))


def read_history(path: Path, *, source: str = "") -> History:
    """The history in a metrics file (state/metrics.jsonl, or a sample); empty when there is none."""
    journal = Journal.of_file(path)
    history = history_of(journal.records(), source=source or str(path))
    history.warnings[:0] = journal.warnings
    return history


def history_of(records: Iterable[dict], *, source: str = "") -> History:
    """The history in these metrics lines, in the order written."""
    history = History(source=source)
    followers: dict[str, dict[datetime, int]] = {}
    parts: dict[tuple[str, str, int], tuple[datetime, dict, datetime | None]] = {}
    skipped = 0
    last = None
    for record in records:
        at = _time(record.get("at"))
        channel = record.get("channel")
        if at is None or not isinstance(channel, str) or not channel:
            skipped += 1
            continue
        kind = record.get("kind")
        if kind == ACCOUNT and _count(record.get("followers")) is not None:
            followers.setdefault(channel, {})[at] = record["followers"]
        elif kind == POST and isinstance(record.get("post"), str) and _count(record.get("part")):
            slot = (record["post"], channel, record["part"])
            known = parts.get(slot)
            if known is None or known[0] <= at:
                parts[slot] = (at, record, _time(record.get("published")))
        else:
            skipped += 1
            continue
        last = at if last is None or at > last else last
    if skipped:
        history.warnings.append(f"{skipped} line(s) of {source or 'the metrics'} are no reading this "
                                "version knows: skipped")
    history.last_reading = last
    history.followers = {channel: sorted(points.items()) for channel, points in sorted(followers.items())}
    history.posts = _post_results(parts)
    return history


def _post_results(parts: dict[tuple[str, str, int], tuple[datetime, dict, datetime | None]]
                  ) -> dict[tuple[str, str], PostResult]:
    sums: dict[tuple[str, str], dict] = {}
    for (post, channel, _number), (at, record, published) in sorted(parts.items(), key=lambda item: item[0]):
        total = sums.setdefault((post, channel), {"published": None, "url": None, "read_at": at,
                                                  **dict.fromkeys(COUNTS, 0)})
        for key in COUNTS:
            total[key] += _count(record.get(key)) or 0
        if published is not None and (total["published"] is None or published < total["published"]):
            total["published"] = published
        total["url"] = total["url"] or _web(record.get("url"))  # the first part's, where it has one
        total["read_at"] = max(total["read_at"], at)
    return {key: PostResult(key[0], key[1], **values) for key, values in sums.items()}


def daily_followers(history: History, channel: str, zone: ZoneInfo) -> list[tuple[date, int]]:
    """The channel's followers at the end of each local day it was read."""
    days: dict[date, int] = {}
    for at, count in history.followers.get(channel, []):
        days[at.astimezone(zone).date()] = count
    return sorted(days.items())


def by_weekday(posts: Iterable[PostResult], zone: ZoneInfo) -> list[Average]:
    """Mean engagement per post for each local weekday (0 = Monday), all seven."""
    return _averages(posts, zone, range(7), lambda local: local.weekday())


def by_hour(posts: Iterable[PostResult], zone: ZoneInfo) -> list[Average]:
    """Mean engagement per post for each local hour it was published in, all 24."""
    return _averages(posts, zone, range(24), lambda local: local.hour)


def _averages(posts: Iterable[PostResult], zone: ZoneInfo, keys: range, key_of) -> list[Average]:
    counts = dict.fromkeys(keys, 0)
    totals = dict.fromkeys(keys, 0)
    for result in posts:
        if result.published is None:
            continue
        key = key_of(result.published.astimezone(zone))
        counts[key] += 1
        totals[key] += result.engagement
    return [Average(key, counts[key], totals[key]) for key in keys]


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _web(value: object) -> str | None:
    """A URL to link to: http(s) only."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None
