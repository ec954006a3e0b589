"""Profiles against their channels' networks: what each can hold, how long, and how fresh.

A profile that cannot be applied is an error here, where it can be fixed, not
when `social profiles sync` runs. A profile left unchanged longer than the
channel's `profile_max_age`, or one that still speaks of a date that has passed
("Christmas hours until 24 Dec"), is a warning: an account that looks abandoned
loses followers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from pipeline.content.model import Config
from pipeline.content.profiles import Profile
from pipeline.errors import ERROR, WARNING, Finding
from pipeline.networks import network_class

_MONTHS = {name: number for number, names in enumerate(
    [("jan", "januar", "january", "janvier"), ("feb", "februar", "february", "fevrier", "février"),
     ("mar", "mär", "maerz", "märz", "march", "mars"), ("apr", "april", "avril"),
     ("may", "mai"), ("jun", "juni", "june", "juin"), ("jul", "juli", "july", "juillet"),
     ("aug", "august", "aout", "août"), ("sep", "sept", "september", "septembre"),
     ("oct", "okt", "oktober", "october", "octobre"), ("nov", "november", "novembre"),
     ("dec", "dez", "dezember", "december", "décembre", "decembre")], start=1) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = [
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})\.?\s+(?P<mname>{_MONTH})\.?(?:\s+(?P<year>\d{{4}}))?\b", re.IGNORECASE),
    re.compile(rf"\b(?P<mname>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?\b",
               re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})?(?!\d)"),
]


def profile_findings(profiles: list[Profile], config: Config | None, today: date,
                     last_change: Callable[[str], datetime | None]) -> list[Finding]:
    """Every profile against its channel; `last_change(file)` is when git last changed it."""
    if config is None:
        return []
    findings: list[Finding] = []
    for profile in profiles:
        findings.extend(_one(profile, config, today, last_change))
    return findings


def _one(profile: Profile, config: Config, today: date, last_change) -> list[Finding]:
    found: list[Finding] = []

    def report(key: str, code: str, message: str, level: str = ERROR) -> None:
        found.append(Finding(profile.file, profile.line_of(key), 1, level, code, message))

    channel = config.channels.get(profile.channel)
    if channel is None:
        report("", "profile-channel-unknown", f"there is no channel {profile.channel!r} in channels.yml: "
               f"name the file after a channel ({', '.join(config.channels)})")
        return found
    network = network_class(channel.network)
    support = network.profile
    title = network.title or network.name
    if support is None:
        # The calendar site's previews show the name and the avatar; nothing else has a use.
        for key in ("bio", "header", "fields"):
            if getattr(profile, key) is not None:
                report(key, "profile-unsupported", f"{title} profiles cannot be set by this tool; for "
                       f"the calendar's previews a profile holds only display_name and avatar: remove {key}")
        return found
    for key, limit in (("display_name", support.display_name), ("bio", support.bio)):
        value = getattr(profile, key)
        if value is None:
            continue
        if limit is None:
            report(key, "profile-field-unsupported", f"{title} profiles have no {key}: remove it")
        elif support.length(value) > limit:
            report(key, "profile-too-long", f"{key} is {support.length(value)} {support.unit} long; "
                   f"{title} allows {limit}: shorten it")
    if profile.fields is not None:
        if support.fields == 0:
            report("fields", "profile-field-unsupported", f"{title} profiles have no fields: put links "
                   "into the bio instead")
        elif len(profile.fields) > support.fields:
            report("fields", "profile-too-long", f"{len(profile.fields)} fields; {title} shows at most "
                   f"{support.fields}")
        for name, value in profile.fields or ():
            if len(name) > support.field_name or len(value) > support.field_value:
                report("fields", "profile-too-long", f"field {name[:30]!r}: names may be "
                       f"{support.field_name} and values {support.field_value} characters long")
    for key, allowed in (("avatar", support.avatar), ("header", support.header)):
        image = getattr(profile, key)
        if image is None:
            continue
        if not allowed:
            report(key, "profile-field-unsupported", f"{title} profiles have no {key} image: remove it")
        elif image.format not in support.image_formats:
            report(key, "profile-image-format", f"{key} is {image.format}; {title} takes "
                   f"{', '.join(sorted(support.image_formats))}: export it as one of those")
        elif support.image_bytes and (image.bytes or 0) > support.image_bytes:
            report(key, "profile-image-too-large", f"{key} is {image.bytes:,} bytes; {title} takes at most "
                   f"{support.image_bytes:,}: make it smaller")
    found.extend(_freshness(profile, channel.profile_max_age, today, last_change))
    return found


def _freshness(profile: Profile, max_age: timedelta | None, today: date, last_change) -> list[Finding]:
    found = []
    changed = last_change(profile.file)
    if max_age is not None and changed is not None and today - changed.date() > max_age:
        found.append(Finding(profile.file, 1, 1, WARNING, "profile-stale",
                             f"the profile has not changed since {changed.date().isoformat()} "
                             f"({(today - changed.date()).days} days; profile_max_age is {max_age.days} "
                             "days): check that it still says what is true today"))
    texts = [("bio", profile.bio or "")] + [("fields", f"{n} {v}") for n, v in profile.fields or ()]
    texts.append(("display_name", profile.display_name or ""))
    for key, text in texts:
        for mentioned in past_dates(text, today):
            found.append(Finding(profile.file, profile.line_of(key), 1, WARNING, "profile-date-past",
                                 f"{key} speaks of {mentioned}, which has passed: update or remove it"))
    return found


def past_dates(text: str, today: date) -> list[str]:
    """The dates `text` mentions that lie before `today` (a date without a year: this year's,
    or last year's when this year's would be more than half a year ahead)."""
    found = []
    for pattern in _DATES:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = _MONTHS.get((parts.get("mname") or "").lower()) or int(parts.get("month") or 0)
            try:
                day = int(parts["day"])
                year = int(parts["year"]) if parts.get("year") else today.year
                when = date(year, month, day)
                if not parts.get("year") and when - today > timedelta(days=183):
                    when = date(year - 1, month, day)
            except (TypeError, ValueError):
                continue
            if when < today:
                found.append(match.group(0))
    return found
