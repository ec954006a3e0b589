"""`social schedule`: give queued posts their slots, and with `--write` put them into the files.

Writing changes exactly one line of each file, `queue: true` becoming
`publish_at: YYYY-MM-DD HH:MM` (same indentation, spacing, comment and line
ending); every other byte stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.cadence.events import QUEUED
from pipeline.cadence.localtime import WEEK_STARTS
from pipeline.cadence.queue import QueueChannel, QueuedPost, QueuePlan, fill_queue
from pipeline.cadence.values import parse_slot
from pipeline.content.model import Config, Content, PostStatus
from pipeline.errors import PipelineError
from pipeline.planning.evaluation import Published, events_from_content, post_event
from pipeline.planning.history import added_order
from pipeline.times import TimeError, format_local, format_offset, localize

UNSET = datetime.min.replace(tzinfo=UTC)  # a queued post's time until the queue gives it one
_QUEUE_LINE = re.compile(  # the value as written: true, True, yes, "true", ...
    rb"^(?P<indent>[ \t]*)queue(?P<colon>[ \t]*:[ \t]*)[^\s#]+"
    rb"(?P<rest>[ \t]*(?:#.*)?)(?P<cr>\r?)$")


@dataclass
class Schedule:
    """Where each queued post goes, what could not be placed, and which files were written."""

    zone: ZoneInfo
    now: datetime
    plan: QueuePlan
    written: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "now": format_local(self.now, self.zone),
            "timezone": self.zone.key,
            "placed": [{"post": p.post, "file": p.file, "publish_at": format_local(p.at, self.zone),
                        "channels": list(p.channels)} for p in self.plan.placed],
            "unplaced": [{"post": u.post, "file": u.file, "reason": u.reason}
                         for u in self.plan.unplaced],
            "written": self.written,
        }

    def as_text(self) -> str:
        placed, unplaced = self.plan.placed, self.plan.unplaced
        if not placed and not unplaced:
            return "No queued posts."
        rows = [(format_local(p.at, self.zone), p.post, ",".join(p.channels), p.file)
                for p in placed]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
        lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
                 for row in rows]
        if unplaced:
            lines.append(f"{len(unplaced)} queued post{'s' * (len(unplaced) != 1)} found no slot:")
            lines.extend(f"  {u.post} ({u.file}): {u.reason}" for u in unplaced)
        if self.written:
            lines.append(f"Wrote publish_at into {len(self.written)} "
                         f"file{'s' * (len(self.written) != 1)}.")
        elif placed:
            lines.append("Run `social schedule --write` to write these times into the posts.")
        return "\n".join(lines)


def queued_posts(content: Content, order: dict[str, tuple[int, str]]) -> list[QueuedPost]:
    """Ready posts with `queue: true` and no time, first come first served.

    Posts committed earlier come first (see history.py); posts not committed yet
    come after all of them, by file path, as do all posts without git.
    """
    found = [post for post in content.usable_posts()
             if post.queue and post.publish_at is None and post.status == PostStatus.READY]
    found.sort(key=lambda post: (post.file not in order, order.get(post.file, (0, "")), post.file))
    return [QueuedPost(post.id, post.file, tuple(post.channels),
                       {channel: post_event(post, channel, UNSET, QUEUED) for channel in post.channels})
            for post in found]


def queue_channels(config: Config) -> dict[str, QueueChannel]:
    """Each channel's rules and slots, as the queue takes them."""
    return {cid: QueueChannel(channel.cadence, [parse_slot(text) for text in channel.slots])
            for cid, channel in config.channels.items()}


def publish_at_text(moment: datetime, zone: ZoneInfo) -> str:
    """`2026-12-01 09:00`, local; with the offset when the local time happens twice."""
    local = moment.astimezone(zone)
    naive = local.replace(tzinfo=None, second=0, microsecond=0)
    text = naive.strftime("%Y-%m-%d %H:%M")
    try:
        localize(naive, zone)
    except TimeError:
        return text + format_offset(local)
    return text


def replace_queue_line(raw: bytes, line: int, value: str) -> bytes:
    """`raw` with its `queue: true` on `line` (1-based) turned into `publish_at: value`."""
    lines = raw.split(b"\n")
    match = _QUEUE_LINE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if match is None:
        raise ValueError(f"line {line} is not `queue: true`")
    lines[line - 1] = (match["indent"] + b"publish_at" + match["colon"] + value.encode()
                       + match["rest"] + match["cr"])
    return b"\n".join(lines)


def write_schedule(content: Content, result: Schedule) -> None:
    """Write each placed post's time into its file, in place of its `queue: true` line."""
    posts = {post.id: post for post in content.usable_posts()}
    for placement in result.plan.placed:
        post = posts[placement.post]
        path = content.root / post.file
        try:
            updated = replace_queue_line(path.read_bytes(), post.line_of("queue"),
                                         publish_at_text(placement.at, result.zone))
        except (OSError, ValueError) as exc:
            raise PipelineError(f"cannot write publish_at: {exc}; write it by hand: publish_at: "
                                f"{publish_at_text(placement.at, result.zone)}",
                                file=post.file, line=post.line_of("queue"),
                                code="schedule-write") from None
        path.write_bytes(updated)
        result.written.append(post.file)


def schedule(root: Path, *, now_text: str | None = None, write: bool = False,
             published: Published | None = None) -> Schedule:
    """`social schedule`: fill the queue from now on; with `write`, into the files."""
    from pipeline.content.workspace import Workspace

    workspace = Workspace(root, now_text=now_text)
    config = workspace.require_config()
    content, now = workspace.content, workspace.now
    if published is None:
        published = workspace.published_times()
    queued = queued_posts(content, added_order(content.root))
    plan = fill_queue(queue_channels(config), events_from_content(content, published), queued, now,
                      config.zone, WEEK_STARTS[config.week_start])
    result = Schedule(config.zone, now, plan)
    if write:
        write_schedule(content, result)
    return result
