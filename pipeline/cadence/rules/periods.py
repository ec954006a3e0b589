"""Counting posts per local period: shared by max_per_day and max_per_week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from pipeline.cadence.declaration import Rule
from pipeline.cadence.events import CadenceFinding, Timeline, ids
from pipeline.cadence.localtime import day_start


def listing(line: Timeline, indexes: list[int]) -> str:
    """`launch 09:00, hanna 11:00`: the posts of a period with their local times."""
    return ", ".join(f"{line.events[i].post} {line.local[i]:%H:%M}" for i in indexes)


def too_many(line: Timeline, rule: Rule, periods: list[date], days: int,
             describe: Callable[[date, list[int]], str]) -> list[CadenceFinding]:
    """A finding for each period (starting on the given local day, `days` long) over the limit;
    the post to move is the first one past it."""
    findings = []
    for start, indexes in _groups(periods).items():
        if len(indexes) > rule.value:
            findings.append(rule.finding(
                describe(start, indexes), ids(line.events[i] for i in indexes),
                day_start(start, line.zone), day_start(start + timedelta(days=days), line.zone),
                line.events[indexes[rule.value]].post))
    return findings


def _groups(keys: list[date]) -> dict[date, list[int]]:
    groups: dict[date, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    return groups
