"""The words cadence values are made of: counts, durations, weekdays, clock times, slots.

Each parser takes a value as the YAML loader gave it and returns a typed value,
or raises InvalidValue saying what to write instead. Beside each parser is the
JSON Schema pattern of the same form, so editors check what people type; the
rules' own value types live with their rules (`rules/hours.py`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from pipeline.cadence.localtime import format_span
from pipeline.times import parse_clock, parse_duration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

DURATION_PATTERN = r"^(\d+w(\d+d)?(\d+h)?(\d+m)?|\d+d(\d+h)?(\d+m)?|\d+h(\d+m)?|\d+m)$"
CLOCK_PATTERN = r"([01]?\d|2[0-3]):[0-5]\d"
_DAY = f"({'|'.join(WEEKDAYS)})"
WEEKDAYS_PATTERN = rf"{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*"  # mon-fri,sun; unanchored
SLOT_PATTERN = rf"^{WEEKDAYS_PATTERN} {CLOCK_PATTERN}$"

COUNT_SCHEMA = {"type": "integer", "minimum": 1}
DURATION_SCHEMA = {"type": "string", "pattern": DURATION_PATTERN,
                   "description": "A number and a unit: 90m, 2h, 4d, 1w, 1d12h"}

_WORDY_DURATION = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.I)


class InvalidValue(ValueError):
    """A value that cannot be read; the message says what to write instead."""

    def __init__(self, message: str, code: str = "cadence-invalid") -> None:
        super().__init__(message)
        self.code = code


def count(value: object) -> int:
    """A whole number of posts, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"must be a whole number of posts, e.g. 3, not {value!r}")
    if value < 1:
        raise InvalidValue(f"must be at least 1, not {value}; to turn the rule off write off")
    return value


def duration(value: object) -> timedelta:
    """A positive duration: `90m`, `2h`, `4d`, `1w`, `1d12h`."""
    text = str(value).strip()
    if text.startswith("-"):
        raise InvalidValue(f"{text!r} is negative; a duration is a length of time, e.g. 1d",
                           "duration-invalid")
    try:
        parsed = parse_duration(text)
    except ValueError as exc:
        wordy = _WORDY_DURATION.match(text)
        message = (f"{text!r} is not a duration; write {wordy[1]}{wordy[2][0].lower()}" if wordy
                   else str(exc))
        raise InvalidValue(message, "duration-invalid") from None
    if not parsed:
        raise InvalidValue(f"{text!r} is no time at all; use a length such as 2h, or off",
                           "duration-invalid")
    return parsed


def span_text(span: timedelta) -> str:
    """A duration as it is written in channels.yml: `2h`, `1d12h`."""
    return format_span(span).replace(" ", "")


def clock_time(text: str) -> time:
    """`HH:MM`, 00:00 to 23:59."""
    try:
        return parse_clock(text)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from None


def minute_of_day(text: str, *, end: bool) -> int:
    """`HH:MM` as minutes after midnight; `24:00` may end a window."""
    if end and text.strip() == "24:00":
        return 24 * 60
    clock = clock_time(text)
    return clock.hour * 60 + clock.minute


def weekday(name: str) -> int:
    """`mon` -> 0; a full or misspelt name gets a hint."""
    key = name.strip().lower()
    if key in WEEKDAYS:
        return WEEKDAYS.index(key)
    guess = next((short for short, full in zip(WEEKDAYS, DAY_NAMES, strict=True)
                  if full.lower().startswith(key[:3]) and key[:3]), None)
    hint = f"; write {guess}" if guess else f"; use {', '.join(WEEKDAYS)}"
    raise InvalidValue(f"{name!r} is not a weekday{hint}")


def weekday_set(text: str) -> frozenset[int]:
    """`mon-fri`, `tue,thu`, `sat-mon` (a range may wrap over the week's end)."""
    allowed: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        start = weekday(first)
        if not dash:
            allowed.add(start)
            continue
        stop = weekday(last)
        allowed.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
    return frozenset(allowed)


@dataclass(frozen=True)
class Slot:
    """A weekly time: these weekdays (0 = Monday) at this local clock time."""

    days: frozenset[int]
    clock: time
    text: str


def parse_slot(text: object) -> Slot:
    """`mon-fri 09:00`, `tue,thu 15:30`, `sat 10:00`: local weekly times."""
    days_text, _, clock_text = str(text).strip().rpartition(" ")
    if not days_text or ":" not in clock_text:
        raise InvalidValue(f"slot {text!r} is not weekdays and a time; write e.g. \"mon-fri 09:00\"",
                           "slot-invalid")
    try:
        return Slot(weekday_set(days_text.strip()), clock_time(clock_text), str(text).strip())
    except InvalidValue as exc:
        raise InvalidValue(f"slot {text!r}: {exc}", "slot-invalid") from None
