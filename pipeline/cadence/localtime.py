"""Local days and weeks in the configured zone, and how cadence shows times to people.

Days and weeks are counted by local date, so a day is 23 or 25 hours long when
the clocks change; durations (gaps, windows) are real elapsed time in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK_STARTS = {"monday": 0, "sunday": 6, "saturday": 5}
SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of local date `day`.

    Where the clocks skip midnight, fold=0 takes the offset before the jump, which
    lands on the first instant that exists on that date.
    """
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def week_of(day: date, week_start: int) -> date:
    """The first date of the week holding `day`; `week_start` is a weekday number (0 = Monday)."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def format_day(day: date, year: int | None = None) -> str:
    """`Thu Dec 3`, with the year when it is not `year`."""
    text = f"{SHORT_DAYS[day.weekday()]} {day:%b} {day.day}"
    return text if day.year == year else f"{text} {day.year}"


def local_iso(moment: datetime, zone: ZoneInfo) -> str:
    """`2026-12-03T09:30:00+01:00`: local time with its offset, for JSON."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def format_span(span: timedelta) -> str:
    """`2h`, `1d 12h`, `5d 1h 30m`, `0m`: a duration as people say it."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"] * bool(minutes)
    return " ".join(parts) or "0m"

