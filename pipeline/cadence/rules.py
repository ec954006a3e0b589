"""One pure function per cadence rule: a channel's timeline and the rule in, findings out.

Every finding lists in `posts` each post that adds to it, so the queue can tell
whether a post it tries would take part in breaking a rule.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import date, timedelta
from itertools import accumulate

from pipeline.cadence.calendar import day_start, format_day, format_span, week_of
from pipeline.cadence.events import CadenceFinding, Timeline, ids
from pipeline.cadence.policy import DAY_NAMES, Rule
from pipeline.cadence.similarity import normalize, similar_earlier


def _finding(rule: Rule, message: str, posts: tuple[str, ...], start, end, blame=None
             ) -> CadenceFinding:
    return CadenceFinding(rule.name, rule.level, message, posts, start, end, blame)


def _groups(keys: list[date]) -> dict[date, list[int]]:
    groups: dict[date, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    return groups


def _listing(line: Timeline, indexes: list[int]) -> str:
    return ", ".join(f"{line.events[i].post} {line.local[i]:%H:%M}" for i in indexes)


def max_per_day(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """More than N posts on one local day."""
    return _too_many(line, rule, line.dates, 1, lambda day, indexes: (
        f"{format_day(day, line.year)} has {len(indexes)} posts, max_per_day is {rule.value}: "
        f"{_listing(line, indexes)}"))


def max_per_week(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """More than N posts in one week (weeks begin on the configured week_start)."""
    weeks = [week_of(day, line.week_start) for day in line.dates]
    return _too_many(line, rule, weeks, 7, lambda week, indexes: (
        f"the week of {format_day(week, line.year)} has {len(indexes)} posts, max_per_week is {rule.value}"))


def _too_many(line: Timeline, rule: Rule, periods: list[date], days: int, describe) -> list[CadenceFinding]:
    """A finding for each period (starting on the given local day, `days` long) over the limit;
    the post to move is the first one past it."""
    findings = []
    for start, indexes in _groups(periods).items():
        if len(indexes) > rule.value:
            findings.append(_finding(
                rule, describe(start, indexes), ids(line.events[i] for i in indexes),
                day_start(start, line.zone), day_start(start + timedelta(days=days), line.zone),
                line.events[indexes[rule.value]].post))
    return findings


def min_gap(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Two consecutive posts closer than the gap."""
    findings = []
    for i in range(1, len(line.events)):
        gap = line.times[i] - line.times[i - 1]
        if gap < rule.value:
            before, after = line.events[i - 1], line.events[i]
            distance = "at the same time as" if not gap else f"only {format_span(gap)} after"
            findings.append(_finding(
                rule, f"{after.post} at {line.when(i)} is {distance} {before.post}; min_gap is "
                f"{format_span(rule.value)}",
                (before.post, after.post), before.at, after.at, after.post))
    return findings


