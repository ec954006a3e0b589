"""max_per_week: at most N posts in one week, weeks beginning on week_start."""

from __future__ import annotations

from datetime import timedelta

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_day, week_of
from pipeline.cadence.rules.periods import too_many
from pipeline.cadence.values import COUNT_SCHEMA, count
from pipeline.errors import ERROR


def max_per_week(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """More than N posts in one week (weeks begin on the configured week_start)."""
    weeks = [week_of(day, line.week_start) for day in line.dates]
    return too_many(line, rule, weeks, 7, lambda week, indexes: (
        f"the week of {format_day(week, line.year)} has {len(indexes)} posts, max_per_week is {rule.value}"))


RULE = CadenceRule(
    name="max_per_week",
    description="Most posts in one week, weeks starting on week_start",
    example="12",
    default_level=ERROR,
    parse=count,
    schema=COUNT_SCHEMA,
    check=max_per_week,
    describe=str,
    reach=lambda value: timedelta(weeks=1),
)
