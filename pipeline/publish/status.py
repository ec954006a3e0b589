"""`social status`: the whole picture of publishing, and whether anything needs a person.

The ledger says what happened to each part; the posts say what should have happened by
now and what comes next. Reading the ledger alone misses what no run wrote: a post due
that no run has sent (the workflow does not run, or stops before it). So the status lays
the ledger beside the plan a run would make now (`make_plan`, the same one), and marks
each row that needs a person:

- unreadable, uncertain, posted twice, or handled by two runs that may have posted a copy:
  only a person can tell what is online;
- failed, while its post is still scheduled on that channel (each run tries again until it
  is too late; a reason that stays, such as a missing token, needs fixing);
- a retraction that failed: the part is still online;
- missed in the last `MISSED_RECENT`, unless its post has been given a new time;
- due and not sent (no ledger line) for longer than the grace period, too late to send,
  or that cannot be published as it is; pending for longer than the grace period (no run
  came to settle it), or whose post is gone.

Everything else is shown and needs nobody: published, deleted, retractions the next run
does, parts due within the grace period, failures of posts no longer scheduled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.content.model import Channel, Content, Post, PostStatus
from pipeline.content.workspace import Clock, Workspace
from pipeline.publish.plan import JobAction, Plan, asked_to_send_late, make_plan, settled
from pipeline.publish.select import files_to_read
from pipeline.state.ledger import (
    DELETED,
    FAILED,
    MISSED,
    PENDING,
    PUBLISHED,
    UNCERTAIN,
    UNREADABLE,
    Conflict,
    ConflictKind,
    Entry,
    Ledger,
)
from pipeline.times import format_local, utc_iso, utc_now

#: how long a part may be due, or pending, before it needs a person: a scheduled run is often late
DUE_GRACE = timedelta(hours=1)
#: how long a missed part needs a person: after that it is history
MISSED_RECENT = timedelta(days=7)
#: how many upcoming posts are shown
UPCOMING = 5


class Group(StrEnum):
    """Where `social status` lists a part, in the order listed: what needs a person first."""

    UNREADABLE = "unreadable"
    DUPLICATE = "duplicate"
    TWO_RUNS = "two-runs"
    UNCERTAIN = "uncertain"
    PENDING = "pending"
    FAILED = "failed"
    RETRACTION_FAILED = "retraction-failed"
    DUE = "due"
    MISSED = "missed"
    TO_RETRACT = "to-retract"
    PUBLISHED = "published"
    DELETED = "deleted"

    @property
    def heading(self) -> str:
        """How the text output names it."""
        return HEADINGS.get(self, self.value)


HEADINGS = {Group.DUPLICATE: "posted twice", Group.TWO_RUNS: "handled by two runs",
          Group.RETRACTION_FAILED: "retraction failed", Group.DUE: "due, not sent",
          Group.TO_RETRACT: "to retract"}
#: how the closing line counts a group ("3 failed")
COUNTED = {**HEADINGS, Group.DUE: "due and not sent", Group.RETRACTION_FAILED: "retractions failed"}


@dataclass
class Row:
    """One part as `social status` lists it."""

    post: str
    channel: str
    #: 0: the whole post (its parts are not known: its file has errors)
    part: int
    group: Group
    #: a link, or the reason and what to do
    detail: str
    needs_person: bool
    #: when: the ledger line's time, or when the part was due
    when: datetime | None
    entry: Entry | None = None
    publish_at: datetime | None = None


@dataclass
class Upcoming:
    post: Post
    channels: list[str]


@dataclass
class PublishingStatus:
    now: datetime
    zone: ZoneInfo
    rows: list[Row]
    conflicts: list[Conflict]
    upcoming: list[Upcoming]
    #: how many posts are scheduled after now (of which `upcoming` are the first)
    scheduled: int
    warnings: list[str] = field(default_factory=list)

    @property
    def attention(self) -> Counter:
        """What needs a person, by group."""
        found = Counter(row.group for row in self.rows if row.needs_person)
        for conflict in self.conflicts:
            if conflict.needs_person:
                found[_conflict_group(conflict)] += 1
        return found

    @property
    def ok(self) -> bool:
        """Nothing needs a person."""
        return not self.attention


def publishing_status(root: Path, *, now_text: str | None = None, clock: Clock = utc_now,
                      grace: timedelta = DUE_GRACE, upcoming: int = UPCOMING) -> PublishingStatus:
    """The ledger beside what is due and what comes next; LedgerError when the ledger cannot be read."""
    workspace = Workspace(root, now_text=now_text, clock=clock)
    ledger = workspace.ledger
    now, zone = workspace.now, workspace.zone
    warnings = list(ledger.warnings)
    if not workspace.usable:
        problem = workspace.config_findings[0].message if workspace.config_findings else "it cannot be used"
        warnings.append(f"content/channels.yml: {problem}; only the ledger is shown, not what is due or comes "
                        "next (run `social validate`)")
        rows = [_ledger_row(entry, None, now, grace) for entry in ledger.latest()]
        return PublishingStatus(now, zone, _ordered(rows), ledger.conflicts, [], 0, warnings)
    content = workspace.content
    # The plan a run would make now, over the files a run reads: status says what the next run does.
    chosen = {Path(name).relative_to(workspace.root).as_posix()
              for name in files_to_read(workspace.root, content.config, ledger, now)}
    plan = make_plan(Content(content.root, content.config, [p for p in content.posts if p.file in chosen],
                             [f for f in content.findings if f.file in chosen]), ledger, now)
    picture = _Picture(content, plan)
    rows = [_ledger_row(entry, picture, now, grace) for entry in ledger.latest()]
    rows += _due_rows(plan, ledger, now, grace)
    later = sorted((p for p in content.posts if p.status == PostStatus.READY and p.publish_at and p.publish_at > now
                    and any(c in content.config.channels for c in p.channels)),
                   key=lambda p: (p.publish_at, p.id))
    shown = [Upcoming(p, [c for c in p.channels if c in content.config.channels]) for p in later[:upcoming]]
    return PublishingStatus(now, zone, _ordered(rows), ledger.conflicts, shown, len(later), warnings)


class _Picture:
    """What the posts and the plan say about the ledger's parts."""

    def __init__(self, content: Content, plan: Plan) -> None:
        self.posts = {post.id: post for post in content.posts}
        self.channels = content.config.channels
        self.zone = content.config.zone
        self.to_retract = {(job.post.id, job.channel.id) for jobs in plan.jobs.values() for job in jobs
                           if job.action == JobAction.RETRACT}
        self.orphaned = {entry.slot for entry in plan.orphaned}

    def scheduled(self, post_id: str, channel_id: str) -> Post | None:
        """The post, while it is still to go out on that channel."""
        post = self.posts.get(post_id)
        if post is None or post.status != PostStatus.READY or post.publish_at is None:
            return None
        return post if channel_id in post.channels and channel_id in self.channels else None


