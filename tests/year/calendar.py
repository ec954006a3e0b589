"""The posts of a year and their history: each post is a list of versions, each committed at a time.

A post is written some days ahead (mostly in a Monday planning commit), sometimes only
shortly before its time or just after it; some are reworded or moved before they go out,
turned into drafts, cancelled (the file deleted), reworded after they went out, or
retracted. Every part of every post carries a marker (`yr17p2`) that no other part
has, so what is online can be counted per part on any network, whatever it does to
the text around it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.networks import network_class
from pipeline.networks.base import ENGAGEMENT, Capability

BERLIN = ZoneInfo("Europe/Berlin")
READY, DRAFT, RETRACTED, GONE = "ready", "draft", "retracted", "gone"
BAKES = ["Rye", "Spelt", "Stollen", "Pretzel", "Cardamom bun", "Sourdough", "Baguette", "Brioche",
         "Focaccia", "Pumpernickel", "Bienenstich", "Franzbroetchen"]


@dataclass(frozen=True)
class Version:
    """What the post's file says from `at` (the editor's commit) on; GONE: the file is deleted."""

    at: datetime
    publish_at: datetime
    status: str = READY
    wording: int = 0


@dataclass
class Post:
    serial: int
    channels: tuple[str, ...]
    parts: int = 1
    images: int = 0
    #: (front-matter key, name of the target post): reply_to, repost, quote, like
    engagement: tuple[tuple[str, str], ...] = ()
    versions: list[Version] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"y{self.serial:03d}"

    @property
    def file(self) -> str:
        first = self.versions[0].publish_at.astimezone(BERLIN)
        return f"content/posts/{first:%Y/%m}/{self.id}.md"

    @property
    def reposts(self) -> bool:
        """A repost carries no text of its own."""
        return any(key == "repost" for key, _ in self.engagement)

    def marker(self, part: int) -> str:
        return f"yr{self.serial}p{part}"

    def version(self, moment: datetime) -> Version | None:
        """The version on main at `moment`; None before the post was first committed."""
        found = None
        for version in self.versions:
            if version.at <= moment:
                found = version
        return found

    def texts(self, version: Version) -> list[str]:
        """The text of each part, as written in the file."""
        if self.reposts:
            return [""]
        bake = BAKES[self.serial % len(BAKES)]
        take = f" (take {version.wording + 1})" if version.wording else ""
        return [f"{bake} day{take}, part {n} of the story. {self.marker(n)}" if self.parts > 1
                else f"{bake} from the stone oven today{take}. {self.marker(n)}"
                for n in range(1, self.parts + 1)]

    def file_text(self, version: Version, targets: dict[str, str]) -> str:
        local = version.publish_at.astimezone(BERLIN)
        lines = ["---", f"publish_at: {local:%Y-%m-%d %H:%M}", f"channels: [{', '.join(self.channels)}]"]
        if version.status != READY:
            lines.append(f"status: {version.status}")
        if self.images:
            lines.append("media:")
            for n in range(1, self.images + 1):
                lines += [f"  - path: media/{self.id}-{n}.png", f"    alt: Loaf {n} of post {self.serial} on a board"]
        lines += [f"{key}: {targets[name]}" for key, name in self.engagement]
        lines.append("---")
        return "\n".join(lines) + "\n" + "\n\n---\n\n".join(self.texts(version)) + "\n"


@dataclass
class Calendar:
    posts: list[Post]
    #: engagement targets: name -> (network, what it is), created on the fakes before the year starts
    targets: dict[str, str]

    def changes(self) -> list[tuple[datetime, Post, Version]]:
        """Every commit of the year, in time order."""
        return sorted(((v.at, p, v) for p in self.posts for v in p.versions), key=lambda c: (c[0], c[1].serial))

    def event_times(self) -> list[datetime]:
        """When something may become due: every commit and every publish_at of every version."""
        return sorted({t for p in self.posts for v in p.versions for t in (v.at, v.publish_at)})


def capabilities(networks: dict[str, str]) -> dict[str, frozenset[Capability]]:
    """channel -> what its network can do, as the registry says."""
    return {channel: frozenset(c for c in Capability if network_class(network).can(c))
            for channel, network in networks.items()}


def make_calendar(rng: random.Random, networks: dict[str, str], start: datetime, end: datetime, *,
                  per_week: float) -> Calendar:
    """Posts from `start` to `end` (about `per_week` a week) on the channels (channel -> network)."""
    can = capabilities(networks)
    channels = sorted(networks)
    posts: list[Post] = []
    targets: dict[str, str] = {}
    day = start.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for _ in range(_count(rng, per_week / 7)):
            at = _daytime(rng, day)
            if start < at < end - timedelta(hours=12):
                post = _post(rng, len(posts) + 1, channels, can, targets)
                post.versions = _history(rng, at, start)
                posts.append(post)
        day = (day + timedelta(days=1, hours=3)).replace(hour=0)  # DST-safe: the next local midnight
    return Calendar(posts, targets)


def _count(rng: random.Random, mean: float) -> int:
    """Posts on one day: usually 0 or 1, sometimes a busy day."""
    count = 0
    while rng.random() < mean / (1 + mean) and count < 4:
        count += 1
    return count


def _post(rng: random.Random, serial: int, channels: list[str],
          can: dict[str, frozenset[Capability]], targets: dict[str, str]) -> Post:
    kind = rng.choices(["plain", "thread", "images", "engage"], weights=[55, 17, 16, 12])[0]
    if kind == "engage":
        options = [(c, key) for c in channels for key, capability in ENGAGEMENT.items() if capability in can[c]]
        if options:
            channel, key = rng.choice(options)
            name = f"{key}-{serial}"
            targets[name] = channel
            return Post(serial, (channel,), engagement=((key, name),))
        kind = "plain"
    if kind == "thread":
        able = [c for c in channels if Capability.THREADS in can[c]]
        return Post(serial, _some(rng, able), parts=rng.choice([2, 2, 3]))
    if kind == "images":
        able = [c for c in channels if Capability.IMAGES in can[c]]
        return Post(serial, _some(rng, able), images=rng.choice([1, 1, 2]))
    return Post(serial, _some(rng, channels))


def _some(rng: random.Random, channels: list[str]) -> tuple[str, ...]:
    chosen = set(rng.sample(channels, rng.randint(1, len(channels))))
    return tuple(c for c in channels if c in chosen)


def _history(rng: random.Random, publish_at: datetime, start: datetime) -> list[Version]:
    """The commits that write, edit, move, cancel or retract a post planned for `publish_at`."""
    first = _written(rng, publish_at, start)
    versions = [Version(first, publish_at)]
    roll = rng.random()
    before = _between(rng, first, publish_at)
    if roll < 0.10 and before:
        versions.append(replace(versions[-1], at=before, wording=1))
    elif roll < 0.18 and before:
        moved = _daytime(rng, publish_at + timedelta(days=rng.choice([-2, -1, 0, 1, 3])))
        if moved <= before:  # moved into the past: due at once
            moved = _daytime(rng, before + timedelta(days=1))
        versions.append(replace(versions[-1], at=before, publish_at=moved))
    elif roll < 0.20 and before:
        versions.append(replace(versions[-1], at=before, status=DRAFT))
    elif roll < 0.22 and before:
        versions.append(replace(versions[-1], at=before, status=GONE))
    elif roll < 0.27:
        versions.append(replace(versions[-1], at=publish_at + timedelta(minutes=rng.randint(60, 5 * 24 * 60)),
                                status=RETRACTED))
    elif roll < 0.30:
        versions.append(replace(versions[-1], at=publish_at + timedelta(minutes=rng.randint(60, 3 * 24 * 60)),
                                wording=2))
    return versions


def _daytime(rng: random.Random, moment: datetime) -> datetime:
    """A time of day on the local date of `moment` when a bakery posts (never in a DST gap or overlap)."""
    local = moment.astimezone(BERLIN)
    return local.replace(hour=rng.randint(8, 19), minute=rng.choice(range(0, 60, 5)), second=0, microsecond=0)


def _written(rng: random.Random, publish_at: datetime, start: datetime) -> datetime:
    """When the post is first committed: a Monday planning session, or shortly before (or after)."""
    roll = rng.random()
    if roll < 0.06:
        at = publish_at + timedelta(minutes=rng.randint(-30, 40))  # written in a hurry, maybe late
    elif roll < 0.25:
        at = publish_at - timedelta(minutes=rng.randint(30, 3 * 24 * 60))
    else:
        local = (publish_at - timedelta(days=rng.randint(3, 16))).astimezone(BERLIN)
        monday = (local - timedelta(days=local.weekday())).replace(hour=9, minute=30)
        at = monday.astimezone(BERLIN)
    return max(at, start)


def _between(rng: random.Random, first: datetime, publish_at: datetime) -> datetime | None:
    """A time for an edit strictly between the first commit and the post's time, if there is room."""
    room = (publish_at - first).total_seconds() / 60 - 10
    if room < 10:
        return None
    return first + timedelta(minutes=5 + rng.random() * room)
