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
PROFILE = "<script>alert('xss-profile')</script>"
CARD = "<img src=x onerror=\"console.log('xss-card')\">"
#: one word longer than any phone is wide, and a link as long
LONG_WORD = "Sauerteigbrotbackstubenmeisterinnenausbildungsverordnung" * 4
LONG_LINK = "https://crumbandco.example/" + "very-long-path-segment/" * 12 + "end"


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
    "xss-card": ("""\
        title: A card that lies about itself
        publish_at: 2026-12-03 12:00
        channels: [mastodon, bluesky]
        link: https://example.com/card
        """, "See the card."),
    "long-words": (f"""\
        title: {LONG_WORD[:90]}
        publish_at: 2026-12-03 15:00
        channels: [mastodon, linkedin]
        tags: [{LONG_WORD[:60].lower()}]
        """, f"{LONG_WORD}\n\n{LONG_LINK} #{LONG_WORD[:60]} @{LONG_WORD[:30]}"),
}

#: a stored link card and a profile are written by people too
LINK_CARDS = f"""\
https://example.com/card:
  title: {q(SCRIPT)}
  description: {q(CARD + " " + BROKEN)}
"{JS_LINK}":
  title: a link card for a javascript link
"""
PROFILES = {"bluesky": f"display_name: {q(PROFILE)}\n"}


def write_hostile_posts(repo) -> None:
    """Write the corpus (and its image) into a `ContentRepo`."""
    (repo.root / "content" / "media").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), (200, 150, 90)).save(repo.root / "content" / "media" / "pic.png")
    for slug, (front, body) in POSTS.items():
        repo.post(slug, front, body)
    repo.write("content/linkcards.yml", LINK_CARDS)
    for channel, profile in PROFILES.items():
        repo.write(f"content/profiles/{channel}.yml", profile)
