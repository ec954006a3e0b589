"""`social cadence --against REF`: what a change does to the cadence, compared with a git ref.

The content of REF is read with `git archive` into a temporary folder and goes
through the same loading and rules as the working tree; `compare` is pure.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline import git
from pipeline.cadence.events import CadenceFinding
from pipeline.cadence.localtime import format_day
from pipeline.content.model import Content
from pipeline.errors import UsageError
from pipeline.planning.evaluation import ChannelCadence


@dataclass(frozen=True)
class DayChange:
    """A local day on which a channel gets a different number of posts."""

    day: date
    channel: str
    before: int
    after: int
    max_per_day: int | None

    def text(self, year: int) -> str:
        limit = (f", max_per_day is {self.max_per_day}"
                 if self.max_per_day is not None and self.after > self.max_per_day else "")
        return f"{format_day(self.day, year)}: {self.channel} {self.before} -> {self.after}{limit}"


@dataclass
class Comparison:
    """Days that change, and findings that are new, resolved or changed, per channel."""

    ref: str
    days: list[DayChange] = field(default_factory=list)
    new: list[tuple[str, CadenceFinding]] = field(default_factory=list)
    resolved: list[tuple[str, CadenceFinding]] = field(default_factory=list)
    changed: list[tuple[str, CadenceFinding]] = field(default_factory=list)
    base_broken: bool = False

    def as_dict(self, zone: ZoneInfo) -> dict:
        def listed(items: list[tuple[str, CadenceFinding]]) -> list[dict]:
            return [{"channel": channel, **found.as_dict(zone)} for channel, found in items]

        return {
            "ref": self.ref,
            "base_config_broken": self.base_broken,
            "days": [{"date": change.day.isoformat(), "channel": change.channel,
                      "before": change.before, "after": change.after} for change in self.days],
            "new": listed(self.new),
            "resolved": listed(self.resolved),
            "changed": listed(self.changed),
        }

    def as_text(self, zone: ZoneInfo, year: int) -> str:
        lines = [f"Against {self.ref}:"]
        if self.base_broken:
            lines.append(f"  (content/channels.yml at {self.ref} cannot be used: every finding "
                         "counts as new)")
        if not (self.days or self.new or self.resolved or self.changed):
            lines.append("  the change does not alter the cadence of any channel")
        sections = (
            ("days that change", [change.text(year) for change in self.days]),
            ("new findings", [f"{f.level} {c} {f.rule}: {f.message}" for c, f in self.new]),
            ("changed findings", [f"{f.level} {c} {f.rule}: {f.message}" for c, f in self.changed]),
            ("resolved findings", [f"{f.level} {c} {f.rule}: {f.message}" for c, f in self.resolved]),
        )
        for title, items in sections:
            if items:
                lines.append(f"  {title}:")
                lines.extend(f"    {item}" for item in items)
        return "\n".join(lines)


def _key(found: CadenceFinding) -> tuple:
    return (found.rule, found.start, found.end)


def compare(ref: str, before: Mapping[str, ChannelCadence], after: Mapping[str, ChannelCadence],
            since: date, base_broken: bool = False) -> Comparison:
    """What changes from `before` (the ref) to `after` (the working tree), from `since` on.

    A finding is the same in both when its rule, start and end are; if its text
    differs (a fifth post on a day that already had four), it is `changed`.
    """
    result = Comparison(ref, base_broken=base_broken)
    for channel, now in after.items():
        then = before.get(channel)
        old_days = then.day_counts(since) if then else {}
        new_days = now.day_counts(since)
        per_day = now.rules.get("max_per_day")
        for day in sorted(set(old_days) | set(new_days)):
            if old_days.get(day, 0) != new_days.get(day, 0):
                result.days.append(DayChange(day, channel, old_days.get(day, 0),
                                             new_days.get(day, 0),
                                             per_day.value if per_day else None))
        old = {_key(f): f for f in then.findings} if then else {}
        current = {_key(f): f for f in now.findings}
        result.new.extend((channel, f) for key, f in current.items() if key not in old)
        result.changed.extend((channel, f) for key, f in current.items()
                              if key in old and old[key].message != f.message)
        result.resolved.extend((channel, f) for key, f in old.items() if key not in current)
    result.days.sort(key=lambda change: (change.day, change.channel))
    return result


@contextmanager
def content_at(root: Path, ref: str) -> Iterator[Content]:
    """The content of `root` as it is at git ref `ref`, loaded from a temporary copy."""
    from pipeline.content.load import load_content

    if ref.startswith("-"):
        raise UsageError(f"{ref!r} is not a git ref")
    try:
        place = git.place_of(root)
        if place is None:
            raise UsageError(f"--against {ref}: {root} is not in a git repository")
        commit = git.commit_of(root, ref)
        if commit is None:
            raise UsageError(f"--against {ref}: no such commit, branch or tag; fetch it first "
                             "(in CI: fetch-depth: 0)")
        with tempfile.TemporaryDirectory(prefix="social-against-") as folder:
            target = Path(folder)
            git.extract_tree(place, commit, ["content"], target)  # none: everything is new
            yield load_content(target)
    except git.GitMissing:
        raise UsageError("--against needs git, and git is not installed") from None
