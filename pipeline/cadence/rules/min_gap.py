"""min_gap: at least this long between two consecutive posts."""

from __future__ import annotations

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_span
from pipeline.cadence.values import DURATION_SCHEMA, duration, span_text
from pipeline.errors import ERROR


def min_gap(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Two consecutive posts closer than the gap."""
    findings = []
    for i in range(1, len(line.events)):
        gap = line.times[i] - line.times[i - 1]
        if gap < rule.value:
            before, after = line.events[i - 1], line.events[i]
            distance = "at the same time as" if not gap else f"only {format_span(gap)} after"
            findings.append(rule.finding(
                f"{after.post} at {line.when(i)} is {distance} {before.post}; min_gap is "
                f"{format_span(rule.value)}",
                (before.post, after.post), before.at, after.at, after.post))
    return findings


RULE = CadenceRule(
    name="min_gap",
    description="Least time between two posts",
    example="2h",
    default_level=ERROR,
    parse=duration,
    schema=DURATION_SCHEMA,
    check=min_gap,
    describe=span_text,
    reach=lambda value: value,
)
