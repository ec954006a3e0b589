"""Reading the cadence rules and slots of channels.yml into typed values, saying what is wrong.

Pure: takes the values as the YAML loader gave them and returns rules plus
problems, each with the key path in channels.yml where it belongs. A channel's
`cadence` is merged over `defaults.cadence` rule by rule; `{level: warning}`
alone keeps the default's value and changes only the level.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from pipeline.cadence.calendar import format_span
from pipeline.content.schema import CadenceRules
from pipeline.content.schema_errors import dotted
from pipeline.times import parse_clock, parse_duration

RULES: tuple[str, ...] = tuple(CadenceRules.model_fields)
DEFAULT_LEVELS = {
    "max_per_day": "error", "max_per_week": "error", "min_gap": "error", "hours": "error",
    "days": "error", "blackout": "error",
    "max_silence": "warning", "runway": "warning", "duplicates": "warning", "mix": "warning",
}
LEVELS = ("error", "warning", "off")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_MIX_WINDOW = timedelta(days=30)
_WORDY_DURATION = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.I)
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


@dataclass(frozen=True)
class Rule:
    """One active rule of a channel: its parsed value, its level, and where it was written."""

    name: str
    value: Any
    level: str
    path: tuple


@dataclass(frozen=True)
class Hours:
    """A local posting window, in minutes after midnight, both ends allowed."""

    start: int
    end: int
    text: str

    def allows(self, minute: float) -> bool:
        return self.start <= minute <= self.end


@dataclass(frozen=True)
class Days:
    allowed: frozenset[int]
    text: str


@dataclass(frozen=True)
class DateSpan:
    """Local dates from `first` to `last`, both included."""

    first: date
    last: date
    text: str


@dataclass(frozen=True)
class Mix:
    """At most `share` (0..1) of the posts in any `window` may carry `tag`, per tag."""

    window: timedelta
    limits: tuple[tuple[str, float, str], ...]  # (tag, share, as written)
    window_text: str


@dataclass(frozen=True)
class Slot:
    """A weekly time: these weekdays (0 = Monday) at this local clock time."""

    days: frozenset[int]
    clock: time
    text: str


@dataclass(frozen=True)
class Problem:
    """Something wrong in channels.yml: where (a key path), a finding code, what to do."""

    path: tuple
    code: str
    message: str


@dataclass(frozen=True)
class _Layer:
    """One rule as written in one place (defaults or a channel), before merging."""

    value: Any
    level: str | None
    path: tuple


class _Invalid(ValueError):
    def __init__(self, message: str, code: str = "cadence-invalid") -> None:
        super().__init__(message)
        self.code = code


def parse_layer(raw: object, path: tuple) -> tuple[dict[str, _Layer], list[Problem]]:
    """The rules written at `path` (`("defaults", "cadence")` or a channel's cadence)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [Problem((*path, "<value>"), "cadence-invalid",
                            f"{dotted(path)} must be a mapping of rules, e.g. "
                            "cadence: {max_per_day: 3, min_gap: 2h}")]
    layers: dict[str, _Layer] = {}
    problems: list[Problem] = []
    for name, value in raw.items():
        here = (*path, name)
        if name not in RULES:
            guess = difflib.get_close_matches(str(name), RULES, n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known rules: {', '.join(RULES)}"
            problems.append(Problem(here, "unknown-key",
                                    f"unknown key {name!r} in {dotted(path)}; {hint}"))
            continue
        if value is None:  # `min_gap:` with nothing after it: as if not written
            continue
        try:
            layers[name] = _layer(name, value, here)
        except _Invalid as exc:
            problems.append(Problem((*here, "<value>"), exc.code, f"{dotted(here)}: {exc}"))
    return layers, problems


def _layer(name: str, value: object, here: tuple) -> _Layer:
    if value == "off":
        return _Layer("off", "off", here)
    wrapped = isinstance(value, dict) and (
        name != "mix" or "value" in value or set(value) == {"level"})
    if not wrapped and name == "mix" and isinstance(value, dict) and "level" in value:
        value = dict(value)  # the shorthand may carry its level inline
        level = _level(value.pop("level"))
        return _Layer(parse_value(name, value), level, here)
    if not wrapped:
        return _Layer(parse_value(name, value), None, here)
    unknown = sorted(set(value) - {"value", "level"}, key=str)
    if unknown:
        raise _Invalid(f"unknown key {unknown[0]!r}; write the rule as a value (e.g. "
                       f"{name}: {_EXAMPLES[name]}) or as {{value: {_EXAMPLES[name]}, "
                       "level: warning}")
    level = _level(value["level"]) if "level" in value else None
    if "value" not in value:
        if level is None:
            raise _Invalid("give a value, a level, or both: {value: ..., level: warning}")
        return _Layer(None, level, here)
    return _Layer(parse_value(name, value["value"]), level, here)


def _level(value: object) -> str:
    if value not in LEVELS:
        raise _Invalid(f"level must be one of error, warning, off, not {value!r}")
    return str(value)


_EXAMPLES = {"max_per_day": "3", "max_per_week": "12", "min_gap": "2h", "max_silence": "4d",
             "runway": "14d", "hours": '"08:00-20:00"', "days": "mon-fri",
             "blackout": '["2026-12-24"]', "duplicates": "30d", "mix": "{promo: 20%, window: 30d}"}


def parse_value(name: str, value: object) -> Any:
    """The typed value of rule `name`; _Invalid says what to write instead."""
    if name in ("max_per_day", "max_per_week"):
        return _count(value)
    if name in ("min_gap", "max_silence", "runway", "duplicates"):
        return duration(value)
    if name == "hours":
        return hours(value)
    if name == "days":
        return days(value)
    if name == "blackout":
        return blackout(value)
    return mix(value)


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"must be a whole number of posts, e.g. 3, not {value!r}")
    if value < 1:
        raise _Invalid(f"must be at least 1, not {value}; to turn the rule off write off")
    return value