def _ledger_row(entry: Entry, picture: _Picture | None, now: datetime, grace: timedelta) -> Row:
    """A part the ledger knows, and whether it needs a person."""
    when = _time(entry.at)
    age = now - when if when else None
    state = entry.state

    def row(group: Group, detail: str, needs: bool) -> Row:
        return Row(entry.post, entry.channel, entry.part, group, detail, needs, when, entry)

    if state == UNREADABLE:
        return row(Group.UNREADABLE, entry.error or "", True)
    if state == UNCERTAIN:
        return row(Group.UNCERTAIN, entry.error or "", True)
    if state == PENDING:
        if picture and entry.slot in picture.orphaned:
            return row(Group.PENDING, "its post is gone while this part was being sent: the next run marks it "
                                      "uncertain; look at the account, then `social resolve`", True)
        return row(Group.PENDING, "a run is sending it, or stopped while sending it: the next run asks the "
                                  "network", age is None or age > grace)
    if state == PUBLISHED:
        if entry.retraction_failed:
            return row(Group.RETRACTION_FAILED, f"still online: retraction failed ({entry.error})  {entry.url or ''}",
                       True)
        if picture and (entry.post, entry.channel) in picture.to_retract:
            return row(Group.TO_RETRACT, f"status: retracted; the next run deletes it  {entry.url or ''}", False)
        return row(Group.PUBLISHED, entry.url or entry.remote_id or "", False)
    if state == DELETED:
        return row(Group.DELETED, entry.url or "", False)
    post = picture.scheduled(entry.post, entry.channel) if picture else None
    if state == FAILED:
        if asked_to_send_late(entry) or entry.by_person:  # a person's word: the next run sends it
            return row(Group.DUE, entry.error or "", age is None or age > grace)
        if picture and post is None:
            return row(Group.FAILED, f"{entry.error or 'failed'} (no longer scheduled on {entry.channel}: "
                                     "nothing to do)", False)
        return row(Group.FAILED, entry.error or "", True)
    # missed
    if post is not None and not settled(entry, post):
        return row(Group.MISSED, f"{entry.error or ''} (given a new time: "
                                 f"{format_local(post.publish_at, picture.zone)})", False)
    recent = age is None or age <= MISSED_RECENT
    return row(Group.MISSED, entry.error or "", recent and (picture is None or post is not None))


