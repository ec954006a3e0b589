"""Reading one post file into a Post, collecting every problem on the way."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler
from pydantic import ValidationError

from pipeline.content.media import MediaLibrary, MediaProblem
from pipeline.content.model import Config, Media, Post
from pipeline.content.placing import KeyPlacer
from pipeline.content.schema import ENGAGEMENT_KEYS, PostFrontMatter
from pipeline.content.schema_errors import schema_findings
from pipeline.content.times import TimeError, parse_publish_at
from pipeline.content.yamlload import load_yaml
from pipeline.errors import ERROR, Finding

MAX_POST_BYTES = 1_000_000
POST_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HANDLER = YAMLHandler()
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class PostReader:
    """Reads post files against one config; shares the media lookups between posts."""

    def __init__(self, root: Path, config: Config | None) -> None:
        self.root = root
        self.config = config
        self.media = MediaLibrary(root / "content")
        self._prefix = len(root.as_posix().rstrip("/")) + 1

    def read(self, path: Path) -> tuple[Post | None, list[Finding]]:
        file = path.as_posix()[self._prefix:]
        findings: list[Finding] = []

        def report(line: int, column: int, code: str, message: str, level: str = ERROR) -> None:
            findings.append(Finding(file, line, column, level, code, message))

        text = self._text(path, report)
        if text is None:
            return None, findings
        split = self._split(text, report)
        if split is None:
            return None, findings
        front, body, body_line = split
        # The front matter text starts right after the opening '---', on line 1.
        place = KeyPlacer(front, 1)
        try:
            data = load_yaml(front)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (2, 1)
            problem = getattr(exc, "problem", None) or "cannot be read"
            report(line, column, "yaml-syntax", f"YAML syntax error in front matter: {problem}; "
                   "check indentation, and quote text that holds ': ' or starts with [ { * & ! |")
            return None, findings
        if not isinstance(data, dict):
            report(2, 1, "frontmatter-invalid", "front matter must be keys and values "
                   "(channels: [...], publish_at: ...), not " + ("nothing" if data is None else
                                                                 type(data).__name__))
            return None, findings
        try:
            meta = PostFrontMatter.model_validate(data)
        except ValidationError as exc:
            findings.extend(schema_findings(exc, PostFrontMatter, file, place))
            return None, findings
        post = self._post(path, file, meta, body, body_line, place, report)
        return post, findings

    def _text(self, path: Path, report) -> str | None:
        size = path.stat().st_size
        if size > MAX_POST_BYTES:
            report(1, 1, "file-too-large", f"the file is {size / 1e6:.1f} MB; a post is at most "
                   f"{MAX_POST_BYTES // 1000} kB: put images in content/media/ and keep the text short")
            return None
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            report(line, column, "encoding", f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} "
                   "cannot be read); save it as UTF-8")
            return None
        return text.removeprefix("\ufeff").replace("\r\n", "\n")

    def _split(self, text: str, report) -> tuple[str, str, int] | None:
        if not _HANDLER.detect(text):
            report(1, 1, "frontmatter-missing", "the file has no front matter: start it with a "
                   "line '---', then channels and publish_at, then a line '---', then the text")
            return None
        try:
            front, body = _HANDLER.split(text)
        except ValueError:
            report(1, 1, "frontmatter-unclosed", "the front matter opened on line 1 is never "
                   "closed: add a line '---' between the front matter and the text")
            return None
        body_line = text[: len(text) - len(body)].count("\n") + 1
        stripped = body.lstrip("\n")
        body_line += len(body) - len(stripped)
        return front, stripped.rstrip(), body_line

    def _post(self, path, file, meta: PostFrontMatter, body, body_line, place, report) -> Post | None:
        def at(key: str, code: str, message: str, level: str = ERROR, value: bool = True) -> None:
            line, column = place((key, "<value>") if value else (key,))
            report(line, column, code, message, level)

        post_id = meta.id or path.stem
        if meta.id is None and not POST_ID.match(post_id):
            report(1, 1, "id-invalid", f"the file name {path.name!r} is not a usable id: rename "
                   "it to lowercase letters, digits and '-', or set id: in the front matter")
        publish_at = None
        zone = self.config.zone if self.config else None
        if meta.publish_at is not None and zone is not None:
            try:
                publish_at = parse_publish_at(meta.publish_at, zone)
            except TimeError as exc:
                at("publish_at", exc.code, exc.message)
        if meta.status == "ready" and meta.publish_at is None and not meta.queue:
            report(1, 1, "no-schedule", "the post is ready but has no time: add publish_at: "
                   "YYYY-MM-DD HH:MM, or queue: true to take the next free slot, or "
                   "status: draft")
        if meta.publish_at is not None and meta.queue:
            at("queue", "schedule-conflict", "the post has both publish_at and queue: true; "
               "keep one of them")

        self._check_channels(meta, at)
        engagement = {key: getattr(meta, key) for key in ENGAGEMENT_KEYS if getattr(meta, key)}
        self._check_engagement(meta, engagement, body, at)
        if not body.strip() and not (set(engagement) & {"repost", "like"}):
            report(body_line, 1, "body-empty", "the post has no text: write it below the "
                   "closing '---' of the front matter")
        if meta.link is not None and not _URL.match(meta.link):
            at("link", "link-invalid", f"link {meta.link!r} is not an http(s) URL")
        media = self._media(meta, place, report)
        return Post(
            id=post_id,
            file=file,
            title=meta.title,
            publish_at=publish_at,
            queue=meta.queue,
            channels=list(meta.channels),
            status=meta.status,
            tags=list(meta.tags),
            link=meta.link,
            media=media,
            thread=meta.thread,
            language=meta.language,
            content_warning=meta.content_warning,
            overrides={k: v.model_dump(exclude_none=True) for k, v in meta.overrides.items()},
            engagement=engagement,
            body=body,
            body_line=body_line,
            lines=place,
        )

    def _check_channels(self, meta: PostFrontMatter, at) -> None:
        if self.config is None:
            return
        known = list(self.config.channels)
        for index, channel in enumerate(meta.channels):
            if channel not in self.config.channels:
                guess = difflib.get_close_matches(channel, known, n=1)
                hint = f"did you mean {guess[0]!r}?" if guess else f"channels: {', '.join(known)}"
                at("channels", "channel-unknown",
                   f"unknown channel {channel!r} (not in content/channels.yml); {hint}")
            if meta.channels.index(channel) != index:
                at("channels", "channel-repeated", f"channel {channel!r} is listed twice")
        for channel in meta.overrides:
            if channel not in meta.channels:
                at("overrides", "override-unused", f"overrides.{channel} is for a channel the "
                   "post does not go to; add it to channels or remove the override", value=False)

    def _check_engagement(self, meta: PostFrontMatter, engagement, body, at) -> None:
        for key, url in engagement.items():
            if not _URL.match(url):
                at(key, "engagement-url-invalid", f"{key} must be the http(s) URL of a post, "
                   f"not {url!r}")
        if len(set(engagement) - {"like"}) > 1:
            at(next(iter(engagement)), "engagement-conflict", "a post can be one of reply_to, "
               "repost or quote (like may go with any); split it into separate posts")
        if "repost" in engagement and body.strip():
            at("repost", "repost-with-text", "a repost carries no text of its own; use quote: "
               "to add words to someone else's post")
        if self.config is None:
            return
        from pipeline.networks import network_class

        for channel_id in meta.channels:
            channel = self.config.channels.get(channel_id)
            if channel is None:
                continue
            supported = network_class(channel.network).engagement
            for key in engagement:
                if key not in supported:
                    at(key, "engagement-unsupported",
                       f"{channel_id} ({channel.network}) cannot {key.replace('_', ' ')} another "
                       "post yet, and it must never go out as a plain post: remove "
                       f"{channel_id} from channels or drop {key}")

    def _media(self, meta: PostFrontMatter, place, report) -> list[Media]:
        media = []
        for index, item in enumerate(meta.media):
            try:
                media.append(self.media.inspect(item.path, item.alt, index))
            except MediaProblem as problem:
                line, column = place(("media", index, "path", "<value>"))
                report(line, column, problem.code, problem.message)
                continue
            if not (item.alt or "").strip():
                line, column = place(("media", index))
                report(line, column, "media-no-alt", f"image {item.path} has no alt text: add "
                       "alt: describing what it shows, for people who cannot see it")
        return media
