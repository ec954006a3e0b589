"""max_silence: at most this long without a post."""

from __future__ import annotations

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_span
from pipeline.cadence.values import DURATION_SCHEMA, duration, span_text
from pipeline.errors import WARNING


def max_silence(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """A gap between two consecutive posts longer than allowed, or since the last post until now."""
    findings = []
    if line.now is not None and line.events and line.now - line.times[-1] > rule.value:
        last = line.events[-1]
        findings.append(rule.finding(
            f"{format_span(line.now - line.times[-1])} without a post since {last.post} "
            f"({line.when(len(line.events) - 1)}) and nothing scheduled; max_silence is "
            f"{format_span(rule.value)}", (last.post,), last.at, line.now))
    for i in range(1, len(line.events)):
        gap = line.times[i] - line.times[i - 1]
        if gap > rule.value:
            before, after = line.events[i - 1], line.events[i]
            findings.append(rule.finding(
                f"{format_span(gap)} without a post between {before.post} "
                f"({line.when(i - 1)}) and {after.post} ({line.when(i)}); max_silence is "
                f"{format_span(rule.value)}",
                (before.post, after.post), before.at, after.at, after.post))
    return findings


RULE = CadenceRule(
    name="max_silence",
    description="Longest time between two consecutive posts",
    example="4d",
    default_level=WARNING,
    parse=duration,
    schema=DURATION_SCHEMA,
    check=max_silence,
    describe=span_text,
    absence=True,
)
