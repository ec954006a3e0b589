"""The cadence checks of `social validate`: each finding at the line a person would change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pipeline.cadence.registry import RULES
from pipeline.content.model import Content, Post, PostStatus
from pipeline.content.peek import peek
from pipeline.errors import ERROR, Finding
from pipeline.planning.evaluation import Published, evaluate, events_from_content

_PUBLISH_AT = frozenset({"publish_at"})

def cadence_findings(content: Content, now: datetime, published: Published,
                     posts: Iterable[Post] | None = None) -> list[Finding]:
    """Findings of every channel's rules from `now` on, over `posts` (default: those without errors).

    Published posts count at their real times (`published`, from the ledger).

    A finding about posts is placed at the publish_at of the post to move (the one
    that tipped a day over its limit, the later of two that are too close); one
    about the channel as a whole (runway) at the channel in channels.yml.
    """
    config = content.config
    if config is None:
        return []
    counted = content.usable_posts() if posts is None else list(posts)
    by_id = {post.id: post for post in counted}
    findings = []
    for channel_id, result in evaluate(config, events_from_content(content, published, counted), now).items():
        for found in result.findings:
            code = RULES[found.rule].code
            message = f"{channel_id}: {found.message}"
            post = by_id.get(found.blame) if found.blame else None
            if post is not None and post.lines is not None:
                line, column = _publish_at_place(post)
                findings.append(Finding(post.file, line, column, found.level, code, message))
            else:
                line = config.channels[channel_id].line
                findings.append(Finding(config.file, line, 1, found.level, code, message))
    findings.extend(_unslotted_queue(content, counted))
    return findings


def _publish_at_place(post: Post) -> tuple[int, int]:
    """Line and column of the post's publish_at value.

    A busy calendar can have thousands of findings, and composing each post's YAML
    to place them costs more than all the rules; a top-level key is found by a text
    search instead, and the composed YAML decides only when the search is unsure.
    tests/test_cadence_findings.py holds the search to the composed YAML's answer.
    """
    text = getattr(post.lines, "text", None)
    found = publish_at_by_text(text) if isinstance(text, str) else None
    if found is not None:
        return found[0] + post.lines.first_line - 1, found[1]
    return post.lines(("publish_at", "<value>"))


def publish_at_by_text(front: str) -> tuple[int, int] | None:
    """Line and column (1-based, within `front`) of the top-level publish_at value, or None
    when the text alone cannot tell for sure."""
    found = peek(front, _PUBLISH_AT)
    place = found.values.get("publish_at") if found.sure else None
    return (place[0], place[1]) if place else None


def _unslotted_queue(content: Content, posts: list[Post]) -> list[Finding]:
    """Queued posts none of whose channels has slots: they would never get a time."""
    config = content.config
    findings = []
    for post in posts:
        if not post.queue or post.publish_at is not None or post.status != PostStatus.READY:
            continue
        channels = [config.channels[c] for c in post.channels if c in config.channels]
        if channels and not any(channel.slots for channel in channels):
            line, column = post.lines(("queue", "<value>")) if post.lines else (1, 1)
            findings.append(Finding(
                post.file, line, column, ERROR, "queue-no-slots",
                f"queue: true, but none of its channels ({', '.join(post.channels)}) has slots, so "
                "it would never get a time; add slots to one of them in content/channels.yml, or "
                "write publish_at instead"))
    return findings
