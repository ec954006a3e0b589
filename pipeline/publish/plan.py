"""What is due: every ready post whose time has come and that is not yet out on a channel.

Scheduled runs are often late or dropped, so a run never looks at a time window:
it catches up everything due, except what is later than the channel's
`max_lateness` (that is recorded as missed and never sent without a person).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pipeline.content.identity import IDENTITY_CODES
from pipeline.content.model import Channel, Content, Post, PostStatus
from pipeline.state.ledger import DELETED, FAILED, MISSED, NEEDS_PERSON, PENDING, PUBLISHED, Entry, Ledger

#: the data flag of a ledger line by which a person asks to send a part although it is late
SEND_LATE = "send_late"

if TYPE_CHECKING:
    from pipeline.render.render import Rendering


class JobAction(StrEnum):
    PUBLISH = "publish"  # send the parts not yet out
    RETRACT = "retract"  # delete the parts that are out


@dataclass
class Job:
    """One post on one channel: publish its missing parts, or retract the published ones."""

    post: Post
    channel: Channel
    action: JobAction
    rendering: Rendering | None = None
    #: past max_lateness: only settle earlier attempts (pending parts), send nothing new
    late: bool = False

    @property
    def label(self) -> str:
        return f"{self.post.id} on {self.channel.id}"


@dataclass
class Plan:
    now: datetime
    #: a dry run at a later time: the clock, since when the scheduled runs are taken as done
    runs_since: datetime | None = None
    jobs: dict[str, list[Job]] = field(default_factory=dict)
    #: (post, channel, parts not yet out) that are too late to send
    missed: list[tuple[Post, Channel, list[int]]] = field(default_factory=list)
    #: (post, channel) whose parts wait for a person (`social resolve`)
    uncertain: list[tuple[Post, Channel]] = field(default_factory=list)
    #: (post, channel, reason) that cannot be published as they are
    invalid: list[tuple[Post, Channel, str]] = field(default_factory=list)
    #: parts left pending whose post is gone (its file deleted, or its id taken by another post)
    orphaned: list[Entry] = field(default_factory=list)
    #: (post, channel, parts) that a run at this (later) time finds too late, but that the runs
    #: since the clock would have sent on time: a dry run at a later time takes them as sent
    assumed: list[tuple[Post, Channel, list[int]]] = field(default_factory=list)

    def add(self, job: Job) -> None:
        self.jobs.setdefault(job.channel.id, []).append(job)

    @property
    def empty(self) -> bool:
        return not (self.jobs or self.missed or self.uncertain or self.invalid or self.orphaned)


def make_plan(content: Content, ledger: Ledger, now: datetime, *, channel_id: str | None = None,
              post_id: str | None = None, runs_since: datetime | None = None) -> Plan:
    """The plan of this run; renders only the posts that are due.

    `runs_since` (a dry run at a time later than the clock: the clock) takes the scheduled runs
    from then until `now` as done: a part they would have sent on time is not this run's to send
    or to call missed. What the ledger says stands; a part already too late at the clock is missed.
    """
    plan = Plan(now=now, runs_since=runs_since)
    config = content.config
    _plan_orphans(plan, content, ledger, channel_id, post_id)
    if not content.posts:
        return plan
    from pipeline.render.render import Renderer  # jinja2, markdown, counting: only when needed

    renderer = Renderer(content.root, config)
    broken = content.broken_files
    # A post whose identity the ledger contradicts: what the ledger says of its id is not about it.
    contested = {f.file: f for f in content.findings if f.code in IDENTITY_CODES}
    for post in sorted(content.posts, key=lambda p: (p.publish_at or now, p.id)):
        if post_id and post.id != post_id:
            continue
        if post.status == PostStatus.RETRACTED:
            _plan_retraction(plan, post, config.channels, ledger, channel_id)
            continue
        if post.status != PostStatus.READY or post.publish_at is None or post.publish_at > now:
            continue
        for cid in post.channels:
            channel = config.channels.get(cid)
            if channel is None or (channel_id and cid != channel_id):
                continue
            if post.file in contested:
                found = contested[post.file]
                plan.invalid.append((post, channel, f"{found.file}:{found.line}: {found.message}"))
                continue
            states = {n: e.state for n, e in ledger.parts(post.id, cid).items()}
            if any(state in NEEDS_PERSON for state in states.values()):  # uncertain or unreadable
                plan.uncertain.append((post, channel))
                continue
            parts = ledger.parts(post.id, cid)
            if post.file in broken:
                if not parts or not all(settled(entry, post) for entry in parts.values()):
                    plan.invalid.append((post, channel, "the post file has errors; run `social validate`"))
                continue
            rendering = renderer.render(post, channel)
            numbers = [p.number for p in rendering.parts] or [1]
            waiting = [n for n in numbers if not settled(parts.get(n), post)]
            if not waiting:
                continue  # all out (or settled), even if it would no longer render as it did
            if not rendering.ok:
                first = next(f for f in rendering.findings if f.level == "error")
                plan.invalid.append((post, channel, f"{first.file}:{first.line}: {first.message}"))
                continue
            asked = any(asked_to_send_late(parts.get(n)) for n in waiting)
            late = now - post.publish_at > channel.max_lateness
            pending = any(states.get(n) == PENDING for n in waiting)
            if late and not pending and runs_since is not None \
                    and runs_since - post.publish_at <= channel.max_lateness:
                plan.assumed.append((post, channel, waiting))
                continue
            if late and not asked:
                if pending:
                    # A part may be out already: the runner asks the network before calling it missed.
                    plan.add(Job(post, channel, JobAction.PUBLISH, rendering, late=True))
                else:
                    plan.missed.append((post, channel, waiting))
                continue
            plan.add(Job(post, channel, JobAction.PUBLISH, rendering))
    return plan


def _plan_orphans(plan: Plan, content: Content, ledger: Ledger, channel_id: str | None,
                  post_id: str | None) -> None:
    """Parts left pending whose post is gone: nothing can be asked about them any more, they may be out.

    A publish run reads every file that may hold a pending post, so a pending post that no
    file holds (or only a file whose identity is contested) was deleted or replaced.
    """
    contested = {f.file for f in content.findings if f.code in IDENTITY_CODES}
    present = {post.id for post in content.posts if post.file not in contested}
    for entry in ledger.latest():
        if entry.state == PENDING and entry.post not in present and (channel_id or entry.channel) == \
                entry.channel and (post_id or entry.post) == entry.post:
            plan.orphaned.append(entry)


def settled(entry: Entry | None, post: Post) -> bool:
    """Whether nothing more is to be sent for a part: it is out, retracted, or missed.

    A missed part is settled only while the post keeps its time: a `publish_at` later
    than the miss was recorded reschedules it, and it is due again then.
    """
    if entry is None:
        return False
    if entry.state in (PUBLISHED, DELETED):
        return True
    if entry.state != MISSED:
        return False
    missed_at = _time(entry.at)
    return post.publish_at is None or missed_at is None or post.publish_at <= missed_at


def asked_to_send_late(entry: Entry | None) -> bool:
    """Whether a person asked (`social resolve --send`) to send this part although it is late."""
    return entry is not None and entry.state == FAILED and bool(entry.data.get(SEND_LATE))


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _plan_retraction(plan: Plan, post: Post, channels: dict[str, Channel], ledger: Ledger,
                     channel_id: str | None) -> None:
    for cid, channel in channels.items():
        if channel_id and cid != channel_id:
            continue
        parts = ledger.parts(post.id, cid)
        if any(entry.state == PUBLISHED for entry in parts.values()):
            plan.add(Job(post, channel, JobAction.RETRACT))
