"""mix: at most this share of posts with a tag in any window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.values import DURATION_SCHEMA, InvalidValue, duration
from pipeline.errors import WARNING

DEFAULT_WINDOW = "30d"
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


@dataclass(frozen=True)
class Mix:
    """At most `share` (0..1) of the posts in any `window` may carry `tag`, per tag."""

    window: timedelta
    limits: tuple[tuple[str, float, str], ...]  # (tag, share, as written)
    window_text: str


def parse_mix(value: object) -> Mix:
    """`{promo: 20%, window: 30d}`: per tag, the most share of posts in any window."""
    if not isinstance(value, dict):
        raise InvalidValue(f"must map tags to shares, e.g. mix: {{promo: 20%, window: 30d}}, "
                           f"not {value!r}")
    window_text = str(value.get("window", DEFAULT_WINDOW))
    window = duration(window_text)
    limits = []
    for tag, share in value.items():
        if tag == "window":
            continue
        match = _PERCENT.match(str(share)) if isinstance(share, str) else None
        if not match:
            raise InvalidValue(f"the share of {tag!r} must be a percentage such as 20%, not {share!r}")
        percent = float(match[1])
        if percent > 100:
            raise InvalidValue(f"the share of {tag!r} is {share}; a share is at most 100%")
        limits.append((str(tag), percent / 100, share.strip()))
    if not limits:
        raise InvalidValue("names no tag; write the tag and its most share, e.g. {promo: 20%, "
                           "window: 30d}")
    return Mix(window, tuple(limits), window_text)


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
            findings.append(rule.finding(
                f"in the {rule.value.window_text} up to {line.when(i)}, {hits} of {total} "
                f"posts are tagged {tag} ({hits / total:.0%}); mix allows {written}",
                tuple(run.posts), run.start, run.end, run.blame))
    return findings


class _MixRun:
    """Overlapping windows that each break a mix limit."""

    def __init__(self, start: datetime, end: datetime, posts: list[str], worst: tuple,
                 blame: str) -> None:
        self.start, self.end, self.posts, self.worst, self.blame = start, end, posts, worst, blame
        self._seen = set(posts)

    def extend(self, end: datetime, posts: list[str], worst: tuple) -> None:
        self.end = end
        self.posts.extend(post for post in posts if post not in self._seen)
        self._seen.update(posts)
        self.worst = max(self.worst, worst)


RULE = CadenceRule(
    name="mix",
    description="Most share of posts per tag in any window",
    example="{promo: 20%, window: 30d}",
    default_level=WARNING,
    parse=parse_mix,
    schema={
        "type": "object",
        "description": "At most this share of posts with a tag in any window: {promo: 20%, window: 30d}.",
        "properties": {"window": {**DURATION_SCHEMA, "default": DEFAULT_WINDOW,
                                  "description": "The span every share is counted over"}},
        "additionalProperties": {"type": "string", "pattern": _PERCENT.pattern, "description": "e.g. 20%"},
    },
    check=mix,
    describe=lambda value: ", ".join(f"{tag} {written}" for tag, _, written in value.limits)
    + f" in {value.window_text}",
    inline_level=True,
    reach=lambda value: value.window,
)