def _due_rows(plan: Plan, ledger: Ledger, now: datetime, grace: timedelta) -> list[Row]:
    """Parts whose time has come that no ledger line speaks of: no run has sent them yet."""
    rows = []

    def due(post: Post, channel: Channel, number: int, detail: str, needs: bool) -> None:
        rows.append(Row(post.id, channel.id, number, Group.DUE, detail, needs, post.publish_at,
                        publish_at=post.publish_at))

    for jobs in plan.jobs.values():
        for job in jobs:
            if job.action != JobAction.PUBLISH:
                continue
            numbers = [p.number for p in job.rendering.parts] if job.rendering and job.rendering.parts else [1]
            for number in numbers:
                current = ledger.current(job.post.id, job.channel.id, number)
                # Out, or the ledger's row says it (pending, failed); a missed part given a new time is due.
                if settled(current, job.post) or (current is not None and current.state != MISSED):
                    continue
                if job.late:
                    due(job.post, job.channel, number, _too_late(job.channel), True)
                    continue
                waited = now - job.post.publish_at
                if waited > grace:
                    due(job.post, job.channel, number, f"due {_ago(waited)} ago and no run has sent it: is the "
                        "publish workflow running? (its last run, or `social publish --dry-run`)", True)
                else:
                    due(job.post, job.channel, number, f"due {_ago(waited)} ago: the next run sends it", False)
    for post, channel, numbers in plan.missed:
        for number in numbers:
            current = ledger.current(post.id, channel.id, number)
            if current is None or current.state == MISSED:
                due(post, channel, number, _too_late(channel), True)
    for post, channel, reason in plan.invalid:
        due(post, channel, 0, f"cannot be published: {reason}; run `social validate`", True)
    return rows


def _too_late(channel: Channel) -> str:
    return (f"more than {_ago(channel.max_lateness)} late (max_lateness) and no run has sent it: the next run "
            "records it as missed; give the post a new publish_at to send it later")


def _ordered(rows: list[Row]) -> list[Row]:
    """By group (what needs a person first), then newest first."""
    order = list(Group)
    return sorted(rows, key=lambda r: (order.index(r.group), -(r.when.timestamp() if r.when else 0),
                                       r.post, r.channel, r.part))


def _conflict_group(conflict: Conflict) -> Group:
    return Group.DUPLICATE if conflict.kind == ConflictKind.DUPLICATE else Group.TWO_RUNS


