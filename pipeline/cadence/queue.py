"""The slot queue: each queued post, in order, takes the first free slot that breaks no rule.

Pure: channels (their rules and slots), events and queued posts in, placements
out. A post on several channels takes a time that is a slot of every one of its
channels that has slots (channels without slots simply post then too), and that
keeps every rule at level error on all of its channels. Rules about absence
(max_silence, runway) are not asked: a placed post can only shorten a silence.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipeline.cadence.declaration import Rule
from pipeline.cadence.events import Event, Timeline
from pipeline.cadence.localtime import format_span
from pipeline.cadence.registry import RULES, check_rule
from pipeline.cadence.values import Slot
from pipeline.errors import ERROR

HORIZON = timedelta(weeks=52)
TAKEN = "taken"  # another post of the channel already goes out at that very time


@dataclass(frozen=True)
class QueueChannel:
    """What the queue needs of one channel: the rules in force and the slots."""

    rules: Mapping[str, Rule]
    slots: Sequence[Slot]


@dataclass(frozen=True)
class QueuedPost:
    """A post with `queue: true`: what it would be on each of its channels (times unset)."""

    post: str
    file: str
    channels: tuple[str, ...]
    events: Mapping[str, Event]


@dataclass(frozen=True)
class Placement:
    post: str
    file: str
    at: datetime
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Unplaced:
    post: str
    file: str
    reason: str


@dataclass
class QueuePlan:
    placed: list[Placement] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)


class _ChannelState:
    """One channel's events in time order, growing as the queue places posts."""

    def __init__(self, channel: QueueChannel, events: Sequence[Event]) -> None:
        self.rules: dict[str, Rule] = {name: rule for name, rule in channel.rules.items()
                                       if rule.level == ERROR and not RULES[name].absence}
        self.slots = list(channel.slots)
        self.events = sorted(events, key=lambda e: (e.at, e.post))
        self.times = [event.at for event in self.events]
        # what a new post can interact with: as far as the furthest-looking rule, and a
        # day more for the hour a day gains when the clocks go back
        self.reach = max((RULES[name].reach(rule.value) for name, rule in self.rules.items()),
                         default=timedelta(0)) + timedelta(days=1)

    def add(self, event: Event) -> None:
        at = bisect_right(self.times, event.at)
        self.times.insert(at, event.at)
        self.events.insert(at, event)

    def breaks(self, event: Event, zone: ZoneInfo, week_start: int) -> str | None:
        """The first rule that `event` would take part in breaking here, or None."""
        at = bisect_left(self.times, event.at)
        if at < len(self.times) and self.times[at] == event.at:
            return TAKEN
        low = bisect_left(self.times, event.at - self.reach)
        high = bisect_right(self.times, event.at + self.reach)
        nearby = self.events[low:high]
        insort(nearby, event, key=lambda e: (e.at, e.post))
        line = Timeline(nearby, zone, week_start)
        for name, rule in self.rules.items():
            if any(event.post in found.posts for found in check_rule(line, rule)):
                return name
        return None


def slot_instant(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local slot time; None when the clocks skip it (DST gap).

    A time that happens twice (the clocks go back) is taken the first time.
    """
    naive = datetime.combine(day, clock)
    moment = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return moment if moment.astimezone(zone).replace(tzinfo=None) == naive else None


def slot_times(slot_lists: Sequence[Sequence[Slot]], zone: ZoneInfo, now: datetime,
               until: datetime) -> Iterator[datetime]:
    """In time order from `now`, the local times that are a slot in every one of `slot_lists`."""
    day = now.astimezone(zone).date()
    last = until.astimezone(zone).date()
    while day <= last:
        clocks: set[time] | None = None
        for slots in slot_lists:
            here = {slot.clock for slot in slots if day.weekday() in slot.days}
            clocks = here if clocks is None else clocks & here
        for clock in sorted(clocks or ()):
            moment = slot_instant(day, clock, zone)
            if moment is not None and moment >= now:
                yield moment
        day += timedelta(days=1)


def _common_weekly_times(slot_lists: Sequence[Sequence[Slot]]) -> bool:
    return any(
        set.intersection(*({s.clock for s in slots if weekday in s.days} for slots in slot_lists))
        for weekday in range(7)
    )


def fill_queue(channels: Mapping[str, QueueChannel], events: Mapping[str, Sequence[Event]],
               queued: Sequence[QueuedPost], now: datetime, zone: ZoneInfo, week_start: int,
               horizon: timedelta = HORIZON) -> QueuePlan:
    """Place `queued` in the order given, each at the first slot from `now` within `horizon`.

    Days and slots are local to `zone`; weeks begin on weekday `week_start` (0 = Monday).
    Each placed post counts for the ones after it, so the order decides who gets
    the earlier slots; a post never moves one that comes before it.
    """
    states = {cid: _ChannelState(channel, events.get(cid, ())) for cid, channel in channels.items()}
    plan = QueuePlan()
    for item in queued:
        targets = [cid for cid in item.channels if cid in states]
        slotted = [cid for cid in targets if states[cid].slots]
        if not slotted:
            plan.unplaced.append(Unplaced(item.post, item.file, f"none of its channels "
                                          f"({', '.join(item.channels)}) has slots"))
            continue
        slot_lists = [states[cid].slots for cid in slotted]
        if not _common_weekly_times(slot_lists):
            plan.unplaced.append(Unplaced(item.post, item.file, f"its channels "
                                          f"{' and '.join(slotted)} have no slot time in common"))
            continue
        refused: Counter[str] = Counter()
        for moment in slot_times(slot_lists, zone, now, now + horizon):
            placed = {cid: item.events[cid]._replace(at=moment) for cid in targets}
            broken = next(((cid, rule) for cid in targets
                           if (rule := states[cid].breaks(placed[cid], zone, week_start))),
                          None)
            if broken is None:
                for cid in targets:
                    states[cid].add(placed[cid])
                plan.placed.append(Placement(item.post, item.file, moment, tuple(targets)))
                break
            refused[f"{broken[1]} on {broken[0]}"] += 1
        else:
            why = ", ".join(f"{rule} ({count})" for rule, count in refused.most_common())
            plan.unplaced.append(Unplaced(
                item.post, item.file,
                f"none of the {refused.total()} slot times in the next {_span(horizon)} keeps the "
                f"rules" + (f"; ruled out by {why}" if why else "")))
    return plan


def first_free(channel: QueueChannel, events: Sequence[Event], event: Event, times: Iterable[datetime],
               zone: ZoneInfo, week_start: int) -> datetime | None:
    """The first of `times` at which `event` breaks no rule at level error on the channel (None: none):
    a time to suggest for one post, slots or not (`social reply`)."""
    state = _ChannelState(channel, events)
    for moment in times:
        if state.breaks(event._replace(at=moment), zone, week_start) is None:
            return moment
    return None


def _span(horizon: timedelta) -> str:
    weeks, rest = divmod(horizon, timedelta(weeks=1))
    return f"{weeks} weeks" if not rest else format_span(horizon)
