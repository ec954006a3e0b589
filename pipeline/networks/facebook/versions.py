"""Which Graph API versions Meta serves, and until when.

Meta serves each version for at least two years, until two years after the next
one's release, and publishes the end date in its changelog
(https://developers.facebook.com/docs/graph-api/changelog/versions). The dates
below are copied from there (read in December 2026); the newest version's end is
not known until its successor is released. Third parties report that a call to
a retired version is answered by the oldest version Meta still serves: it may
still work, but no longer as the version it names.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

#: the version a channel uses unless it says `api_version:`; it moves with releases of this package
DEFAULT_VERSION = "v26.0"
#: (major, minor) -> the last day Meta serves it, from its changelog
AVAILABLE_UNTIL: dict[tuple[int, int], date] = {
    (17, 0): date(2025, 9, 12),
    (18, 0): date(2026, 1, 26),
    (19, 0): date(2026, 5, 21),
    (20, 0): date(2026, 9, 24),
    (21, 0): date(2027, 1, 21),
    (22, 0): date(2027, 5, 20),
    (23, 0): date(2027, 10, 8),
    (24, 0): date(2028, 2, 18),
    (25, 0): date(2028, 7, 29),
}
#: the newest version in the changelog (released 2026-07-29); its end date is not yet set
NEWEST_KNOWN = (26, 0)
#: how long before a version's end validation starts to warn
WARN_BEFORE = timedelta(days=90)
CHANGELOG = "https://developers.facebook.com/docs/graph-api/changelog"
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


def available_until(version: str) -> date | None:
    """The last day Meta serves `version`, when its changelog says; None for the newest ones."""
    found = _VERSION.match(version)
    return AVAILABLE_UNTIL.get((int(found[1]), int(found[2]))) if found else None


def version_findings(version: str, today: date) -> list[tuple[str, str, str]]:
    """(level, code, message) about a channel's `api_version` as of `today`."""
    found = _VERSION.match(version)
    if not found:
        return []  # the options model refuses it already
    number = (int(found[1]), int(found[2]))
    advice = (f"set `api_version:` to the newest version in Meta's Graph API changelog ({CHANGELOG}), "
              f"after a look at what changed (this package's default is {DEFAULT_VERSION})")
    oldest = min(AVAILABLE_UNTIL)
    if number < oldest:
        return [("error", "facebook-version-retired", f"Graph API {version} is retired (Meta stopped "
                 f"serving v{oldest[0]}.{oldest[1]} on {AVAILABLE_UNTIL[oldest].isoformat()}, and older "
                 f"versions before it); {advice}")]
    if number >= NEWEST_KNOWN:
        return []  # served for at least two years after its successor's release, which is yet to come
    until = AVAILABLE_UNTIL.get(number)
    if until is None:
        return [("error", "facebook-version-unknown", f"{version} is not a Graph API version Meta has "
                 f"released (they are numbered v{oldest[0]}.0, v{oldest[0] + 1}.0, …); {advice}")]
    if today > until:
        return [("error", "facebook-version-retired", f"Graph API {version} was retired on "
                 f"{until.isoformat()}: Meta answers calls to it with a newer version, whose changes "
                 f"this channel was never checked against; {advice}")]
    if today >= until - WARN_BEFORE:
        return [("warning", "facebook-version-retiring", f"Graph API {version} retires on "
                 f"{until.isoformat()}; {advice}")]
    return []
