"""Schedule times: parsing `publish_at`, DST gaps and overlaps, durations, display."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import UsageError

_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
    r"\s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIME_ONLY = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


#: the codes of a `publish_at` that cannot be used (parse_publish_at's TimeErrors)
PUBLISH_AT_CODES = frozenset({"publish-at-time-only", "publish-at-no-time", "publish-at-invalid",
                              "time-nonexistent", "time-ambiguous"})


class TimeError(ValueError):
    """A time that cannot be used; `code` is the stable finding code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or TimeError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise TimeError(
            "timezone-unknown",
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or America/New_York",
        ) from None


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach `zone` to a wall-clock time, refusing times that do not exist or exist twice."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = naive.strftime("%Y-%m-%d %H:%M")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        before, after = first.utcoffset(), second.utcoffset()
        jump = abs(int(((after or timedelta()) - (before or timedelta())).total_seconds() // 60))
        raise TimeError(
            "time-nonexistent",
            f"{shown} does not exist in {zone.key}: the clocks skip {jump} minutes that night "
            f"(daylight saving time); pick a time outside the gap",
        )
    raise TimeError(
        "time-ambiguous",
        f"{shown} happens twice in {zone.key} (daylight saving time ends); add an offset: "
        f"{shown}{format_offset(first)} for the first or {shown}{format_offset(second)} "
        f"for the second",
    )


def parse_publish_at(value: object, zone: ZoneInfo) -> datetime:
    """Parse a `publish_at` value (local to `zone` unless it has an offset) into UTC.

    Times are kept in UTC because Python compares and subtracts two datetimes of
    the same zone by wall clock, ignoring `fold`: across a DST change that is an
    hour wrong. Convert to a zone only to show a time.
    """
    if isinstance(value, bool) or value is None:
        raise TimeError("publish-at-invalid", f"publish_at must be a date and time, got {value!r}")
    if isinstance(value, datetime | date):  # only from loaders other than ours; be clear anyway
        value = value.isoformat(sep=" ")
    text = str(value).strip()
    if _TIME_ONLY.match(text):
        raise TimeError(
            "publish-at-time-only",
            f"publish_at {text!r} is a time without a date; write the date too, "
            f"e.g. publish_at: 2026-12-01 {text}",
        )
    match = _DATETIME.match(text)
    if not match:
        raise TimeError(
            "publish-at-invalid",
            f"publish_at {text!r} is not a date and time; write it as YYYY-MM-DD HH:MM, "
            f"e.g. 2026-12-01 09:30 (local time) or 2026-12-01 09:30+01:00",
        )
    if match["time"] is None:
        raise TimeError(
            "publish-at-no-time",
            f"publish_at {text!r} has a date but no time; add the local time, e.g. {text} 09:30",
        )
    iso = f"{match['date']}T{match['time'].zfill(5) if len(match['time']) == 4 else match['time']}"
    try:
        naive = datetime.fromisoformat(iso)
    except ValueError as exc:
        raise TimeError(
            "publish-at-invalid",
            f"publish_at {text!r} is not a real date and time ({exc}); write it as YYYY-MM-DD HH:MM",
        ) from None
    offset = match["offset"]
    if offset is None:
        return localize(naive, zone).astimezone(UTC)
    try:
        aware = datetime.fromisoformat(iso + ("+00:00" if offset == "Z" else _normal_offset(offset)))
    except ValueError:
        raise TimeError("publish-at-invalid", f"publish_at {text!r} has an invalid offset") from None
    return aware.astimezone(UTC)


def _normal_offset(offset: str) -> str:
    digits = offset[1:].replace(":", "")
    return f"{offset[0]}{digits[:2]}:{digits[2:4] or '00'}"


def parse_duration(value: object) -> timedelta:
    """Parse `90m`, `2h`, `4d`, `1w`, `1d12h` into a timedelta; ValueError says how to write one."""
    text = str(value).strip()
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(
            f"{text!r} is not a duration; write a number with a unit: 90m, 2h, 4d, 1w (or 1d12h)"
        )
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def parse_clock(value: str) -> time:
    """Parse `HH:MM` (24-hour)."""
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. 09:30")
    return time(int(hours), int(minutes))


def format_offset(moment: datetime) -> str:
    """`+01:00` style offset of an aware datetime."""
    offset = moment.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_local(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """`2026-12-01 09:30+01:00`: a time as shown to people, always with its offset."""
    local = moment.astimezone(zone) if zone else moment
    return local.strftime("%Y-%m-%d %H:%M") + format_offset(local)


def parse_now(value: str | None, zone: ZoneInfo, clock: Callable[[], datetime] | None = None) -> datetime:
    """The `--now` option in UTC: an ISO time (local to `zone` without an offset), default the clock.

    A time that cannot be used is a UsageError naming --now (exit 2).
    """
    if not value:
        return (clock or utc_now)()
    try:
        return parse_publish_at(value, zone)
    except TimeError as exc:
        raise UsageError(exc.message.replace("publish_at", "--now")) from None


def utc_now() -> datetime:
    """The clock: now, in UTC. Commands take it as a parameter, so tests can stop it."""
    return datetime.now(UTC)


def utc_iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z, as the ledger stores times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def zone_rules(key: str) -> bytes:
    """A time zone's compiled rules where the system keeps them (else its name: the tzdata
    distribution's version then decides them): what a time read in that zone depends on."""
    import os
    import zoneinfo

    for folder in zoneinfo.TZPATH:
        path = os.path.join(folder, key)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return key.encode() + b"\0" + handle.read()
    return key.encode()
