"""max_engagements_per_day: at most N likes and reposts on one local day."""

from __future__ import annotations

from datetime import timedelta

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_day
from pipeline.cadence.rules.periods import listing, too_many
from pipeline.cadence.values import COUNT_SCHEMA, count
from pipeline.errors import ERROR


def max_engagements_per_day(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """More than N likes and reposts on one local day (posts do not count here)."""
    likes = Timeline([event for event in line.events if event.engagement], line.zone, line.week_start, line.now)
    return too_many(likes, rule, likes.dates, 1, lambda day, indexes: (
        f"{format_day(day, likes.year)} has {len(indexes)} likes and reposts, max_engagements_per_day is "
        f"{rule.value}: {listing(likes, indexes)}"))


RULE = CadenceRule(
    name="max_engagements_per_day",
    description="Most likes and reposts on one local day (they do not count as posts)",
    example="10",
    default_level=ERROR,
    parse=count,
    schema=COUNT_SCHEMA,
    check=max_engagements_per_day,
    describe=str,
    reach=lambda value: timedelta(days=1),
    engagements=True,
)
