"""`social stats suggest-slots`: queue slots from the hours that earned the most engagement per post.

Pure over the metrics history (pipeline.growth.history), except for reading
channels.yml to show the change. The rule, in docs/growth.md too:

- Only posts whose counts have settled count (published at least two days before
  the last reading), from the last `LOOKBACK` days.
- At least `MIN_POSTS` such posts on the channel, or nothing is suggested: with
  fewer, one lucky post decides.
- An hour (local time in channels.yml's zone) is a candidate when at least
  `MIN_PER_HOUR` posts went out in it and the channel's `hours` rule allows it; the
  best by mean engagement per post win, as many as the channel has slot times now
  (2 when it has none, at most 3). A slot keeps the minute most of that hour's posts
  went out at.
- The days are the weekdays (allowed by the channel's `days` rule) with at least
  `MIN_PER_DAY` posts whose mean is at least the channel's mean; the best one alone
  when none is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.cadence.values import WEEKDAYS, parse_slot
from pipeline.content.channels import CONFIG_FILE
from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.growth.history import METRICS_FILE, Average, History, PostResult, by_hour, by_weekday, read_history
from pipeline.networks import network_class
from pipeline.networks.base import Capability
from pipeline.state.ledger import STATE_DIR

#: posts with settled counts a suggestion needs at least
MIN_POSTS = 20
#: posts an hour needs to be a candidate, and a weekday to be chosen
MIN_PER_HOUR = 3
MIN_PER_DAY = 2
#: how far back posts count
LOOKBACK = timedelta(days=180)
#: slot times suggested when the channel has none; never more than MOST_TIMES
DEFAULT_TIMES = 2
MOST_TIMES = 3


@dataclass
class SlotChange:
    """The lines of channels.yml to replace (none when the slots are to be added after `line`)."""

    file: str
    line: int
    old: list[str]
    new: list[str]

    def as_text(self) -> str:
        where = f"{self.file}, line {self.line}:" if self.old else f"{self.file}, after line {self.line}:"
        return "\n".join([where, *(f"-{line}" for line in self.old), *(f"+{line}" for line in self.new)])


@dataclass
class Suggestion:
    channel: str
    #: settled posts it rests on
    posts: int = 0
    mean: float = 0.0
    since: datetime | None = None
    #: why nothing is suggested; None when something is
    refused: str | None = None
    hours: list[Average] = field(default_factory=list)
    days: list[Average] = field(default_factory=list)
    chosen_hours: list[tuple[int, int]] = field(default_factory=list)  # (hour, minute)
    chosen_days: list[int] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    change: SlotChange | None = None

    def as_dict(self) -> dict:
        return {"channel": self.channel, "ok": self.refused is None, "refused": self.refused,
                "posts": self.posts, "mean": round(self.mean, 2),
                "since": self.since.isoformat() if self.since else None,
                "hours": [_average(a, f"{a.key:02d}:00") for a in self.hours if a.posts],
                "days": [_average(a, WEEKDAYS[a.key]) for a in self.days if a.posts],
                "slots": self.slots, "current": self.current,
                "change": None if self.change is None else {"file": self.change.file, "line": self.change.line,
                                                            "old": self.change.old, "new": self.change.new}}

    def as_text(self, zone: ZoneInfo) -> str:
        if self.refused:
            return f"✗ {self.channel}: {self.refused}"
        since = f" since {self.since:%Y-%m-%d}" if self.since else ""
        lines = [f"✓ {self.channel}: {self.posts} posts{since} (each at least two days old) earned "
                 f"{self.mean:.1f} likes, reposts, replies and quotes per post.",
                 f"  Engagement per post by local hour ({zone.key}), hours with {MIN_PER_HOUR}+ posts:"]
        for average in sorted((a for a in self.hours if a.posts >= MIN_PER_HOUR), key=lambda a: -a.mean):
            mark = " <" if average.key in {hour for hour, _ in self.chosen_hours} else ""
            lines.append(f"    {average.key:02d}:00  {average.mean:6.1f}  ({average.posts} posts){mark}")
        days = ", ".join(f"{WEEKDAYS[a.key]} {a.mean:.1f} ({a.posts})" for a in self.days if a.posts)
        lines.append(f"  By weekday: {days}")
        now = (f"{_weekly(self.current)} a week now" if self.current else "the channel has none")
        lines.append(f"  Suggested slots: {_flow(self.slots)} ({_weekly(self.slots)} a week; {now})")
        if self.change is None:
            lines.append("  The channel's slots are these already.")
        else:
            lines += ["  The change to make:", *("    " + line for line in self.change.as_text().splitlines())]
        return "\n".join(lines)


def suggest(history: History, channel: Channel, zone: ZoneInfo) -> Suggestion:
    """A suggestion for one channel, or a refusal saying what is missing."""
    found = Suggestion(channel.id, current=list(channel.slots))
    if history.last_reading is None:
        found.refused = "no metrics yet: run `social stats collect` daily (docs/growth.md)"
        return found
    found.since = history.last_reading - LOOKBACK
    posts = [p for p in history.settled_posts(channel.id) if p.published and p.published >= found.since]
    found.posts = len(posts)
    if len(posts) < MIN_POSTS:
        found.refused = (f"{len(posts)} post(s) with settled counts in the last {LOOKBACK.days} days; at least "
                         f"{MIN_POSTS} are needed before slots are suggested (docs/growth.md)")
        return found
    found.mean = sum(p.engagement for p in posts) / len(posts)
    found.hours, found.days = by_hour(posts, zone), by_weekday(posts, zone)
    hours_rule, days_rule = channel.cadence.get("hours"), channel.cadence.get("days")
    minutes = _minutes(posts, zone)
    candidates = [a for a in found.hours if a.posts >= MIN_PER_HOUR
                  and (hours_rule is None or hours_rule.value.allows(a.key * 60 + minutes[a.key]))]
    if not candidates:
        found.refused = (f"no local hour{' the channel allows' if hours_rule else ''} has {MIN_PER_HOUR} or more "
                         f"posts yet among {len(posts)}; post at a few more times and ask again")
        return found
    times = len({parse_slot(text).clock for text in channel.slots}) or DEFAULT_TIMES
    best = sorted(candidates, key=lambda a: (-a.mean, -a.posts, a.key))[:min(times, MOST_TIMES)]
    found.chosen_hours = sorted((a.key, minutes[a.key]) for a in best)
    allowed = [a for a in found.days if a.posts and (days_rule is None or a.key in days_rule.value.allowed)]
    good = [a.key for a in allowed if a.posts >= MIN_PER_DAY and a.mean >= found.mean]
    if not good and allowed:
        good = [max(allowed, key=lambda a: (a.mean, a.posts, -a.key)).key]
    if not good:
        found.refused = "no weekday the channel's days rule allows has posts yet"
        return found
    found.chosen_days = sorted(good)
    days = day_text(found.chosen_days)
    found.slots = [f"{days} {hour:02d}:{minute:02d}" for hour, minute in found.chosen_hours]
    return found


def suggest_slots(root: Path, channel_id: str | None = None, *,
                  metrics: Path | None = None) -> tuple[ZoneInfo, list[Suggestion], list[str]]:
    """(the zone, a suggestion per channel, warnings) from state/metrics.jsonl, or from `metrics`.

    Without `channel_id`: every channel whose network reads metrics or that has readings.
    """
    workspace = Workspace(root)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    if metrics is None:
        history = read_history(workspace.root / STATE_DIR / METRICS_FILE, source=f"{STATE_DIR}/{METRICS_FILE}")
    else:
        history = read_history(metrics, source=str(metrics))
    found = []
    for channel in config.channels.values():
        if channel_id not in (None, channel.id):
            continue
        if channel_id is None and channel.id not in history.channels and \
                not network_class(channel.network).can(Capability.METRICS, channel.options):
            continue
        suggestion = suggest(history, channel, config.zone)
        if suggestion.refused is None:
            suggestion.change = slot_change(workspace.root, channel, suggestion.slots)
        found.append(suggestion)
    return config.zone, found, history.warnings


def _minutes(posts: Sequence[PostResult], zone: ZoneInfo) -> dict[int, int]:
    """For each hour, the minute most of its posts went out at (the earliest of equals)."""
    seen: dict[int, Counter] = {hour: Counter() for hour in range(24)}
    for post in posts:
        local = post.published.astimezone(zone)
        seen[local.hour][local.minute] += 1
    return {hour: (min(c, key=lambda m: (-c[m], m)) if c else 0) for hour, c in seen.items()}


def day_text(days: Sequence[int]) -> str:
    """Weekdays as a slot writes them: runs of three or more as ranges (`mon-fri`), others listed."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    pieces = []
    for run in runs:
        if len(run) >= 3:
            pieces.append(f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}")
        else:
            pieces.extend(WEEKDAYS[day] for day in run)
    return ",".join(pieces)


