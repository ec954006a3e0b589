"""Hostile posts for the site: every field a person writes tries to become markup or script."""

from __future__ import annotations

import json

from PIL import Image

# Each payload would open a dialog or log to the console if it ever ran.
SCRIPT = "<script>alert('xss-title')</script>"
IMG = "<img src=x onerror=\"console.log('xss-img')\">"
BROKEN = "</div></td></table><b>broken <i>html"
EVENT = "\" onmouseover=\"alert('xss-attr')\" x=\""
SVG = "<svg onload=alert('xss-svg')>"
JS_LINK = "javascript:alert('xss-link')"


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is one)."""
    return json.dumps(text)


POSTS = {
    "xss-title": (f"""\
        title: {q(SCRIPT + " " + EVENT)}
        publish_at: 2026-12-02 10:00
        channels: [mastodon, bluesky]
        tags: [{q("<script>alert('xss-tag')</script>")}, {q(EVENT)}]
        """, f"Body with {IMG} and {SVG} and a [link]({JS_LINK}) and <a href='{JS_LINK}'>click</a>.\n\n"
             f"{BROKEN}\n\n---\n\nSecond part {SCRIPT} https://example.com/ok #bread"),
    "xss-link": ("""\
        title: Link to nowhere
        publish_at: 2026-12-02 14:00
        channels: [mastodon]
        link: "javascript:alert('xss-front-link')"
        """, "See the link."),
    "xss-media": ("""\
        title: "<img src=x onerror=alert('xss-media-title')>"
        publish_at: 2026-12-03 10:00
        channels: [mastodon, linkedin]
        media:
          - path: media/pic.png
            alt: "<script>alert('xss-alt')</script>\\" onerror=\\"alert('xss-alt-attr')"
        """, "A picture."),
}


def write_hostile_posts(repo) -> None:
    """Write the corpus (and its image) into a `ContentRepo`."""
    (repo.root / "content" / "media").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), (200, 150, 90)).save(repo.root / "content" / "media" / "pic.png")
    for slug, (front, body) in POSTS.items():
        repo.post(slug, front, body)
