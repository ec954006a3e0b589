"""Rendering a post for one channel: template, Markdown, links, threads, counts, media rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pipeline.content.model import Channel, Config, Media, Post, split_with_lines
from pipeline.content.utm import fill_utm
from pipeline.errors import ERROR, NOTICE, Finding
from pipeline.networks import network_class
from pipeline.networks.base import Capability, Network
from pipeline.networks.cost import CostEstimate
from pipeline.render.links import add_utm
from pipeline.render.splitting import split_into_parts
from pipeline.render.templates import TemplateProblem, Templates
from pipeline.text.count import Count
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
    #: the post's link for this channel as written (the text carries it with campaign parameters)
    link: str | None = None

    @property
    def ok(self) -> bool:
        return not any(f.level == ERROR for f in self.findings)

    @cached_property
    def cost(self) -> CostEstimate | None:
        """What sending the parts costs, where the channel's network charges (asked when shown, not
        when validating)."""
        if not self.parts:
            return None
        network = network_class(self.channel.network)
        return network.estimate_cost([part.text for part in self.parts], self.channel.options)


@dataclass
class _Source:
    """The text to render for a channel and the line where it starts."""

    parts: Sequence[tuple[str, int]]  # (markdown of one explicit part, its file line)
    thread: str


class Renderer:
    """Renders posts for channels; templates are loaded once per run."""

    def __init__(self, root: Path, config: Config, *, exact: bool = True) -> None:
        """`exact=False` is for validation: a part comfortably within its limit gets a Count whose
        length is an upper bound (see Network.upper_bound), not the exact count or facets."""
        self.root = root
        self.config = config
        self.templates = Templates(root)
        self.exact = exact

    def template_name(self, channel: Channel) -> str:
        """The channel's `template:`, else `<network>.j2` (the repository's, or the network's default)."""
        return channel.template or f"{channel.network}.j2"

    def render(self, post: Post, channel: Channel) -> Rendering:
        network = network_class(channel.network)
        rendering = Rendering(post, channel)
        rendering.content_warning = post.content_warning_for(channel.id)
        rendering.link = post.link_for(channel.id)
        if not post.text_for(channel.id).strip():
            return rendering  # a repost or a like: nothing to write
        source = self._source(post, channel.id)
        if len(source.parts) > 1 and not (network.can(Capability.THREADS, channel.options) and channel.threads):
            why = (f"{channel.id} ({network.name}) has no threads"
                   if not network.can(Capability.THREADS, channel.options)
                   else f"{channel.id} posts no threads (threads: false in content/channels.yml)")
            rendering.findings.append(Finding(
                post.file, source.parts[1][1] - 1, 1, ERROR, "thread-unsupported",
                f"{why}, but the text has {len(source.parts)} parts: remove the '---' lines or leave "
                f"{channel.id} out"))
            rendering.findings.extend(media_findings(post, channel, network))  # the images do not wait on the text
            return rendering
        context = self._context(post, channel, network)
        try:
            texts, split = self._parts(post, channel, network, source, context, rendering)
        except TemplateProblem as problem:
            rendering.findings.append(problem.finding)
            rendering.findings.extend(media_findings(post, channel, network))
            return rendering
        for number, (counted, line) in enumerate(texts, 1):
            part = RenderedPart(number, counted.text, counted, post.media if number == 1 else [])
            rendering.parts.append(part)
            if not counted.ok:
                rendering.findings.append(self._too_long(post, channel, counted, line))
        if split and rendering.ok:
            rendering.findings.append(_thread_split(post, channel, len(source.parts), len(texts), split))
        rendering.findings.extend(media_findings(post, channel, network))
        if network.alt_in_text and rendering.parts:
            rendering.findings.extend(descriptions_left_out(post, channel, network, rendering.parts[0].text))
        return rendering

    # -- the pieces ---------------------------------------------------------------

    def _source(self, post: Post, channel_id: str) -> _Source:
        thread = post.thread_for(channel_id)
        text = post.override(channel_id).text
        if text is not None:
            line = post.line_of("overrides", channel_id, "text", "<value>")
            return _Source([(text, line)], thread)
        return _Source(split_with_lines(post.body, post.body_line), thread)

    def _context(self, post: Post, channel: Channel, network: type[Network]) -> dict:
        raw_link = post.link_for(channel.id)
        link = raw_link
        if link and channel.utm:
            def filled(key: str) -> str:
                return fill_utm(channel.utm.get(key) or "", channel=channel.id, post=post.id)

            link = add_utm(link, source=filled("source"), medium=filled("medium"),
                           campaign=filled("campaign") or None)
        tags = post.tags_for(channel.id)
        use_hashtags = network.hashtags if channel.hashtags is None else channel.hashtags
        return {
            "title": post.title or "",
            "link": link or "",
            "raw_link": raw_link or "",
            "tags": tags,
            "hashtags": " ".join(f"#{tag}" for tag in tags[:network.max_hashtags]) if use_hashtags else "",
            # the descriptions of the images (the first part carries them), for networks without alt text
            "images": [media.alt for media in post.media if media.alt],
            "channel": channel.id,
            "network": network.name,
            "post": {"id": post.id, "title": post.title or "", "language": post.language or ""},
            "numbering": channel.thread_numbering,
        }

    def _parts(self, post, channel, network, source, context, rendering
               ) -> tuple[list[tuple[Count, int]], list[tuple[Count, int]]]:
        """The final parts, counted: explicit parts, each split further when too long and allowed;
        and each explicit part that was split, counted whole, with its line."""
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
        may_split = source.thread == "auto" and network.can(Capability.THREADS, channel.options) and channel.threads
        for _ in range(4):  # the total changes the numbering, which changes the fit
            final: list[tuple[str, int]] = []
            split: list[tuple[Count, int]] = []
            for text, line in texts:
                pieces = [text]
                if may_split and not fits(text, len(final) + 1, total):
                    offset = len(final)
                    pieces = split_into_parts(
                        text, lambda t, n, _t, o=offset, all_=total: fits(t, o + n, all_)) or [text]
                    if len(pieces) > 1:
                        split.append((measure(text, offset + 1, len(texts)), line))
                final.extend((piece, line) for piece in pieces)
            if len(final) == total or not may_split:
                break
            total = len(final)
        return ([(measure(text, number, len(final)), line) for number, (text, line) in enumerate(final, 1)],
                split)

    def _count(self, network: type[Network], channel: Channel, text: str, number: int, post: Post,
               content_warning: str | None) -> Count:
        # The first part carries the images; one that cannot be read yet still will (validation).
        with_media = bool(post.media or post.media_paths) and number == 1
        warning = content_warning or ""
        if not self.exact:
            bound = network.upper_bound(text, options=channel.options, content_warning=warning)
            limit = network.text_limit(channel.options, with_media=with_media)
            if bound is not None and bound <= limit:
                return Count(network.name, text, bound, limit)
        return network.count(text, options=channel.options, with_media=with_media, content_warning=warning)

    @staticmethod
    def _too_long(post: Post, channel: Channel, counted: Count, line: int) -> Finding:
        if counted.length == 0:
            return Finding(post.file, line, 1, ERROR, "text-empty",
                           f"the text for {channel.id} is empty after rendering")
        if counted.over:
            message = (f"too long for {channel.id}: {counted.length} of {counted.limit} "
                       f"({counted.over} over)")
            if not channel.threads:
                message += (f"; shorten it or give {channel.id} a shorter text in overrides ({channel.id} "
                            "posts no threads: threads: false in content/channels.yml)")
            elif post.thread_for(channel.id) == "off":
                message += "; shorten it, or set thread: auto to split it into a thread"
            else:
                message += "; shorten it or give this channel a shorter text in overrides"
        else:
            message = f"{channel.id} would refuse it: {'; '.join(counted.problems)}"
        return Finding(post.file, line, 1, ERROR, "too-long" if counted.over else "text-refused",
                       message)