def _same_slots(new: list[str], old: list[str]) -> bool:
    def key(texts: list[str]) -> set[tuple[frozenset[int], time]]:
        return {(slot.days, slot.clock) for slot in map(parse_slot, texts)}

    return key(new) == key(old)


_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w-]*)\s*:(?P<rest>.*)$")


def slot_change(root: Path, channel: Channel, slots: list[str]) -> SlotChange | None:
    """The lines of channels.yml that would give the channel these slots; None when it has them."""
    if _same_slots(slots, list(channel.slots)):
        return None
    lines = (Path(root) / CONFIG_FILE).read_text(encoding="utf-8").splitlines()
    start = channel.line  # the channel's key, 1-based
    head = _KEY.match(lines[start - 1]) if 0 < start <= len(lines) else None
    own = len(head["indent"]) if head else 0
    indent = None
    number = end = start
    while number < len(lines):
        text = lines[number]
        number += 1
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        width = len(text) - len(text.lstrip())
        if width <= own:
            break
        end = number
        indent = width if indent is None else indent
        match = _KEY.match(text)
        if width == indent and match and match["key"] == "slots":
            old = [text]
            while number < len(lines) and lines[number].strip().startswith("- ") and \
                    len(lines[number]) - len(lines[number].lstrip()) > width:
                old.append(lines[number])  # a block list under the key
                number += 1
            comment = _comment(match["rest"]) if len(old) == 1 else ""
            new = f"{match['indent']}slots: {_flow(slots)}{comment}"
            return SlotChange(CONFIG_FILE, number - len(old) + 1, old, [new])
    pad = " " * (indent if indent is not None else own + 2)
    return SlotChange(CONFIG_FILE, end, [], [f"{pad}slots: {_flow(slots)}"])


def _comment(rest: str) -> str:
    """A trailing `# comment` after a flow list, kept as it was."""
    closing = rest.rfind("]")
    tail = rest[closing + 1:] if closing >= 0 else ""
    return tail if tail.strip().startswith("#") else ""


def _weekly(slots: list[str]) -> int:
    return sum(len(parse_slot(text).days) for text in slots)


def _flow(slots: list[str]) -> str:
    return "[" + ", ".join(f'"{slot}"' for slot in slots) + "]"


def _average(average: Average, label: str) -> dict:
    return {"when": label, "posts": average.posts, "mean": round(average.mean, 2)}
