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

from pipeline.content.model import Channel, Content, Post, PostStatus
from pipeline.state.ledger import DELETED, MISSED, NEEDS_PERSON, PENDING, PUBLISHED, Ledger

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
    jobs: dict[str, list[Job]] = field(default_factory=dict)
    #: (post, channel, parts not yet out) that are too late to send
    missed: list[tuple[Post, Channel, list[int]]] = field(default_factory=list)
    #: (post, channel) whose parts wait for a person (`social resolve`)
    uncertain: list[tuple[Post, Channel]] = field(default_factory=list)
    #: (post, channel, reason) that cannot be published as they are
    invalid: list[tuple[Post, Channel, str]] = field(default_factory=list)

    def add(self, job: Job) -> None:
        self.jobs.setdefault(job.channel.id, []).append(job)

    @property
    def empty(self) -> bool:
        return not (self.jobs or self.missed or self.uncertain or self.invalid)


def make_plan(content: Content, ledger: Ledger, now: datetime, *, channel_id: str | None = None,
              post_id: str | None = None) -> Plan:
    """The plan of this run; renders only the posts that are due."""
    plan = Plan(now=now)
    config = content.config
    if not content.posts:
        return plan
    from pipeline.render.render import Renderer  # jinja2, markdown, counting: only when needed

    renderer = Renderer(content.root, config)
    broken = content.broken_files
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
            states = {n: e.state for n, e in ledger.parts(post.id, cid).items()}
            if any(state in NEEDS_PERSON for state in states.values()):  # uncertain or unreadable
                plan.uncertain.append((post, channel))
                continue
            if post.file in broken:
                if not states or any(s not in (PUBLISHED, MISSED) for s in states.values()):
                    plan.invalid.append((post, channel, "the post file has errors; run `social validate`"))
                continue
            rendering = renderer.render(post, channel)
            numbers = [p.number for p in rendering.parts] or [1]
            waiting = [n for n in numbers if states.get(n) not in (PUBLISHED, MISSED, DELETED)]
            if not waiting:
                continue  # all out (or settled), even if it would no longer render as it did
            if not rendering.ok:
                first = next(f for f in rendering.findings if f.level == "error")
                plan.invalid.append((post, channel, f"{first.file}:{first.line}: {first.message}"))
                continue
            if now - post.publish_at > channel.max_lateness:
                if any(states.get(n) == PENDING for n in waiting):
                    # A part may be out already: the runner asks the network before calling it missed.
                    plan.add(Job(post, channel, JobAction.PUBLISH, rendering, late=True))
                else:
                    plan.missed.append((post, channel, waiting))
                continue
            plan.add(Job(post, channel, JobAction.PUBLISH, rendering))
    return plan


def _plan_retraction(plan: Plan, post: Post, channels: dict[str, Channel], ledger: Ledger,
                     channel_id: str | None) -> None:
    for cid, channel in channels.items():
        if channel_id and cid != channel_id:
            continue
        parts = ledger.parts(post.id, cid)
        if any(entry.state == PUBLISHED for entry in parts.values()):
            plan.add(Job(post, channel, JobAction.RETRACT))