def _thread_split(post: Post, channel: Channel, written: int, total: int,
                  split: list[tuple[Count, int]]) -> Finding:
    """A notice that a text too long for the network goes out as a thread: nobody may have asked for one."""
    counted, line = split[0]
    what = ("the text is" if written == 1 else f"a part (line {line}) is") + \
        f" {counted.length} of {counted.limit} characters"
    return Finding(post.file, line, 1, NOTICE, "thread-split",
                   f"{channel.id}: will go out as {total} posts, not {'one' if written == 1 else written}: "
                   f"{what}, so it is split into a thread, the rest in replies. To keep it one post, shorten "
                   f"it or give {channel.id} a shorter text in overrides; thread: off makes an over-long text "
                   "an error instead")


def media_findings(post: Post, channel: Channel, network: type[Network]) -> list[Finding]:
    """Per-network image rules: count, format, bytes, pixels, alt text."""
    findings: list[Finding] = []

    def report(media: Media, code: str, message: str, level: str = ERROR) -> None:
        findings.append(Finding(post.file, post.line_of("media", media.index), 1, level, code,
                                f"{channel.id} ({network.name}): {message}"))

    # every image named counts, also one that cannot be read yet (its own error says why)
    count = max(len(post.media), len(post.media_paths))
    if not count:
        return findings
    takes_images = network.can(Capability.IMAGES, channel.options)
    if not takes_images or count > network.max_images:
        what = f"takes at most {network.max_images}" if takes_images else "takes no images"
        findings.append(Finding(post.file, post.line_of("media"), 1, ERROR, "media-too-many",
                                f"{channel.id} ({network.name}) {what}; the post has "
                                f"{count}: remove some or leave {channel.id} out"))
    if not takes_images:
        return findings
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
        unreachable = network.media_problem(channel.options, media.path)
        if unreachable:
            report(media, "media-url-unknown", unreachable)
        if not media.alt:
            continue
        if network.alt_in_text:
            continue  # checked against the rendered text: descriptions_left_out
        if not network.can(Capability.ALT_TEXT, channel.options):
            findings.append(Finding(post.file, post.line_of("media", media.index, "alt"), 1, ERROR,
                                    "alt-unsupported", f"{channel.id} ({network.name}) cannot send alt "
                                    f"text, so {media.path} would go out without its description: "
                                    f"leave {channel.id} out of this post"))
        elif len(media.alt) > network.max_alt_length:
            report(media, "alt-too-long", f"alt text of {media.path} is {len(media.alt)} characters;"
                   f" at most {network.max_alt_length}")
    return findings


def descriptions_left_out(post: Post, channel: Channel, network: type[Network], text: str) -> list[Finding]:
    """A network without alt text shows each description in the text: refuse the images whose
    description the template (the repository's own, perhaps) leaves out."""
    shown = " ".join(text.split())
    return [Finding(post.file, post.line_of("media", media.index, "alt"), 1, ERROR, "alt-unsupported",
                    f"{channel.id} ({network.name}) has no alt text, so the description of {media.path} "
                    f"must be in the caption, but the template {channel.template or network.name + '.j2'} "
                    "leaves it out: write `{{ images }}` into it (see the network's default template)")
            for media in post.media if media.alt and " ".join(media.alt.split()) not in shown]
