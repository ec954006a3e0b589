"""When scheduled runs start, if at all, and where they die.

The workflow's cron fires every 15 minutes (:07, :22, :37, :52). Most runs start a
few minutes late; some half an hour or more, a few by hours (up to 8); some are
dropped. During an incident (GitHub busy for an hour or eight) runs are dropped, or
start when it is over. A run that starts late stands for the ticks it passed: GitHub
keeps one run waiting, not a queue of them.

A run can also overlap another (both check out the same ledger and push in turn), be
cancelled (the run stops cleanly after the part in flight: SIGINT, passed on by the
workflow), or be killed at a chosen point (`Crash`, a BaseException nothing in the
engine catches): before or after any request to a network, before or after any ledger
line, between a network's acceptance and the `published` line, or between the state
commit and its push.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipeline.state.ledger import PUBLISHED
from tests.teamgit import Crash

TICK_MINUTES = (7, 22, 37, 52)


def tick_at_or_after(moment: datetime) -> datetime:
    """The first cron time (UTC :07, :22, :37, :52) at or after `moment`."""
    base = moment.replace(second=0, microsecond=0)
    if base < moment:
        base += timedelta(minutes=1)
    for _ in range(16):
        if base.minute in TICK_MINUTES:
            return base
        base += timedelta(minutes=1)
    raise AssertionError("unreachable: a tick comes every 15 minutes")


@dataclass(frozen=True)
class Kill:
    """Where a run dies: the `count`-th call of `where`, before it or `after` it did its work."""

    where: str  # request | line | published | push | cancel
    count: int = 1
    after: bool = False

    def __str__(self) -> str:
        if self.where in ("push", "cancel"):
            return f"{self.where} at {self.count}"
        return f"{'after' if self.after else 'before'} {self.where} {self.count}"


class Trap:
    """Counts the calls of the hooked functions in the current run and fires its Kill at the chosen one.

    Once it has fired the process is dead: every later hooked call raises Crash too.
    """

    def __init__(self) -> None:
        self.kill: Kill | None = None
        self.stop: threading.Event | None = None
        self.counts: Counter = Counter()
        self.fired = False

    def arm(self, kill: Kill | None, stop: threading.Event | None = None) -> None:
        self.kill, self.stop, self.counts, self.fired = kill, stop, Counter(), False

    def disarm(self) -> None:
        self.kill, self.stop = None, None

    def before(self, where: str, entry=None) -> None:
        if self.fired and self.kill is not None:
            raise Crash("the runner is dead")
        kinds = [where] + (["published"] if where == "line" and entry is not None and entry.state == PUBLISHED
                           else [])
        for kind in kinds:
            self.counts[kind] += 1
        kill = self.kill
        if kill is None or kill.after:
            return
        if kill.where == "cancel" and where == "request" and self.counts["request"] == kill.count:
            self.stop.set()  # a cancelled job: the run stops cleanly after the part in flight
            return
        if kill.where in kinds and self.counts[kill.where] == kill.count:
            self.fired = True
            raise Crash(str(kill))

    def after(self, where: str) -> None:
        kill = self.kill
        if kill is not None and kill.after and kill.where == where and self.counts[where] == kill.count:
            self.fired = True
            raise Crash(str(kill))


class Schedule:
    """The fate of each tick, each run's kill and faults, from one seeded random source."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime, *, incidents: int,
                 fault_rate: float = 0.06, kill_rate: float = 0.08, overlap_rate: float = 0.05) -> None:
        self.rng = rng
        self.fault_rate, self.kill_rate, self.overlap_rate = fault_rate, kill_rate, overlap_rate
        span = (end - start).total_seconds()
        self.incidents = sorted(
            (begin, begin + timedelta(minutes=rng.randint(60, 8 * 60)))
            for begin in (start + timedelta(seconds=rng.random() * span) for _ in range(incidents)))

    def start(self, tick: datetime) -> tuple[datetime | None, str]:
        """When the run of this tick starts (None: dropped), and why, for the log."""
        rng = self.rng
        for begin, end in self.incidents:
            if begin <= tick < end:
                if rng.random() < 0.5:
                    return None, "dropped (incident)"
                return end + timedelta(minutes=rng.random() * 20), f"late {_ago(end - tick)} (incident)"
        roll = rng.random()
        if roll < 0.03:
            return None, "dropped"
        if roll < 0.75:
            delay = timedelta(minutes=rng.random() * 6)
        elif roll < 0.93:
            delay = timedelta(minutes=6 + rng.random() * 24)
        elif roll < 0.985:
            delay = timedelta(minutes=30 + rng.random() * 90)
        else:
            delay = timedelta(minutes=120 + rng.random() * 360)
        return tick + delay, f"late {_ago(delay)}"

    def kill(self) -> Kill | None:
        rng = self.rng
        if rng.random() >= self.kill_rate:
            return None
        where = rng.choices(["request", "line", "published", "push", "cancel"], weights=[30, 15, 25, 15, 15])[0]
        if where == "push":
            return Kill("push")
        return Kill(where, count=rng.randint(1, 8 if where in ("request", "cancel") else 4),
                    after=where in ("request", "line") and rng.random() < 0.5)

    def faults(self, channels: list[str]) -> list[tuple[str, str]]:
        from tests.year.accounts import FAULTS

        return [(channel, self.rng.choice(FAULTS)) for channel in channels if self.rng.random() < self.fault_rate]

    def overlaps(self) -> bool:
        return self.rng.random() < self.overlap_rate


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes >= 60 else f"{minutes}m"
