"""Rendering a post for one channel: template, Markdown, links, threads, counts, media rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.content.model import Channel, Config, Media, Post, split_with_lines
from pipeline.errors import ERROR, Finding
from pipeline.networks import network_class
from pipeline.networks.base import Network
from pipeline.render.counting import (
    NETWORK_LIMITS,
    TELEGRAM_CAPTION_LIMIT,
    Count,
    count,
    count_mastodon,
    upper_bound,
)
from pipeline.render.links import add_utm
from pipeline.render.templates import TemplateProblem, Templates
from pipeline.render.threads import split_into_parts
from pipeline.text.markdown import to_text


@dataclass
class RenderedPart:
    """One message as the network will receive it."""

    number: int
    text: str
    count: Count
    media: list[Media] = field(default_factory=list)


@dataclass
class Rendering:
    """A post on one channel: its parts, or the findings that stop it."""

    post: Post
    channel: Channel
    parts: list[RenderedPart] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    content_warning: str | None = None

    @property
    def ok(self) -> bool:
        return not any(f.level == ERROR for f in self.findings)


@dataclass
class _Source:
    """The text to render for a channel and the line where it starts."""

    parts: Sequence[tuple[str, int]]  # (markdown of one explicit part, its file line)
    thread: str


class Renderer:
    """Renders posts for channels; templates are loaded once per run."""

    def __init__(self, root: Path, config: Config, *, exact: bool = True) -> None:
        """`exact=False` is for validation: a part comfortably within its limit gets a Count whose
        length is an upper bound (see counting.upper_bound), not the exact count or facets."""
        self.root = root
        self.config = config
        self.templates = Templates(root)
        self.exact = exact

    def template_name(self, channel: Channel) -> str:
        return channel.template or f"{channel.network}.j2"

    def render(self, post: Post, channel: Channel) -> Rendering:
        network = network_class(channel.network)
        rendering = Rendering(post, channel)
        override = post.overrides.get(channel.id, {})
        rendering.content_warning = override.get("content_warning", post.content_warning)
        if not post.body.strip() and "text" not in override:
            return rendering  # a repost or a like: nothing to write
        source = self._source(post, channel.id, override)
        if len(source.parts) > 1 and not network.supports_threads:
            rendering.findings.append(Finding(
                post.file, source.parts[1][1] - 1, 1, ERROR, "thread-unsupported",
                f"{channel.id} ({network.name}) has no threads, but the text has "
                f"{len(source.parts)} parts: remove the '---' lines or leave {channel.id} out"))
            return rendering
        context = self._context(post, channel, network, override)
        try:
            texts = self._parts(post, channel, network, source, context, rendering)
        except TemplateProblem as problem:
            rendering.findings.append(problem.finding)
            return rendering
        for number, (counted, line) in enumerate(texts, 1):
            part = RenderedPart(number, counted.text, counted, post.media if number == 1 else [])
            rendering.parts.append(part)
            if not counted.ok:
                rendering.findings.append(self._too_long(post, channel, counted, line))
        rendering.findings.extend(media_findings(post, channel, network))
        return rendering

    # -- the pieces ---------------------------------------------------------------

    def _source(self, post: Post, channel_id: str, override: dict) -> _Source:
        thread = override.get("thread", post.thread)
        if "text" in override:
            line = post.line_of("overrides", channel_id, "text", "<value>")
            return _Source([(override["text"], line)], thread)
        return _Source(split_with_lines(post.body, post.body_line), thread)

    def _context(self, post: Post, channel: Channel, network: type[Network], override: dict) -> dict:
        link = override.get("link", post.link)
        if link and channel.utm:
            link = add_utm(
                link,
                source=channel.utm["source"].format(channel=channel.id, post=post.id),
                medium=channel.utm["medium"],
                campaign=(channel.utm.get("campaign") or "").format(channel=channel.id, post=post.id) or None,
            )
        tags = list(override.get("tags", post.tags))
        use_hashtags = network.hashtags if channel.hashtags is None else channel.hashtags
        raw_link = override.get("link", post.link)
        return {
            "title": post.title or "",
            "link": link or "",
            "raw_link": raw_link or "",
            "tags": tags,
            "hashtags": " ".join(f"#{tag}" for tag in tags) if use_hashtags else "",
            "channel": channel.id,
            "network": network.name,
            "post": {"id": post.id, "title": post.title or "", "language": post.language or ""},
            "numbering": channel.thread_numbering,
        }

    def _parts(self, post, channel, network, source, context, rendering) -> list[tuple[Count, int]]:
        """The final parts, counted: explicit parts, each split further when too long and allowed."""
        template = self.template_name(channel)
        texts = [(to_text(markdown, network.text_style), line) for markdown, line in source.parts]
        raw_link = context.pop("raw_link")
        # Whether the text already shows the link: decided for the whole post, so a thread
        # whose later part holds the link does not also get it appended to the first.
        link_in_text = bool(raw_link) and any(raw_link in text for text, _ in texts)

        def render(text: str, number: int, total: int) -> str:
            return self.templates.render(template, {
                **context, "text": text, "part": number, "parts": total,
                "first": number == 1, "last": number == total,
                "link_in_text": link_in_text,
            }).strip()

        counted: dict[tuple[str, int, int], Count] = {}

        def measure(text: str, number: int, total: int) -> Count:
            key = (text, number, total)
            if key not in counted:
                counted[key] = self._count(network, channel, render(text, number, total), number,
                                           post, rendering.content_warning)
            return counted[key]

        def fits(text: str, number: int, total: int) -> bool:
            return measure(text, number, total).ok

        total = len(texts)
        may_split = source.thread == "auto" and network.supports_threads
        for _ in range(4):  # the total changes the numbering, which changes the fit
            final: list[tuple[str, int]] = []
            for text, line in texts:
                pieces = [text]
                if may_split and not fits(text, len(final) + 1, total):
                    offset = len(final)
                    pieces = split_into_parts(
                        text, lambda t, n, _t, o=offset, all_=total: fits(t, o + n, all_)) or [text]
                final.extend((piece, line) for piece in pieces)
            if len(final) == total or not may_split:
                break
            total = len(final)
        return [(measure(text, number, len(final)), line) for number, (text, line) in enumerate(final, 1)]

    def _count(self, network, channel, text, number, post, content_warning) -> Count:
        rule = network.counting or (network.name if network.name in NETWORK_LIMITS else "characters")
        caption = bool(post.media) and number == 1
        if rule == "mastodon":
            limit = channel.options.get("max_characters") or network.max_length
        elif caption and rule == "telegram":
            limit = TELEGRAM_CAPTION_LIMIT
        else:
            limit = network.max_length
        if not self.exact:
            bound = upper_bound(rule, text, (content_warning or "") if rule == "mastodon" else "")
            if bound is not None and bound <= limit:
                return Count(rule, text, bound, limit)
        if rule == "mastodon":
            return count_mastodon(text, content_warning or "", limit=limit)
        return count(rule, text, limit=limit, photo_caption=caption)

    @staticmethod
    def _too_long(post: Post, channel: Channel, counted: Count, line: int) -> Finding:
        if counted.length == 0:
            return Finding(post.file, line, 1, ERROR, "text-empty",
                           f"the text for {channel.id} is empty after rendering")
        if counted.over:
            message = (f"too long for {channel.id}: {counted.length} of {counted.limit} "
                       f"({counted.over} over)")
            if post.thread == "off":
                message += "; shorten it, or set thread: auto to split it into a thread"
            else:
                message += "; shorten it or give this channel a shorter text in overrides"
        else:
            message = f"{channel.id} would refuse it: {'; '.join(counted.problems)}"
        return Finding(post.file, line, 1, ERROR, "too-long" if counted.over else "text-refused",
                       message)


def media_findings(post: Post, channel: Channel, network: type[Network]) -> list[Finding]:
    """Per-network image rules: count, format, bytes, pixels, alt text."""
    findings: list[Finding] = []

    def report(media: Media, code: str, message: str, level: str = ERROR) -> None:
        findings.append(Finding(post.file, post.line_of("media", media.index), 1, level, code,
                                f"{channel.id} ({network.name}): {message}"))

    if not post.media:
        return findings
    if len(post.media) > network.max_images:
        what = "takes no images" if network.max_images == 0 else f"takes at most {network.max_images}"
        findings.append(Finding(post.file, post.line_of("media"), 1, ERROR, "media-too-many",
                                f"{channel.id} ({network.name}) {what}; the post has "
                                f"{len(post.media)}: remove some or leave {channel.id} out"))
    for media in post.media:
        if media.format and media.format not in network.image_formats:
            report(media, "media-format", f"{media.path} is {media.format.upper()}; it takes "
                   f"{', '.join(sorted(f.upper() for f in network.image_formats))}")
        if network.max_image_bytes and media.bytes and media.bytes > network.max_image_bytes:
            report(media, "media-too-large", f"{media.path} is {media.bytes:,} bytes; at most "
                   f"{network.max_image_bytes:,}: make it smaller")
        side = max(media.width or 0, media.height or 0)
        if network.max_image_side and side > network.max_image_side:
            report(media, "media-too-big", f"{media.path} is {media.width}x{media.height} pixels; "
                   f"at most {network.max_image_side} on a side")
        if media.alt and network.max_alt_length and len(media.alt) > network.max_alt_length:
            report(media, "alt-too-long", f"alt text of {media.path} is {len(media.alt)} characters;"
                   f" at most {network.max_alt_length}")
    return findings
