"""`social list` and `social show`: the schedule as people read it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.content.model import Config, Post
from pipeline.content.workspace import Workspace
from pipeline.output import visible
from pipeline.times import format_local, utc_iso


@dataclass
class Listing:
    zone: ZoneInfo
    now: datetime
    posts: list[Post]
    broken_files: int

    def as_dict(self) -> dict:
        return {
            "timezone": self.zone.key,
            "now": format_local(self.now, self.zone),
            "posts": [post_summary(p, self.zone) for p in self.posts],
        }

    def as_text(self) -> str:
        if not self.posts:
            return f"Nothing scheduled after {format_local(self.now, self.zone)}."
        rows = [tuple(visible(cell, one_line=True) for cell in
                      (when_text(p, self.zone), ",".join(p.channels), p.status, p.id, p.title or ""))
                for p in self.posts]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
            for row in rows
        ).rstrip()


def when_text(post: Post, zone: ZoneInfo) -> str:
    if post.publish_at is not None:
        return format_local(post.publish_at, zone)
    return "queued" if post.queue else "unscheduled"


def post_summary(post: Post, zone: ZoneInfo) -> dict:
    return {
        "id": post.id,
        "file": post.file,
        "title": post.title,
        "publish_at": format_local(post.publish_at, zone) if post.publish_at else None,
        "publish_at_utc": utc_iso(post.publish_at) if post.publish_at else None,
        "queue": post.queue,
        "channels": post.channels,
        "status": post.status,
        "tags": post.tags,
    }


def list_posts(root: Path, *, now_text: str | None = None, include_past: bool = False,
               channels: tuple[str, ...] = ()) -> Listing:
    """Posts from now on (or all), timed ones by time, then queued, then unscheduled drafts."""
    workspace = Workspace(root, now_text=now_text)
    config = workspace.require_config()
    for channel in channels:
        workspace.require_channel(channel)
    content, now = workspace.content, workspace.now
    selected = [
        post for post in content.usable_posts()
        if (not channels or set(channels) & set(post.channels))
        and (include_past or post.publish_at is None or post.publish_at >= now)
    ]
    selected.sort(key=lambda p: (p.publish_at is None, not p.queue, p.publish_at or now, p.id))
    broken = len({f for f in content.broken_files if f.startswith("content/posts/")})
    return Listing(zone=config.zone, now=now, posts=selected, broken_files=broken)


@dataclass
class ShownPost:
    post: Post
    config: Config

    def as_dict(self) -> dict:
        post = self.post
        return {
            **post_summary(post, self.config.zone),
            "link": post.link,
            "thread": post.thread,
            "language": post.language,
            "content_warning": post.content_warning,
            "engagement": post.engagement,
            "media": [{"path": m.path, "alt": m.alt, "width": m.width, "height": m.height,
                       "format": m.format, "bytes": m.bytes} for m in post.media],
            "overrides": {channel: {key: list(value) if isinstance(value, tuple) else value
                                    for key, value in asdict(override).items() if value is not None}
                          for channel, override in post.overrides.items()},
            "parts": post.parts,
        }

    def as_text(self) -> str:
        post = self.post
        lines = [f"{visible(post.title or post.id, one_line=True)}  ({post.id})", f"file:      {post.file}"]
        if post.publish_at:
            lines.append(f"publish:   {format_local(post.publish_at, self.config.zone)} "
                         f"({self.config.timezone}), "
                         f"{utc_iso(post.publish_at)}")
        else:
            lines.append(f"publish:   {when_text(post, self.config.zone)}")
        lines.append(f"channels:  {', '.join(post.channels)}")
        lines.append(f"status:    {post.status}")
        if post.tags:
            lines.append(f"tags:      {', '.join(post.tags)}")
        if post.link:
            lines.append(f"link:      {post.link}")
        for key, url in post.engagement.items():
            lines.append(f"{key + ':':<11}{url}")
        for media in post.media:
            alt = f"alt: {media.alt}" if media.alt else "no alt text"
            lines.append(f"image:     {media.path} ({media.width}x{media.height}) {alt}")
        parts = post.parts
        for number, part in enumerate(parts, 1):
            heading = f"--- part {number}/{len(parts)} ---" if len(parts) > 1 else "---"
            lines.extend(["", heading, part])
        return "\n".join(lines)


def show_post(root: Path, post_id: str) -> ShownPost:
    workspace = Workspace(root)
    config = workspace.require_config()
    content = workspace.content
    return ShownPost(content.require_post(post_id), config)
