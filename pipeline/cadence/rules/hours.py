"""hours: posts only within a local window of the day."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.values import CLOCK_PATTERN, InvalidValue, minute_of_day
from pipeline.errors import ERROR


@dataclass(frozen=True)
class Hours:
    """A local posting window, in minutes after midnight, both ends allowed."""

    start: int
    end: int
    text: str

    def allows(self, minute: float) -> bool:
        return self.start <= minute <= self.end


def parse_hours(value: object) -> Hours:
    """`08:00-20:00`: a window within one local day (24:00 may end it)."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise InvalidValue(f"{value!r} is not a window of hours; write it as \"08:00-20:00\" "
                           "(in quotes: YAML reads a bare 08:00 as something else)")
    first, last = value.split("-")
    start, end = minute_of_day(first, end=False), minute_of_day(last, end=True)
    if end <= start:
        raise InvalidValue(f"{value!r} ends before it starts; a window lies within one day, "
                           f"from the earlier time to the later, e.g. \"{first.strip()}-24:00\"")
    return Hours(start, end, value.strip())


def hours(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts outside the local posting window."""
    window = rule.value
    findings = []
    for i, local in enumerate(line.local):
        if not window.allows(local.hour * 60 + local.minute + local.second / 60):
            post = line.events[i].post
            findings.append(rule.finding(f"{post} at {line.when(i)} is outside hours "
                                         f"{window.text}", (post,), line.times[i], line.times[i],
                                         post))
    return findings


RULE = CadenceRule(
    name="hours",
    description="Allowed local posting hours",
    example='"08:00-20:00"',
    default_level=ERROR,
    parse=parse_hours,
    schema={"type": "string", "pattern": rf"^{CLOCK_PATTERN}-({CLOCK_PATTERN}|24:00)$",
            "description": 'Allowed local posting window, e.g. "08:00-20:00"'},
    check=hours,
    describe=lambda window: window.text,
    engagements=True,
)
