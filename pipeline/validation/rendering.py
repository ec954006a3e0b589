"""The render checks of `social validate`: every post on every channel, as it will be sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pipeline.content.model import Content, Post, PostStatus
from pipeline.errors import ERROR, WARNING, Finding
from pipeline.networks import network_class
from pipeline.networks.base import Capability
from pipeline.render.render import Renderer


def render_findings(content: Content, posts: Iterable[Post] | None = None) -> list[Finding]:
    """Findings of rendering each post (default: each without errors) for each of its channels.

    A broken template is reported once, at its own line, not once per post.
    A draft's problems are warnings: they block nothing until it is ready.
    """
    if content.config is None:
        return []
    renderer = Renderer(content.root, content.config, exact=False)  # verdicts, not exact counts
    findings: set[Finding] = set()
    for post in content.usable_posts() if posts is None else posts:
        if post.status == PostStatus.RETRACTED:
            findings.update(retraction_findings(post, content))
            continue
        for channel_id in post.channels:
            channel = content.config.channels.get(channel_id)
            if channel is None:
                continue
            for finding in renderer.render(post, channel).findings:
                if post.status == PostStatus.DRAFT and finding.level == ERROR and finding.file == post.file:
                    finding = replace(finding, level=WARNING, message=f"draft: {finding.message}")
                findings.add(finding)
    return list(findings)


def retraction_findings(post: Post, content: Content) -> list[Finding]:
    """A retracted post on a channel that cannot delete (a Slack incoming webhook) would stay online."""
    findings = []
    for channel_id in post.channels:
        channel = content.config.channels.get(channel_id) if content.config else None
        if channel is None:
            continue
        network = network_class(channel.network)
        if network.can(Capability.PUBLISH, channel.options) and not network.can(Capability.DELETE, channel.options):
            findings.append(Finding(post.file, post.line_of("status"), 1, ERROR, "retraction-unsupported",
                                    f"{channel_id} ({network.name}) cannot delete what it posted (see "
                                    f"docs/networks/{network.name}.md): delete the post by hand there, then "
                                    f"remove {channel_id} from this post's channels"))
    return findings
