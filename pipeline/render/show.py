"""`social render` and `social count`: the exact text each channel gets, and how it counts."""

from __future__ import annotations

from pathlib import Path

from pipeline.content.workspace import Workspace
from pipeline.errors import UsageError
from pipeline.networks import UnknownNetwork, network_class
from pipeline.render.render import Renderer, Rendering
from pipeline.text.count import Count


def render_post(root: Path, post_id: str, channel_id: str | None = None) -> list[Rendering]:
    """The post rendered for each of its channels (or one)."""
    workspace = Workspace(root)
    config = workspace.require_config()
    content = workspace.content
    post = content.require_post(post_id)
    channels = post.channels
    if channel_id:
        if channel_id not in post.channels:
            raise UsageError(f"{post_id} does not go to {channel_id!r}; its channels: {', '.join(post.channels)}")
        channels = [channel_id]
    renderer = Renderer(content.root, config)
    return [renderer.render(post, config.channels[c]) for c in channels if c in config.channels]


def rendering_dict(rendering: Rendering) -> dict:
    cost = rendering.cost
    return {
        "post": rendering.post.id,
        "channel": rendering.channel.id,
        "network": rendering.channel.network,
        "content_warning": rendering.content_warning,
        "parts": [
            {**part.count.as_dict(), "part": part.number,
             "media": [{"path": m.path, "alt": m.alt, "width": m.width, "height": m.height}
                       for m in part.media],
             "cost": cost.posts[index].as_dict() if cost else None}
            for index, part in enumerate(rendering.parts)
        ],
        "cost": cost.as_dict() if cost else None,
        "findings": [{**f.as_dict(), "level": f.level} for f in rendering.findings],
    }


def rendering_text(rendering: Rendering) -> str:
    channel = rendering.channel
    lines = [f"== {channel.id} ({channel.network})"]
    if rendering.content_warning:
        lines.append(f"content warning: {rendering.content_warning}")
    total = len(rendering.parts)
    if not rendering.parts and rendering.post.engagement:
        lines.append("(no text: " + ", ".join(f"{k} {v}" for k, v in rendering.post.engagement.items()) + ")")
    cost = rendering.cost
    for index, part in enumerate(rendering.parts):
        counted = part.count
        mark = "ok" if counted.ok else "TOO LONG" if counted.over else "REFUSED"
        heading = f"-- part {part.number}/{total}: " if total > 1 else "-- "
        price = f", {cost.posts[index].describe()}" if cost else ""
        lines.append(f"{heading}{counted.length} of {counted.limit} {mark}{price}")
        lines.append(part.text)
        for media in part.media:
            alt = f"alt: {media.alt}" if media.alt else "no alt text"
            lines.append(f"   [image {media.path}, {media.width}x{media.height}] {alt}")
        for facet in counted.facets:
            shown = part.text.encode()[facet.byte_start:facet.byte_end].decode()
            lines.append(f"   facet {facet.type} bytes {facet.byte_start}-{facet.byte_end} "
                         f"{shown!r} -> {facet.value}")
        for problem in counted.problems:
            lines.append(f"   problem: {problem}")
    if cost:
        lines.append(f"cost: {cost.summary()} ({cost.source})")
    for finding in rendering.findings:
        lines.append(f"{finding.level}: {finding.file}:{finding.line}: {finding.message}")
    return "\n".join(lines)


def count_text(network: str, text: str, *, limit: int | None = None) -> Count:
    """`social count`: `text` as `network` counts it, against its default limit or `limit`."""
    try:
        found = network_class(network)
    except UnknownNetwork as exc:
        raise UsageError(str(exc)) from None
    return found.count(text, limit=limit)


def count_report(counted: Count) -> str:
    status = "ok" if counted.ok else (f"{counted.over} over" if counted.over else "refused")
    lines = [f"{counted.network}: {counted.length} of {counted.limit} ({status})"]
    if counted.text:
        lines.append(f"as shown: {counted.text}")
    for facet in counted.facets:
        shown = counted.text.encode()[facet.byte_start:facet.byte_end].decode()
        lines.append(f"facet {facet.type} bytes {facet.byte_start}-{facet.byte_end} {shown!r} -> {facet.value}")
    lines.extend(f"problem: {p}" for p in counted.problems)
    return "\n".join(lines)
