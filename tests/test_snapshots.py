"""Snapshots: the example content rendered for every network, compared with committed files.

Refresh after an intended change with:

    .venv/bin/python -m pytest tests/test_snapshots.py --update-snapshots

and review the diff like any other change.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.content.load import load_content
from pipeline.content.model import Channel
from pipeline.networks import network_names
from pipeline.render.render import Renderer

REPO = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "render"
OPTIONS = {
    "mastodon": {"instance": "https://mastodon.social", "max_characters": 500},
    "bluesky": {"handle": "crumbandco.bsky.social", "service": "https://bsky.social"},
    "linkedin": {"author": "urn:li:organization:2414183"},
    "facebook": {"page_id": "1"},
    "telegram": {"chat_id": "@crumbandco"},
}


def snapshot_of(network: str) -> str:
    content = load_content(REPO)
    renderer = Renderer(content.root, content.config)
    channel = Channel(id=network, network=network, credentials={}, options=OPTIONS.get(network, {}),
                      cadence={}, slots=(), template=None, max_lateness=timedelta(hours=6))
    blocks = []
    for post in sorted(content.usable_posts(), key=lambda p: p.id):
        rendering = renderer.render(dataclasses.replace(post), channel)
        lines = [f"=== {post.id}"]
        for part in rendering.parts:
            counted = part.count
            lines.append(f"--- part {part.number}/{len(rendering.parts)}: {counted.length} of {counted.limit}"
                         + ("" if counted.ok else " NOT OK"))
            lines.append(part.text)
            if counted.wire_text != part.text:  # what the request carries, where readers see otherwise
                lines += ["[wire_text]", counted.wire_text]
            lines += [f"[facet {f.type} {f.byte_start}-{f.byte_end} {f.value}]" for f in counted.facets]
            lines += [f"[image {m.path} {m.width}x{m.height}: {m.alt}]" for m in part.media]
        lines += [f"[{f.level} {f.code}: {f.message}]" for f in rendering.findings]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


@pytest.mark.parametrize("network", network_names())
def test_rendered_example_content_matches_its_snapshot(network, request):
    rendered = snapshot_of(network)
    path = SNAPSHOTS / f"{network}.txt"
    if request.config.getoption("--update-snapshots"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.is_file(), f"no snapshot for {network}: run pytest {__file__} --update-snapshots"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{network} renders differently: if intended, refresh with --update-snapshots and review the diff")
