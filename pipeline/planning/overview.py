"""`social cadence`: each channel week by week (posts per day, gaps, findings), as text or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.cadence.events import CadenceFinding
from pipeline.cadence.localtime import (
    SHORT_DAYS,
    WEEK_STARTS,
    format_day,
    format_span,
    local_iso,
    week_of,
)
from pipeline.cadence.registry import describe
from pipeline.content.model import Content
from pipeline.errors import ERROR, UsageError
from pipeline.planning.against import Comparison, compare, content_at
from pipeline.planning.answers import inbox_entries, mentions_by_channel
from pipeline.planning.evaluation import (
    ChannelCadence,
    Mentions,
    Published,
    evaluate,
    events_from_content,
)


@dataclass
class CadenceReport:
    """Every selected channel's cadence from `now` on, and what a change does (`against`)."""

    zone: ZoneInfo
    week_start: str
    now: datetime
    channels: dict[str, ChannelCadence]
    comparison: Comparison | None = None
    #: what could not be read (a damaged line of state/inbox.jsonl)
    read_warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.level == ERROR for c in self.channels.values() for f in c.findings)

    @property
    def warnings(self) -> int:
        return sum(f.level != ERROR for c in self.channels.values() for f in c.findings)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def as_dict(self) -> dict:
        data: dict = {
            "now": local_iso(self.now, self.zone),
            "timezone": self.zone.key,
            "week_start": self.week_start,
            "channels": {
                channel_id: {
                    "findings": [f.as_dict(self.zone) for f in result.findings],
                    "days": {day.isoformat(): count
                             for day, count in sorted(result.day_counts(self.today).items())},
                    "rules": {name: {"value": describe(rule), "level": rule.level}
                              for name, rule in result.rules.items()},
                }
                for channel_id, result in self.channels.items()
            },
        }
        if self.comparison is not None:
            data["against"] = self.comparison.as_dict(self.zone)
        return data

    def as_text(self) -> str:
        if self.comparison is not None:
            return self.comparison.as_text(self.zone, self.today.year) + "\n" + self._summary()
        blocks = [channel_text(result, self.today, WEEK_STARTS[self.week_start])
                  for result in self.channels.values()]
        return "\n\n".join([*blocks, self._summary()])

    def _summary(self) -> str:
        return (f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} "
                f"warning{'s' * (self.warnings != 1)} from {local_iso(self.now, self.zone)} on.")


def channel_text(result: ChannelCadence, today: date, week_start: int) -> str:
    """One channel: its rules, a row per week (posts per day, the longest gap), findings below."""
    line = result.line
    rules = ", ".join(f"{name} {describe(rule)}" + (" (warning)" if rule.level != ERROR else "")
                      for name, rule in result.rules.items())
    counts = result.day_counts()
    future = [d for d in counts if d >= today]
    first = week_of(today, week_start)
    last = week_of(max(future), week_start) if future else first
    header = (f"{result.channel}: {sum(counts[d] for d in future)} posts from "
              f"{format_day(today, today.year)}" +
              (f" to {format_day(max(future), today.year)}" if future else "") +
              f" ({line.zone.key})")
    lines = [header, f"  rules: {rules or 'none'}"]
    names = [SHORT_DAYS[(week_start + n) % 7] for n in range(7)]
    lines.append(f"  {'week of':<16}" + "".join(f"{name:>4}" for name in names) + "  posts  longest gap")
    per_day = result.rules.get("max_per_day")
    gaps = _longest_gaps(result, week_start)
    by_week = _findings_by_week(result, week_start, first, last)
    week = first
    while week <= last:
        cells, total = [], 0
        for offset in range(7):
            count = counts.get(week + timedelta(days=offset), 0)
            total += count
            over = per_day is not None and count > per_day.value
            cells.append(f"{count}!" if over else (str(count) if count else "."))
        gap = gaps.get(week)
        lines.append(f"  {format_day(week, today.year):<16}" + "".join(f"{c:>4}" for c in cells)
                     + f"  {total:>5}  {format_span(gap) if gap else '-'}")
        lines.extend(f"    {f.level} {f.rule}: {f.message}" for f in by_week.get(week, []))
        week += timedelta(days=7)
    if not result.findings:
        lines.append("  no findings")
    return "\n".join(lines)


def _longest_gaps(result: ChannelCadence, week_start: int) -> dict[date, timedelta]:
    """Per week, the longest gap between two posts that ends in that week (likes and reposts are no posts)."""
    line = result.line.posts()
    gaps: dict[date, timedelta] = {}
    for i in range(1, len(line.times)):
        week = week_of(line.dates[i], week_start)
        gap = line.times[i] - line.times[i - 1]
        if gap > gaps.get(week, timedelta(0)):
            gaps[week] = gap
    return gaps


def _findings_by_week(result: ChannelCadence, week_start: int, first: date, last: date
                      ) -> dict[date, list[CadenceFinding]]:
    """Each finding under the week of the post it blames (else of its start), within the weeks shown.

    So a silence shows next to the week whose gap column holds it.
    """
    line = result.line
    days = {event.post: line.dates[i] for i, event in enumerate(line.events)}
    weeks: dict[date, list[CadenceFinding]] = {}
    for found in result.findings:
        day = days.get(found.blame) or found.start.astimezone(line.zone).date()
        week = min(max(week_of(day, week_start), first), last)
        weeks.setdefault(week, []).append(found)
    return weeks


def build_report(content: Content, now: datetime, channels: tuple[str, ...] = (),
                 published: Published | None = None, mentions: Mentions | None = None) -> CadenceReport:
    """The cadence of `content` (a usable config) from `now` on, for `channels` (default: all);
    `mentions` (what the inbox holds, with the answers' times) feed max_unanswered."""
    config = content.config
    for channel in channels:
        if channel not in config.channels:
            raise UsageError(f"unknown channel {channel!r}; channels: {', '.join(config.channels)}")
    results = evaluate(config, events_from_content(content, published), now, mentions)
    selected = {cid: result for cid, result in results.items() if not channels or cid in channels}
    return CadenceReport(config.zone, config.week_start, now, selected)


def cadence_report(root: Path, *, now_text: str | None = None, channels: tuple[str, ...] = (),
                   against: str | None = None, published: Published | None = None
                   ) -> CadenceReport:
    """`social cadence`: load the content (and the content at git ref `against`), report.

    Published posts count at their real times (`published`, default: the ledger); what
    state/inbox.jsonl holds is checked against the posts answering it (max_unanswered).
    """
    from pipeline.content.workspace import Workspace

    workspace = Workspace(root, now_text=now_text)
    workspace.require_config()
    content, now = workspace.content, workspace.now
    if published is None:
        published = workspace.published_times()
    records = workspace.inbox.records()
    current = list(workspace.ledger.latest()) if records else []

    def mentions(of: Content) -> Mentions:
        return mentions_by_channel(inbox_entries(records, of, current)) if records else {}

    report = build_report(content, now, channels, published, mentions(content))
    report.read_warnings = list(workspace.inbox.warnings)
    if against is not None:
        with content_at(Path(root), against) as base:
            before = (evaluate(base.config, events_from_content(base, published), now, mentions(base))
                      if base.config else {})
        report.comparison = compare(against, before, report.channels, report.today,
                                    base_broken=base.config is None)
    return report

