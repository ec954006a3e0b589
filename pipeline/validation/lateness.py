"""Posts whose time has passed: told in review, before a publish run records them as missed.

A publish run sends a due part only within its channel's `max_lateness`; later it records
the part as missed and sends nothing without a person (see publish/plan.py). A post
that reaches main with a time long past (a wrong month, a pull request merged days
late) would therefore never go out, and nobody would hear of it until after the run.
Validation asks the same question the run will: is the post due, and has no run
handled it on that channel yet?
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pipeline.cadence.localtime import format_span
from pipeline.cadence.values import span_text
from pipeline.content.model import Channel, Config, Post, PostStatus
from pipeline.errors import ERROR, NOTICE, WARNING, Finding
from pipeline.publish.plan import settled
from pipeline.state.ledger import MISSED, Entry, Ledger
from pipeline.times import format_local

#: how many files the notice about a missing ledger names
NAMED = 3


def lateness_findings(posts: Iterable[Post], config: Config, ledger: Ledger | None,
                      now: datetime) -> list[Finding]:
    """An error at each ready post that no run has handled and is later than `max_lateness` on
    one of its channels, a warning at one still inside it.

    Without a ledger (`state/` not checked out) a post cannot be told published from
    missed: one notice names them instead.
    """
    due = [post for post in posts
           if post.status == PostStatus.READY and post.publish_at is not None and post.publish_at <= now]
    if ledger is None or not ledger.present:
        return _without_ledger(due, config, now)
    findings = []
    for post in due:
        late, inside = [], []
        for channel_id in post.channels:
            channel = config.channels.get(channel_id)
            if channel is None or not _unhandled(ledger.parts(post.id, channel_id).values(), post):
                continue
            (late if now - post.publish_at > channel.max_lateness else inside).append(channel)
        when = format_local(post.publish_at, config.zone)
        ago = format_span(now - post.publish_at)
        line, column = post.lines(("publish_at", "<value>")) if post.lines else (1, 1)
        if late:
            findings.append(Finding(
                post.file, line, column, ERROR, "publish-at-past",
                f"publish_at {when} was {ago} ago, more than the max_lateness of {_limits(late)}: "
                "the next publish run records it as missed and sends nothing. Give it a new publish_at (the "
                "time it should go out); or, to send it late on purpose, run `social resolve "
                f"{post.id} --channel {late[0].id} --send` after a run has recorded it as missed"))
        if inside:
            names = ", ".join(c.id for c in inside)
            findings.append(Finding(
                post.file, line, column, WARNING, "publish-at-due",
                f"publish_at {when} was {ago} ago: on {names} it goes out with the next publish run, if "
                "that comes within max_lateness; if it is meant for later, correct the date"))
    return findings


def _limits(channels: list[Channel]) -> str:
    """`mastodon, bluesky (6h)`, or `mastodon (6h), outbox (2d)` when they differ."""
    spans = [span_text(channel.max_lateness) for channel in channels]
    if len(set(spans)) == 1:
        return f"{', '.join(channel.id for channel in channels)} ({spans[0]})"
    return ", ".join(f"{channel.id} ({span})" for channel, span in zip(channels, spans, strict=True))


def _unhandled(entries: Iterable[Entry], post: Post) -> bool:
    """Whether no run has handled the post on a channel: nothing in the ledger, or only misses
    from before it was given its present time (the run will miss it again if that has passed too).
    Anything else (out, failed, waiting for a person) the publish run and `social status` report."""
    return all(entry.state == MISSED and not settled(entry, post) for entry in entries)


def _without_ledger(due: list[Post], config: Config, now: datetime) -> list[Finding]:
    due = [post for post in due if any(c in config.channels for c in post.channels)]
    if not due:
        return []
    due.sort(key=lambda post: post.file)
    first = due[0]
    line, column = first.lines(("publish_at", "<value>")) if first.lines else (1, 1)
    named = ", ".join(post.file for post in due[:NAMED]) + (f" and {len(due) - NAMED} more" if len(due) > NAMED
                                                               else "")
    count = f"{len(due)} ready post{'s' * (len(due) != 1)}"
    return [Finding(first.file, line, column, NOTICE, "ledger-not-checked-out",
                    f"{count} whose time has passed ({named}), not checked: there is no ledger here to say "
                    "what went out (state/ is not checked out). A post no run has handled is recorded as "
                    "missed once it is later than max_lateness; run `social state checkout --read-only` "
                    "to check")]