def duration(value: object) -> timedelta:
    """A positive duration: `90m`, `2h`, `4d`, `1w`, `1d12h`."""
    text = str(value).strip()
    if text.startswith("-"):
        raise _Invalid(f"{text!r} is negative; a duration is a length of time, e.g. 1d",
                       "duration-invalid")
    try:
        parsed = parse_duration(text)
    except ValueError as exc:
        wordy = _WORDY_DURATION.match(text)
        message = (f"{text!r} is not a duration; write {wordy[1]}{wordy[2][0].lower()}" if wordy
                   else str(exc))
        raise _Invalid(message, "duration-invalid") from None
    if not parsed:
        raise _Invalid(f"{text!r} is no time at all; use a length such as 2h, or off",
                       "duration-invalid")
    return parsed


def _minutes(text: str, *, end: bool) -> int:
    if end and text.strip() == "24:00":
        return 24 * 60
    try:
        clock = parse_clock(text)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    return clock.hour * 60 + clock.minute


def clock_time(text: str) -> time:
    """`HH:MM`, 00:00 to 23:59."""
    try:
        return parse_clock(text)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def hours(value: object) -> Hours:
    """`08:00-20:00`: a window within one local day (24:00 may end it)."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise _Invalid(f"{value!r} is not a window of hours; write it as \"08:00-20:00\" "
                       "(in quotes: YAML reads a bare 08:00 as something else)")
    first, last = value.split("-")
    start, end = _minutes(first, end=False), _minutes(last, end=True)
    if end <= start:
        raise _Invalid(f"{value!r} ends before it starts; a window lies within one day, "
                       f"from the earlier time to the later, e.g. \"{first.strip()}-24:00\"")
    return Hours(start, end, value.strip())


def _weekday(name: str) -> int:
    key = name.strip().lower()
    if key in WEEKDAYS:
        return WEEKDAYS.index(key)
    guess = next((short for short, full in zip(WEEKDAYS, DAY_NAMES, strict=True)
                  if full.lower().startswith(key[:3]) and key[:3]), None)
    hint = f"; write {guess}" if guess else f"; use {', '.join(WEEKDAYS)}"
    raise _Invalid(f"{name!r} is not a weekday{hint}")


def weekday_set(text: str) -> frozenset[int]:
    """`mon-fri`, `tue,thu`, `sat-mon` (a range may wrap over the week's end)."""
    allowed: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        start = _weekday(first)
        if not dash:
            allowed.add(start)
            continue
        stop = _weekday(last)
        allowed.update((start + step) % 7 for step in range((stop - start) % 7 + 1))
    return frozenset(allowed)


def days(value: object) -> Days:
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return Days(frozenset(_weekday(item) for item in value), ", ".join(value))
    if isinstance(value, str) and value.strip():
        return Days(weekday_set(value), value.strip())
    raise _Invalid(f"{value!r} is not a set of weekdays; write mon-fri, \"mon,wed\" or [mon, wed]")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _Invalid(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-24") from None


def blackout(value: object) -> tuple[DateSpan, ...]:
    """Dates and inclusive ranges: `["2026-12-24", "2026-12-31..2027-01-01"]`."""
    if not isinstance(value, list):
        raise _Invalid(f"must be a list of dates, e.g. blackout: [\"2026-12-24\", "
                       f"\"2026-12-31..2027-01-01\"], not {value!r}")
    spans = []
    for item in value:
        text = str(item).strip()
        first_text, dots, last_text = text.partition("..")
        first = _date(first_text)
        last = _date(last_text) if dots else first
        if last < first:
            raise _Invalid(f"{text!r} ends before it starts; write the earlier date first: "
                           f"{last_text.strip()}..{first_text.strip()}")
        spans.append(DateSpan(first, last, text))
    return tuple(sorted(spans, key=lambda span: (span.first, span.last)))


def mix(value: object) -> Mix:
    """`{promo: 20%, window: 30d}`: per tag, the most share of posts in any window."""
    if not isinstance(value, dict):
        raise _Invalid(f"must map tags to shares, e.g. mix: {{promo: 20%, window: 30d}}, "
                       f"not {value!r}")
    window_text = str(value.get("window", "30d"))
    window = duration(window_text)
    limits = []
    for tag, share in value.items():
        if tag == "window":
            continue
        match = _PERCENT.match(str(share)) if isinstance(share, str) else None
        if not match:
            raise _Invalid(f"the share of {tag!r} must be a percentage such as 20%, not {share!r}")
        percent = float(match[1])
        if percent > 100:
            raise _Invalid(f"the share of {tag!r} is {share}; a share is at most 100%")
        limits.append((str(tag), percent / 100, share.strip()))
    if not limits:
        raise _Invalid("names no tag; write the tag and its most share, e.g. {promo: 20%, "
                       "window: 30d}")
    return Mix(window, tuple(limits), window_text)


def parse_slot(text: object) -> Slot:
    """`mon-fri 09:00`, `tue,thu 15:30`, `sat 10:00`: local weekly times."""
    days_text, _, clock_text = str(text).strip().rpartition(" ")
    if not days_text or ":" not in clock_text:
        raise _Invalid(f"slot {text!r} is not weekdays and a time; write e.g. \"mon-fri 09:00\"",
                       "slot-invalid")
    try:
        return Slot(weekday_set(days_text.strip()), clock_time(clock_text), str(text).strip())
    except _Invalid as exc:
        raise _Invalid(f"slot {text!r}: {exc}", "slot-invalid") from None


def merge(defaults: dict[str, _Layer], channel: dict[str, _Layer], where: str
          ) -> tuple[dict[str, Rule], list[Problem]]:
    """The active rules of one channel: its own over the defaults, rule by rule."""
    rules: dict[str, Rule] = {}
    problems: list[Problem] = []
    for name in RULES:
        own, base = channel.get(name), defaults.get(name)
        if own is None and base is None:
            continue
        value_from = own if own is not None and own.value is not None else base
        level = (own.level if own is not None and own.level else None) or (
            base.level if base is not None and base.level else None) or DEFAULT_LEVELS[name]
        if (own is not None and own.value == "off") or level == "off":
            continue
        if value_from is None or value_from.value is None or value_from.value == "off":
            problems.append(Problem((*(own or base).path, "<value>"), "cadence-invalid",
                                    f"{where}: {name} has a level but no value, and defaults "
                                    f"give none to keep; write {{value: {_EXAMPLES[name]}, "
                                    f"level: {level}}}"))
            continue
        rules[name] = Rule(name, value_from.value, level, value_from.path)
    return rules, problems


def parse_slots(raw: list[str], path: tuple) -> tuple[list[tuple[Slot, tuple]], list[Problem]]:
    slots, problems = [], []
    for index, text in enumerate(raw):
        try:
            slots.append((parse_slot(text), (*path, index)))
        except _Invalid as exc:
            problems.append(Problem((*path, index), exc.code, f"{dotted(path)}[{index}]: {exc}"))
    return slots, problems


def contradictions(rules: dict[str, Rule], slots: list[tuple[Slot, tuple]], owner: tuple,
                   where: str) -> list[Problem]:
    """Rules that cannot all hold, and slots the rules forbid.

    Only problems that involve something written under `owner` are returned, so a
    contradiction inside defaults is reported once, at defaults, not per channel.
    """
    problems = []

    def mine(*names: str) -> Rule | None:
        for name in names:
            if rules[name].path[:len(owner)] == owner:
                return rules[name]
        return None

    per_day, gap, window = rules.get("max_per_day"), rules.get("min_gap"), rules.get("hours")
    if per_day and gap:
        span = window.value.end - window.value.start if window else 24 * 60 - 1
        fit = int(span // (gap.value.total_seconds() / 60)) + 1
        at = mine("max_per_day", "min_gap", *(["hours"] if window else []))
        if per_day.value > fit and at:
            within = f"hours {window.value.text}" if window else "one day"
            problems.append(Problem(
                (*at.path, "<value>"), "cadence-contradiction",
                f"{where}: max_per_day {per_day.value} can never be reached: with min_gap "
                f"{format_span(gap.value)} only {fit} post{'s' if fit != 1 else ''} fit into {within}; "
                "lower max_per_day or min_gap" + (", or widen hours" if window else "")))
    silence = rules.get("max_silence")
    if silence and gap and silence.value < gap.value:
        at = mine("max_silence", "min_gap")
        if at:
            problems.append(Problem(
                (*at.path, "<value>"), "cadence-contradiction",
                f"{where}: max_silence {format_span(silence.value)} is shorter than min_gap "
                f"{format_span(gap.value)}: every gap would break one of them; make max_silence longer"))
    allowed = rules.get("days")
    for slot, path in slots:
        if allowed:
            forbidden = sorted(slot.days - allowed.value.allowed)
            if forbidden:
                names = ", ".join(WEEKDAYS[day] for day in forbidden)
                problems.append(Problem(path, "slot-forbidden",
                                        f"{where}: slot {slot.text!r} falls on {names}, which days "
                                        f"({allowed.value.text}) forbids: queued posts could never "
                                        "take it; change the slot or days"))
        if window:
            minute = slot.clock.hour * 60 + slot.clock.minute
            if not window.value.allows(minute):
                problems.append(Problem(path, "slot-forbidden",
                                        f"{where}: slot {slot.text!r} is outside hours "
                                        f"{window.value.text}: queued posts could never take it; "
                                        "move the slot into the hours"))
    return problems
