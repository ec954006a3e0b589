"""Posts with the same text on one channel, close together: the network could not tell them apart.

After an unclear outcome (a timeout, a gateway error) a network without record keys is
asked which of its recent posts carries the part's text. Two posts with one text a few
hours apart make that question ambiguous: the part then waits for a person instead of
going out. A warning at review time lets the team make the texts differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from itertools import pairwise

from pipeline.content.model import Content, Post, PostStatus
from pipeline.errors import WARNING, Finding

#: how far apart two posts with one text may be before the warning stops
NEARBY = timedelta(days=1)


def same_text_findings(content: Content, nearby: timedelta = NEARBY,
                       posts: Iterable[Post] | None = None) -> list[Finding]:
    """A warning at the later of two posts (default: those without errors) with the same text on one
    channel within `nearby`."""
    by_text: dict[tuple[str, str], list[Post]] = {}
    for post in content.usable_posts() if posts is None else posts:
        if post.status != PostStatus.READY or post.publish_at is None:
            continue
        for channel in post.channels:
            text = " ".join(post.text_for(channel).split())
            if text:
                by_text.setdefault((channel, text), []).append(post)
    findings = []
    for (channel, _), posts in by_text.items():
        posts.sort(key=lambda post: (post.publish_at, post.id))
        for earlier, later in pairwise(posts):
            gap = later.publish_at - earlier.publish_at
            if gap <= nearby:
                hours = gap.total_seconds() / 3600
                findings.append(Finding(
                    later.file, later.line_of("publish_at", "<value>"), 1, WARNING, "same-text-nearby",
                    f"{channel}: the same text as {earlier.id} ({earlier.file}), {hours:.0f} h apart: after "
                    "an unclear answer the network could not tell the two apart, and the part would wait for "
                    "a person; make the texts differ"))
    return findings
