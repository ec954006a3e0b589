"""max_per_day: at most N posts on one local day."""

from __future__ import annotations

from datetime import timedelta

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_day
from pipeline.cadence.rules.periods import listing, too_many
from pipeline.cadence.values import COUNT_SCHEMA, count
from pipeline.errors import ERROR


def max_per_day(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """More than N posts on one local day."""
    return too_many(line, rule, line.dates, 1, lambda day, indexes: (
        f"{format_day(day, line.year)} has {len(indexes)} posts, max_per_day is {rule.value}: "
        f"{listing(line, indexes)}"))


RULE = CadenceRule(
    name="max_per_day",
    description="Most posts on one local day",
    example="3",
    default_level=ERROR,
    parse=count,
    schema=COUNT_SCHEMA,
    check=max_per_day,
    describe=str,
    reach=lambda value: timedelta(days=1),
)
