"""The plain data the rest of the pipeline works on: Config, Channel, Post, Media."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.errors import PipelineError, UsageError

#: what the repository holds: channels.yml, posts, media, relative to its root
CONTENT_DIR = "content"
#: where post files live, relative to the repository's root: the `.md` files under it
POSTS_DIR = "content/posts"


@dataclass(frozen=True)
class Channel:
    """One account on one network, as configured in channels.yml."""

    id: str
    network: str
    credentials: dict[str, str]
    #: the network's own settings, as its Options model
    options: Any
    cadence: dict[str, Any]
    slots: tuple[str, ...]
    template: str | None
    max_lateness: timedelta
    line: int = 1
    hashtags: bool | None = None
    thread_numbering: bool = False
    #: whether a text may go out as a thread here (`threads: false`: never)
    threads: bool = True
    utm: dict[str, Any] | None = field(default_factory=lambda: {"source": "{channel}",
                                                               "medium": "social",
                                                               "campaign": "{post}"})
    #: how long its profile may go unchanged before validation warns (None: never)
    profile_max_age: timedelta | None = timedelta(days=180)


@dataclass(frozen=True)
class Config:
    """content/channels.yml, loaded."""

    zone: ZoneInfo
    week_start: str
    channels: dict[str, Channel]
    file: str = "content/channels.yml"

    @property
    def timezone(self) -> str:
        return self.zone.key


@dataclass(frozen=True)
class Media:
    path: str
    alt: str | None
    index: int
    width: int | None = None
    height: int | None = None
    format: str | None = None
    bytes: int | None = None


class PostStatus(StrEnum):
    """Whether a post is meant to go out."""

    DRAFT = "draft"
    READY = "ready"
    RETRACTED = "retracted"


@dataclass(frozen=True)
class Override:
    """What one channel gets instead of the post's own values (None: the post's)."""

    text: str | None = None
    content_warning: str | None = None
    tags: tuple[str, ...] | None = None
    link: str | None = None
    thread: str | None = None


NO_OVERRIDE = Override()


@dataclass
class Post:
    """One post file, parsed; `lines` places each front-matter key for messages."""

    id: str
    file: str
    title: str | None
    publish_at: datetime | None
    queue: bool
    channels: list[str]
    status: PostStatus
    tags: list[str]
    link: str | None
    media: list[Media]
    thread: str
    language: str | None
    content_warning: str | None
    overrides: dict[str, Override]
    engagement: dict[str, str]
    body: str
    body_line: int
    lines: Callable[[tuple], tuple[int, int]] | None = field(default=None, repr=False)
    #: whether the id comes from the file name (no `id:` written): it then follows the file's history
    id_from_file: bool = False
    #: front-matter keys whose values could not be read (a schema error): the post has their defaults
    #: instead, so it is only validated (Content.partial), never published, listed or shown
    unread: frozenset[str] = frozenset()
    #: every media path the front matter names, usable or not (`media` holds the usable ones)
    media_paths: tuple[str, ...] = ()

    def override(self, channel_id: str) -> Override:
        return self.overrides.get(channel_id, NO_OVERRIDE)

    def text_for(self, channel_id: str) -> str:
        """The Markdown `channel_id` gets: its override's text, else the body."""
        text = self.override(channel_id).text
        return self.body if text is None else text

    def tags_for(self, channel_id: str) -> list[str]:
        tags = self.override(channel_id).tags
        return self.tags if tags is None else list(tags)

    def link_for(self, channel_id: str) -> str | None:
        link = self.override(channel_id).link
        return self.link if link is None else link

    def content_warning_for(self, channel_id: str) -> str | None:
        warning = self.override(channel_id).content_warning
        return self.content_warning if warning is None else warning

    def thread_for(self, channel_id: str) -> str:
        return self.override(channel_id).thread or self.thread

    def line_of(self, *path: str | int) -> int:
        """The file line of a front-matter key (or nested key path)."""
        return self.lines(tuple(path))[0] if self.lines else 1

    @property
    def parts(self) -> list[str]:
        """The body split into thread parts at lines holding only `---`."""
        return [text for text, _ in split_with_lines(self.body, self.body_line)]


@lru_cache(maxsize=1024)  # one body, several channels
def split_with_lines(body: str, first_line: int) -> tuple[tuple[str, int], ...]:
    """Explicit thread parts with the file line each starts on."""
    parts: list[tuple[str, int]] = []
    current: list[str] = []
    start = first_line
    for offset, line in enumerate(body.split("\n")):
        if line.strip() == "---":
            parts.append(("\n".join(current), start))
            current, start = [], first_line + offset + 1
        else:
            if not current and not line.strip():
                start = first_line + offset + 1
                continue
            current.append(line)
    parts.append(("\n".join(current), start))
    return tuple((text.strip(), line) for text, line in parts if text.strip())


@dataclass
class Content:
    """Everything under content/: the config, the posts, and what was found wrong.

    `posts` are the files read in full (some may have errors: see `broken_files`);
    `partial` are the posts read in part, for validation only: a schema error left some
    keys unread (`Post.unread`), and the checks that need none of them still run.
    """

    root: Path
    config: Config | None
    posts: list[Post]
    findings: list = field(default_factory=list)
    partial: list[Post] = field(default_factory=list)
    #: every file under content/ that is not a post file (paths relative to root); None: not looked for
    other_files: list[str] | None = None

    @property
    def broken_files(self) -> set[str]:
        """Files with at least one error."""
        return {f.file for f in self.findings if f.level == "error"}

    def usable_posts(self) -> list[Post]:
        """Posts whose files have no errors."""
        broken = self.broken_files
        return [p for p in self.posts if p.file not in broken]

    def post(self, post_id: str) -> Post | None:
        return next((p for p in self.posts if p.id == post_id), None)

    def require_post(self, post_id: str) -> Post:
        """The post with `post_id`; else a PipelineError naming its file's first error, or a
        UsageError suggesting the nearest id."""
        post = self.post(post_id)
        if post is not None:
            return post
        broken = [f for f in self.findings if Path(f.file).stem == post_id]
        if broken:
            raise PipelineError(f"post {post_id!r} has errors: {broken[0].message}",
                                file=broken[0].file, line=broken[0].line, code=broken[0].code)
        guess = difflib.get_close_matches(post_id, [p.id for p in self.posts], n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else "`social list --all` shows them all"
        raise UsageError(f"no post with id {post_id!r}; {hint}")
