"""Generate a content repository of N realistic posts for benchmarks.

    python benchmarks/generate.py 10000 benchmarks/.data/posts-10000

Posts spread over five channels, about six a day, with tags, links, some
images, threads and overrides, like a busy team's five years.
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

CHANNELS_YML = """\
timezone: Europe/Berlin
defaults:
  cadence: {max_per_day: 3, min_gap: 2h, max_silence: 4d, hours: "08:00-20:00"}
channels:
  mastodon:
    network: mastodon
    instance: https://mastodon.social
    credentials: {token: MASTODON_TOKEN}
  bluesky:
    network: bluesky
    handle: bench.bsky.social
    credentials: {password: BLUESKY_APP_PASSWORD}
  linkedin:
    network: linkedin
    author: urn:li:organization:1
    credentials: {token: LINKEDIN_TOKEN}
  outbox:
    network: outbox
  webhook:
    network: webhook
    credentials: {url: HOOK_URL, secret: HOOK_SECRET}
"""

WORDS = (
    "bread sourdough rye crust oven flour butter morning market stollen cake winter spring "
    "neighbours recipe workshop baker apprentice pretzel honey seeds"
).split()
TAGS = ["launch", "promo", "behindthescenes", "community", "recipe", "seasonal"]
NETWORKS = ["mastodon", "bluesky", "linkedin", "outbox", "webhook"]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 14))
    return " ".join(words).capitalize() + "."


def post_text(rng: random.Random, index: int, moment: datetime) -> str:
    channels = rng.sample(NETWORKS, k=rng.randint(1, 3))
    lines = [
        "---",
        f"title: Post number {index}",
        f"publish_at: {moment:%Y-%m-%d %H:%M}",
        f"channels: [{', '.join(channels)}]",
        f"tags: [{', '.join(rng.sample(TAGS, k=rng.randint(0, 2)))}]",
    ]
    if rng.random() < 0.3:
        lines.append(f"link: https://example.com/news/{index}")
    if rng.random() < 0.2:
        lines += ["media:", "  - path: media/photo.png", "    alt: A loaf of bread on a table"]
    if rng.random() < 0.1 and "mastodon" in channels:
        lines += ["overrides:", "  mastodon:", f"    text: {sentence(rng)}"]
    lines.append("---")
    body = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.05:
        body += "\n\n---\n\n" + sentence(rng)
    return "\n".join(lines) + "\n" + body + "\n"


def generate(count: int, target: Path, seed: int = 7, start: datetime = datetime(2027, 1, 4, 8, 0)) -> Path:
    """`count` posts, six a day from `start` (local time), in a fresh repository at `target`."""
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    (target / "content" / "media").mkdir(parents=True)
    (target / "content" / "channels.yml").write_text(CHANNELS_YML, encoding="utf-8")
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates", target / "templates")
    # The smallest valid PNG: 1x1 pixel, so media checks have a real file to read.
    (target / "content" / "media" / "photo.png").write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"))
    for index in range(count):
        day = start + timedelta(days=index // 6)
        moment = day.replace(hour=8 + (index % 6) * 2, minute=rng.choice((0, 15, 30, 45)))
        folder = target / "content" / "posts" / f"{moment:%Y}" / f"{moment:%m}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"post-{index:05d}.md").write_text(post_text(rng, index, moment), encoding="utf-8")
    return target


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"benchmarks/.data/posts-{count}")
    print(generate(count, out))
