"""days: posts only on these weekdays."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.values import DAY_NAMES, WEEKDAYS, WEEKDAYS_PATTERN, InvalidValue, weekday, weekday_set
from pipeline.errors import ERROR


@dataclass(frozen=True)
class Days:
    """The weekdays (0 = Monday) a channel posts on."""

    allowed: frozenset[int]
    text: str


def parse_days(value: object) -> Days:
    """`mon-fri`, `"mon,wed"` or `[mon, wed]`."""
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return Days(frozenset(weekday(item) for item in value), ", ".join(value))
    if isinstance(value, str) and value.strip():
        return Days(weekday_set(value), value.strip())
    raise InvalidValue(f"{value!r} is not a set of weekdays; write mon-fri, \"mon,wed\" or [mon, wed]")


def days(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts on weekdays the channel does not post on."""
    findings = []
    for i, day in enumerate(line.dates):
        if day.weekday() not in rule.value.allowed:
            post = line.events[i].post
            findings.append(rule.finding(f"{post} is on a {DAY_NAMES[day.weekday()]} "
                                         f"({line.when(i)}); days allows {rule.value.text}",
                                         (post,), line.times[i], line.times[i], post))
    return findings


RULE = CadenceRule(
    name="days",
    description="Allowed weekdays",
    example="mon-fri",
    default_level=ERROR,
    parse=parse_days,
    schema={"anyOf": [
        {"type": "string", "pattern": f"^{WEEKDAYS_PATTERN}$", "description": 'e.g. "mon-fri" or "mon,wed"'},
        {"type": "array", "items": {"enum": list(WEEKDAYS), "type": "string"}},
    ]},
    check=days,
    describe=lambda allowed: allowed.text,
    engagements=True,
)
