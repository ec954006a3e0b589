"""Reading one post file into a Post, collecting every problem on the way."""

from __future__ import annotations

import difflib
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from frontmatter.default_handlers import YAMLHandler
from pydantic import ValidationError

from pipeline.content.media import MediaLibrary, MediaProblem
from pipeline.content.model import Config, Media, Override, Post, PostStatus
from pipeline.content.placing import KeyPlacer
from pipeline.content.schema import ENGAGEMENT_KEYS, MAX_ID, PartialFrontMatter, PostFrontMatter
from pipeline.content.schema_errors import schema_findings, unread_keys
from pipeline.content.yamlload import DuplicateKeyError, describe_yaml_error, load_yaml
from pipeline.errors import ERROR, Finding
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.networks import network_class
from pipeline.networks.base import ENGAGEMENT
from pipeline.times import TimeError, parse_publish_at

MAX_POST_BYTES = 1_000_000
UTC_ZONE = ZoneInfo("UTC")
POST_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HANDLER = YAMLHandler()
_NOTHING: frozenset[str] = frozenset()
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class PostReader:
    """Reads post files against one config; shares the media lookups between posts."""

    def __init__(self, root: Path, config: Config | None) -> None:
        self.root = root
        self.config = config
        self.files = RegularFiles(root)
        self.media = MediaLibrary(root / "content", self.files)
        self._prefix = len(root.as_posix().rstrip("/")) + 1

    def read(self, path: Path | str) -> tuple[Post | None, list[Finding]]:
        """Read one post file (a Path or, cheaper for thousands of files, a path string)."""
        path = os.fspath(path)
        file = path[self._prefix:].replace(os.sep, "/")
        findings: list[Finding] = []

        def report(line: int, column: int, code: str, message: str, level: str = ERROR) -> None:
            findings.append(Finding(file, line, column, level, code, message))

        text = self._text(path, report)
        if text is None:
            return None, findings
        split = self._split(text, report, path)
        if split is None:
            return None, findings
        front, front_line, close_line, body, body_line = split
        place = KeyPlacer(front, front_line)
        duplicates: list = []
        try:
            try:
                data = load_yaml(front)
            except DuplicateKeyError:  # a key written twice is unread; the others can still be read
                data = load_yaml(front, duplicates)
        except yaml.YAMLError as exc:
            line, column, code, problem = describe_yaml_error(exc, front, front_line)
            report(line, column, code, f"YAML syntax error in front matter: {problem}")
            return None, findings
        for duplicate, _ in duplicates:
            line, column, code, problem = describe_yaml_error(duplicate, front, front_line)
            report(line, column, code, f"YAML syntax error in front matter: {problem}")
        if not isinstance(data, dict):
            report(front_line + 1, 1, "frontmatter-invalid", "front matter must be keys and values "
                   "(channels: [...], publish_at: ...), not " + ("nothing" if data is None else
                                                                 type(data).__name__))
            return None, findings
        unread = _NOTHING
        model = PostFrontMatter
        if duplicates:
            unread = frozenset(str(key) for _, key in duplicates)
            # A key unread from the start may be a required one: the partial model says so.
            model = PartialFrontMatter
            data = {key: value for key, value in data.items() if str(key) not in unread}
        try:
            meta = model.model_validate(data)
        except ValidationError as exc:
            findings.extend(schema_findings(exc, model, file, place))
            # A wrong key must not hide what the others say: read the rest, for validation only.
            meta, more = _partially(data, exc)
            unread |= more
            if meta is None:
                return None, findings
        post = self._post(path, file, meta, body, body_line, close_line, place, report, unread)
        return post, findings

    def _text(self, path: str, report) -> str | None:
        try:
            raw = self.files.read(path, MAX_POST_BYTES, "post")
        except UnsafeFile as problem:
            hint = (": put images in content/media/ and keep the text short"
                    if problem.code == "file-too-large" else "")
            report(1, 1, problem.code, problem.message + hint)
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            report(line, column, "encoding", f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} "
                   "cannot be read); save it as UTF-8")
            return None
        return text.removeprefix("\ufeff").replace("\r\n", "\n")

    def _split(self, text: str, report, path: str = "") -> tuple[str, int, int, str, int] | None:
        """(front matter, its first line, the closing '---' line, body, the body's first line)."""
        if not _HANDLER.detect(text):
            hint = (": every .md file under content/posts/ is a post, so keep notes like this one in content/"
                    if os.path.basename(path).lower().startswith("readme") else "")
            report(1, 1, "frontmatter-missing", "the file has no front matter: start it with a "
                   "line '---', then channels and publish_at, then a line '---', then the text" + hint)
            return None
        # The handler's own boundaries, with their positions: its split() loses them, and
        # blank lines after the opening '---' would shift every reported line.
        boundaries = _HANDLER.FM_BOUNDARY.finditer(text)
        opening, closing = next(boundaries), next(boundaries, None)
        if closing is None:
            report(1, 1, "frontmatter-unclosed", "the front matter opened on line 1 is never "
                   "closed: add a line '---' between the front matter and the text")
            return None
        front = text[opening.end():closing.start()]
        front_line = text.count("\n", 0, opening.end()) + 1
        close_line = text.count("\n", 0, closing.start()) + 1
        body = text[closing.end():]
        stripped = body.lstrip("\n")
        body_line = text.count("\n", 0, closing.end()) + 1 + len(body) - len(stripped)
        return front, front_line, close_line, stripped.rstrip(), body_line

    def _post(self, path, file, meta: PostFrontMatter, body, body_line, close_line, place,
              report, unread: frozenset[str]) -> Post | None:
        """The post and the checks of one file; a check that needs an `unread` key is left out."""
        def at(key: str, code: str, message: str, level: str = ERROR, value: bool = True) -> None:
            line, column = place((key, "<value>") if value else (key,))
            report(line, column, code, message, level)

        name = os.path.basename(path)
        post_id = meta.id or os.path.splitext(name)[0]
        if meta.id is None and "id" not in unread and not POST_ID.match(post_id):
            report(1, 1, "id-invalid", f"the file name {name!r} is not a usable id: rename "
                   "it to lowercase letters, digits and '-', or set id: in the front matter")
        elif meta.id is None and "id" not in unread and len(post_id) > MAX_ID:
            report(1, 1, "id-invalid", f"the file name is {len(post_id)} characters long, too long "
                   f"for an id (at most {MAX_ID}): shorten it, or set a shorter id: in the front matter")
        publish_at = None
        if meta.publish_at is not None:
            publish_at = self._publish_at(meta.publish_at, place, report)
        if (meta.status == PostStatus.READY and meta.publish_at is None and not meta.queue
                and not unread & {"status", "publish_at", "queue"}):
            report(1, 1, "no-schedule", "the post is ready but has no time: add publish_at: "
                   "YYYY-MM-DD HH:MM, or queue: true to take the next free slot, or "
                   "status: draft")
        if meta.publish_at is not None and meta.queue:
            at("queue", "schedule-conflict", "the post has both publish_at and queue: true; "
               "keep one of them")

        self._check_channels(meta, at, place, report, unread)
        engagement = {key: getattr(meta, key) for key in ENGAGEMENT_KEYS if getattr(meta, key)}
        self._check_engagement(meta, engagement, body, at)
        if not body.strip() and not ((set(engagement) | unread) & {"repost", "like"}):
            report(close_line, 1, "body-empty", "the post has no text: write it below this "
                   "closing '---' of the front matter")
        if meta.link is not None and not _URL.match(meta.link):
            at("link", "link-invalid", f"link {meta.link!r} is not an http(s) URL; write the "
               "full address, e.g. https://example.com/page")
        media = self._media(meta, place, report)
        return Post(
            id=post_id,
            file=file,
            title=meta.title,
            publish_at=publish_at,
            queue=meta.queue,
            channels=list(meta.channels),
            status=PostStatus(meta.status),
            tags=list(meta.tags),
            link=meta.link,
            media=media,
            thread=meta.thread,
            language=meta.language,
            content_warning=meta.content_warning,
            overrides={channel: Override(text=o.text, content_warning=o.content_warning,
                                         tags=None if o.tags is None else tuple(o.tags), link=o.link,
                                         thread=o.thread)
                       for channel, o in meta.overrides.items()},
            engagement=engagement,
            body=body,
            body_line=body_line,
            lines=place,
            id_from_file=meta.id is None and "id" not in unread,
            unread=unread,
            media_paths=tuple([item.path for item in meta.media]) if meta.media else (),
        )

    def _publish_at(self, value: str, place, report) -> datetime | None:
        # Without a usable channels.yml, UTC still catches every mistake but DST ones.
        zone = self.config.zone if self.config else UTC_ZONE
        try:
            return parse_publish_at(value, zone)
        except TimeError as exc:
            report(*place(("publish_at", "<value>")), exc.code, exc.message)
            return None

    def _check_channels(self, meta: PostFrontMatter, at, place, report, unread: frozenset[str]) -> None:
        if self.config is None:
            return
        known = list(self.config.channels)
        for index, channel in enumerate(meta.channels):
            if channel not in self.config.channels:
                guess = difflib.get_close_matches(channel, known, n=1)
                hint = (f"did you mean {guess[0]!r}?" if guess
                        else f"use one of: {', '.join(known)}")
                report(*place(("channels", index)), "channel-unknown",
                       f"unknown channel {channel!r} (not in content/channels.yml); {hint}")
            if meta.channels.index(channel) != index:
                at("channels", "channel-repeated", f"channel {channel!r} is listed twice")
        for channel in meta.overrides if "channels" not in unread else ():
            if channel not in meta.channels:
                report(*place(("overrides", channel)), "override-unused", f"overrides.{channel} is "
                       "for a channel the post does not go to; add it to channels or remove the "
                       "override")

    def _check_engagement(self, meta: PostFrontMatter, engagement, body, at) -> None:
        if not engagement:
            return
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
        for channel_id in meta.channels:
            channel = self.config.channels.get(channel_id)
            if channel is None:
                continue
            network = network_class(channel.network)
            for key, url in engagement.items():
                if not network.can(ENGAGEMENT[key], channel.options):
                    at(key, "engagement-unsupported",
                       f"{channel_id} ({channel.network}) cannot {key.replace('_', ' ')} another "
                       "post yet, and it must never go out as a plain post: remove "
                       f"{channel_id} from channels or drop {key}")
                    continue
                problem = network.engagement_problem(key, url) if _URL.match(url) else None
                if problem:
                    at(key, "engagement-url-foreign", f"{channel_id} ({channel.network}): {problem}; "
                       f"remove {channel_id} from channels or point {key} at a post there")
            if "quote" in engagement and meta.media and not network.quote_takes_images:
                at("quote", "quote-with-images", f"{channel_id} ({channel.network}) cannot attach images "
                   f"to a quote: remove the images, or leave {channel_id} out of this post")

    def _media(self, meta: PostFrontMatter, place, report) -> list[Media]:
        media = []
        for index, item in enumerate(meta.media):
            try:
                media.append(self.media.inspect(item.path, item.alt, index))
            except MediaProblem as problem:
                line, column = place(("media", index, "path", "<value>"))
                report(line, column, problem.code, problem.message)
                continue
            if item.alt is None:
                line, column = place(("media", index))
                report(line, column, "media-no-alt", f"image {item.path} has no alt text: add "
                       "alt: describing what it shows, for people who cannot see it")
            elif not item.alt.strip():
                report(*place(("media", index, "alt", "<value>")), "media-no-alt",
                       f"the alt text of image {item.path} is blank: describe what it shows, "
                       "for people who cannot see it")
        return media


def _partially(data: dict, error: ValidationError) -> tuple[PostFrontMatter | None, frozenset[str]]:
    """The front matter without the keys `error` makes unusable, and those keys."""
    unread = unread_keys(error, PostFrontMatter, data)
    try:
        return PartialFrontMatter.model_validate({key: value for key, value in data.items()
                                                  if str(key) not in unread}), unread
    except ValidationError:  # each key is validated on its own, so the rest should pass: if not, none is read
        return None, unread
