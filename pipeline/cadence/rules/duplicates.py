"""duplicates: not the same or nearly the same text twice within a window."""

from __future__ import annotations

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_span
from pipeline.cadence.values import DURATION_SCHEMA, duration, span_text
from pipeline.errors import WARNING


def duplicates(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """The same or nearly the same text within the window."""
    # rapidfuzz loads only when texts are compared, not whenever channels.yml is read
    from pipeline.cadence.similarity import normalize, similar_earlier

    texts = [normalize(event.text) for event in line.events]
    findings = []
    for later, earlier, percent in similar_earlier(texts, line.times, rule.value):
        first, second = line.events[earlier], line.events[later]
        how = "the same text" if percent >= 100 else f"nearly the same text ({percent:.0f}% alike)"
        findings.append(rule.finding(
            f"{second.post} ({line.when(later)}) has {how} as {first.post} "
            f"({line.when(earlier)}); duplicates looks back {format_span(rule.value)}",
            (first.post, second.post), first.at, second.at, second.post))
    return findings


RULE = CadenceRule(
    name="duplicates",
    description="Window in which the same or nearly the same text is reported",
    example="30d",
    default_level=WARNING,
    parse=duration,
    schema=DURATION_SCHEMA,
    check=duplicates,
    describe=span_text,
    reach=lambda value: value,
)
