"""runway: posts planned at least this far ahead of now."""

from __future__ import annotations

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_day, format_span
from pipeline.cadence.values import DURATION_SCHEMA, duration, span_text
from pipeline.errors import WARNING


def runway(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Fewer than N days ahead of now planned. Needs a `now`."""
    if line.now is None:
        return []
    until = line.now + rule.value
    if line.events and line.times[-1] >= until:
        return []
    plan = f"runway is {format_span(rule.value)}: plan posts until " \
           f"{format_day(until.astimezone(line.zone).date(), line.year)}"
    if not line.events:
        return [rule.finding(f"nothing scheduled at all; {plan}", (), line.now, until)]
    last = len(line.events) - 1
    day = format_day(line.dates[last], line.year)
    return [rule.finding(f"nothing scheduled after {day} ({line.events[last].post}); {plan}",
                         (line.events[last].post,), max(line.times[last], line.now), until)]


RULE = CadenceRule(
    name="runway",
    description="How far ahead posts should be planned",
    example="14d",
    default_level=WARNING,
    parse=duration,
    schema=DURATION_SCHEMA,
    check=runway,
    describe=span_text,
    absence=True,
)