def _time(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None
    return moment if moment and moment.tzinfo else None


def _ago(delta: timedelta) -> str:
    """`2 h 30 min`: a duration as people say it."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or "less than a minute"


# -- how it is shown ---------------------------------------------------------------------------


def status_dict(status: PublishingStatus) -> dict[str, Any]:
    """`social status --format json`: `entries` and `conflicts` as before, and the rest of the picture."""
    entries, due = [], []
    for row in status.rows:
        if row.entry is not None:
            entries.append({**row.entry.as_dict(), "retraction": _retraction(row), "group": row.group.value,
                            "needs_person": row.needs_person})
        else:
            due.append({"post": row.post, "channel": row.channel, "part": row.part,
                        "publish_at": format_local(row.publish_at, status.zone),
                        "publish_at_utc": utc_iso(row.publish_at), "reason": row.detail,
                        "needs_person": row.needs_person})
    return {
        "now": format_local(status.now, status.zone),
        "ok": status.ok,
        "needs_person": {group.value: n for group, n in _in_order(status.attention)},
        "counts": {group.value: n for group, n in _in_order(Counter(row.group for row in status.rows))},
        "entries": entries,
        "conflicts": [conflict.as_dict() for conflict in status.conflicts],
        "due": due,
        "next": [{"post": u.post.id, "title": u.post.title, "publish_at": format_local(u.post.publish_at, status.zone),
                  "publish_at_utc": utc_iso(u.post.publish_at), "channels": u.channels} for u in status.upcoming],
        "warnings": status.warnings,
    }


def _retraction(row: Row) -> dict | None:
    """A retraction under way for the part: waiting for the next run, or failed (still online)."""
    if row.group == Group.RETRACTION_FAILED:
        return {"state": "failed", "reason": row.entry.error}
    if row.group == Group.TO_RETRACT:
        return {"state": "waiting", "reason": None}
    return None


def _in_order(counts: Counter) -> list[tuple[Group, int]]:
    return [(group, counts[group]) for group in Group if counts[group]]


def status_text(status: PublishingStatus) -> str:
    """For people: what needs a person first, each with what to do; what is due; what comes next."""
    groups: dict[Group, list[Row]] = {}
    for row in status.rows:
        groups.setdefault(row.group, []).append(row)
    lines: list[str] = []
    if not any(row.entry for row in status.rows):
        lines += ["The ledger is empty: nothing has been published yet.", ""]
    lines += _group_lines(status, Group.UNREADABLE, groups.get(Group.UNREADABLE, []))
    lines += _conflict_lines(status.conflicts)
    for group in list(Group)[3:]:
        lines += _group_lines(status, group, groups.get(group, []))
    if Group.UNCERTAIN in groups or Group.PENDING in groups:
        lines += ["Settle uncertain parts with: social resolve ID --channel C (--published URL | --not-published)",
                  ""]
    lines += _upcoming_lines(status)
    attention = _in_order(status.attention)
    if attention:
        lines.append("Needs a person: " + ", ".join(f"{n} {COUNTED.get(g, g.value)}" for g, n in attention) + ".")
    else:
        lines.append("Nothing needs a person.")
    return "\n".join(lines)


def _group_lines(status: PublishingStatus, group: Group, rows: list[Row]) -> list[str]:
    if not rows:
        return []
    lines = [f"{group.heading} ({len(rows)})"]
    for row in rows:
        when = format_local(row.when, status.zone) if row.when else (row.entry.at if row.entry else "")
        part = f"part {row.part}" if row.part else "part all"
        mark = "!" if row.needs_person else " "
        lines.append(f"{mark} {when}  {row.channel:<10} {row.post} {part}  {row.detail}".rstrip())
        if group == Group.UNREADABLE:
            lines.append(f"    then: social resolve {row.post} --channel {row.channel} --part {row.part} "
                         "(--published URL | --not-published)")
    if group == Group.UNREADABLE:
        lines += ["  A ledger line names the part but cannot be read, so the part waits and is not sent again.",
                  "  See what the line said with `git log -p -- ledger.jsonl` in state/, look at the account, then",
                  "  settle it: --published URL (it is online) or --not-published (the next run sends it)."]
    return [*lines, ""]


def _conflict_lines(conflicts: list[Conflict]) -> list[str]:
    lines = []
    for group in (Group.DUPLICATE, Group.TWO_RUNS):
        chosen = [c for c in conflicts if _conflict_group(c) == group]
        if chosen:
            lines.append(f"{group.heading} ({len(chosen)})")
            lines += [f"{'!' if c.needs_person else ' '} {c.channel:<10} {c.post} part {c.part}  {c.what()}: "
                      f"{c.todo()}" for c in chosen]
            lines.append("")
    return lines


def _upcoming_lines(status: PublishingStatus) -> list[str]:
    if not status.upcoming:
        return ["next: nothing scheduled after " + format_local(status.now, status.zone), ""]
    count = len(status.upcoming)
    title = f"next ({count})" if count == status.scheduled else f"next ({count} of {status.scheduled})"
    lines = [title]
    for item in status.upcoming:
        lines.append(f"  {format_local(item.post.publish_at, status.zone)}  {item.post.id}  "
                     f"{', '.join(item.channels)}  {item.post.title or ''}".rstrip())
    return [*lines, ""]