def max_silence(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """A gap between two consecutive posts longer than allowed, or since the last post until now."""
    findings = []
    if line.now is not None and line.events and line.now - line.times[-1] > rule.value:
        last = line.events[-1]
        findings.append(_finding(
            rule, f"{format_span(line.now - line.times[-1])} without a post since {last.post} "
            f"({line.when(len(line.events) - 1)}) and nothing scheduled; max_silence is "
            f"{format_span(rule.value)}", (last.post,), last.at, line.now))
    for i in range(1, len(line.events)):
        gap = line.times[i] - line.times[i - 1]
        if gap > rule.value:
            before, after = line.events[i - 1], line.events[i]
            findings.append(_finding(
                rule, f"{format_span(gap)} without a post between {before.post} "
                f"({line.when(i - 1)}) and {after.post} ({line.when(i)}); max_silence is "
                f"{format_span(rule.value)}",
                (before.post, after.post), before.at, after.at, after.post))
    return findings


def runway(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Fewer than N days ahead of now planned. Needs a `now`."""
    if line.now is None:
        return []
    until = line.now + rule.value
    if line.events and line.times[-1] >= until:
        return []
    plan = f"runway is {format_span(rule.value)}: plan posts until " \
           f"{format_day(until.astimezone(line.zone).date(), line.year)}"
    if not line.events:
        return [_finding(rule, f"nothing scheduled at all; {plan}", (), line.now, until)]
    last = len(line.events) - 1
    day = format_day(line.dates[last], line.year)
    return [_finding(rule, f"nothing scheduled after {day} ({line.events[last].post}); {plan}",
                     (line.events[last].post,), max(line.times[last], line.now), until)]


def hours(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts outside the local posting window."""
    window = rule.value
    findings = []
    for i, local in enumerate(line.local):
        if not window.allows(local.hour * 60 + local.minute + local.second / 60):
            post = line.events[i].post
            findings.append(_finding(rule, f"{post} at {line.when(i)} is outside hours "
                                     f"{window.text}", (post,), line.times[i], line.times[i], post))
    return findings


def days(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts on weekdays the channel does not post on."""
    findings = []
    for i, day in enumerate(line.dates):
        if day.weekday() not in rule.value.allowed:
            post = line.events[i].post
            findings.append(_finding(rule, f"{post} is on a {DAY_NAMES[day.weekday()]} "
                                     f"({line.when(i)}); days allows {rule.value.text}",
                                     (post,), line.times[i], line.times[i], post))
    return findings


def blackout(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts on blackout dates."""
    spans = rule.value
    firsts = [span.first for span in spans]
    # the span reaching furthest among those starting by each index: spans may overlap
    furthest = list(accumulate(spans, lambda best, span: span if span.last > best.last else best))
    findings = []
    for i, day in enumerate(line.dates):
        at = bisect_right(firsts, day) - 1
        if at >= 0 and furthest[at].last >= day:
            post = line.events[i].post
            findings.append(_finding(rule, f"{post} at {line.when(i)} falls on blackout "
                                     f"{furthest[at].text}", (post,), line.times[i], line.times[i],
                                     post))
    return findings


def duplicates(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """The same or nearly the same text within the window."""
    texts = [normalize(event.text) for event in line.events]
    findings = []
    for later, earlier, percent in similar_earlier(texts, line.times, rule.value):
        first, second = line.events[earlier], line.events[later]
        how = "the same text" if percent >= 100 else f"nearly the same text ({percent:.0f}% alike)"
        findings.append(_finding(
            rule, f"{second.post} ({line.when(later)}) has {how} as {first.post} "
            f"({line.when(earlier)}); duplicates looks back {format_span(rule.value)}",
            (first.post, second.post), first.at, second.at, second.post))
    return findings


def mix(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Too large a share of posts with a tag in some window.

    The windows are those ending at each tagged post (the share only grows there).
    One tagged post alone is never a finding, however few posts its window holds.
    Overlapping windows that break the rule are one finding, shown at their worst
    and blamed on the post that tipped the first of them.
    """
    findings = []
    window = rule.value.window
    for tag, share, written in rule.value.limits:
        tagged = [tag in event.tags for event in line.events]
        counts = [0, *accumulate(tagged)]
        runs: list[_MixRun] = []
        start = 0
        for i, is_tagged in enumerate(tagged):
            while line.times[i] - line.times[start] >= window:
                start += 1
            total, hits = i - start + 1, counts[i + 1] - counts[start]
            if not is_tagged or hits < 2 or hits <= share * total:
                continue
            posts = [line.events[j].post for j in range(start, i + 1) if tagged[j]]
            if runs and line.times[i] - window < runs[-1].end:
                runs[-1].extend(line.times[i], posts, (hits / total, hits, total, i))
            else:
                runs.append(_MixRun(line.times[i] - window, line.times[i], posts,
                                    (hits / total, hits, total, i), line.events[i].post))
        for run in runs:
            _, hits, total, i = run.worst
            findings.append(_finding(
                rule, f"in the {rule.value.window_text} up to {line.when(i)}, {hits} of {total} "
                f"posts are tagged {tag} ({hits / total:.0%}); mix allows {written}",
                tuple(run.posts), run.start, run.end, run.blame))
    return findings


class _MixRun:
    """Overlapping windows that each break a mix limit."""

    def __init__(self, start, end, posts: list[str], worst: tuple, blame: str) -> None:
        self.start, self.end, self.posts, self.worst, self.blame = start, end, posts, worst, blame
        self._seen = set(posts)

    def extend(self, end, posts: list[str], worst: tuple) -> None:
        self.end = end
        self.posts.extend(post for post in posts if post not in self._seen)
        self._seen.update(posts)
        self.worst = max(self.worst, worst)


CHECKS: dict[str, Callable[[Timeline, Rule], list[CadenceFinding]]] = {
    "max_per_day": max_per_day,
    "max_per_week": max_per_week,
    "min_gap": min_gap,
    "max_silence": max_silence,
    "runway": runway,
    "hours": hours,
    "days": days,
    "blackout": blackout,
    "duplicates": duplicates,
    "mix": mix,
}

# Rules about absence: a post placed by the queue can only shorten a silence, so
# the queue checks every rule but these.
ABSENCE_RULES = frozenset({"max_silence", "runway"})
