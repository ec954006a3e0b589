"""Generate a content repository of N realistic posts for benchmarks.

    python benchmarks/generate.py 10000 benchmarks/.data/posts-10000

Posts spread over five channels (X among them), about six a day, each on one to five
of them: tags, links in the front matter and in the text, some images, overrides,
texts near X's and Bluesky's limits (some over them, which go out as automatic
threads), written threads, and some accents and emoji, like a busy team's years.
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
  cadence: {max_per_day: 6, min_gap: 1h, max_silence: 4d, hours: "08:00-20:00"}
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
  x:
    network: x
    username: benchbakery
    thread_numbering: true
    credentials: {api_key: X_API_KEY, api_secret: X_API_SECRET, access_token: X_ACCESS_TOKEN,
                  access_secret: X_ACCESS_SECRET}
  webhook:
    network: webhook
    credentials: {url: HOOK_URL, secret: HOOK_SECRET}
"""

WORDS = (
    "bread sourdough rye crust oven flour butter morning market stollen cake winter spring "
    "neighbours recipe workshop baker apprentice pretzel honey seeds"
).split()
#: a few words from further afield: X weighs them by code point and emoji by cluster
FOREIGN = ["Brötchen", "café", "crème", "naïve", "Zürich", "🥐", "🍞", "👩‍🍳", "パン", "빵"]
LINKS = ["https://example.com/news/{index}", "example.org/recipes", "https://bakery.example.net/menu?day=mon",
         "shop.example.co.uk/bread"]
TAGS = ["launch", "promo", "behindthescenes", "community", "recipe", "seasonal"]
NETWORKS = ["mastodon", "bluesky", "linkedin", "x", "webhook"]
THREADED = ["mastodon", "bluesky", "x"]


def sentence(rng: random.Random, foreign: bool = False) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 14))
    if foreign:
        words.insert(rng.randrange(len(words)), rng.choice(FOREIGN))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, index: int, length: int) -> str:
    """Sentences up to about `length` characters, now and then with a link or a foreign word."""
    foreign = rng.random() < 0.1
    sentences: list[str] = []
    size = 0
    while size < length:
        text = sentence(rng, foreign and rng.random() < 0.5)
        if rng.random() < 0.08:
            text = text[:-1] + " at " + rng.choice(LINKS).format(index=index) + " today."
        sentences.append(text)
        size += len(text) + 1
    return " ".join(sentences)


def body(rng: random.Random, index: int, kind: float) -> str:
    """Short texts, texts near X's limit (some just over), long ones, and written threads."""
    if kind < 0.60:
        return paragraph(rng, index, rng.randint(60, 200))
    if kind < 0.90:
        return paragraph(rng, index, rng.randint(220, 280))
    if kind < 0.95:
        return paragraph(rng, index, rng.randint(300, 700))
    return "\n\n---\n\n".join(paragraph(rng, index, rng.randint(100, 260)) for _ in range(rng.randint(2, 4)))


def post_text(rng: random.Random, index: int, moment: datetime) -> str:
    kind = rng.random()
    # a written thread goes only where threads can go
    networks = NETWORKS if kind < 0.95 else THREADED
    count = rng.choices((1, 2, 3, 4, 5)[:len(networks)], weights=(40, 35, 15, 6, 4)[:len(networks)])[0]
    channels = rng.sample(networks, k=count)
    if "x" not in channels and rng.random() < 0.7:  # most posts go to X: the costliest count
        channels[rng.randrange(len(channels))] = "x"
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
    return "\n".join(lines) + "\n" + body(rng, index, kind) + "\n"


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
        (folder / f"post-{index:06d}.md").write_text(post_text(rng, index, moment), encoding="utf-8")
    return target


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"benchmarks/.data/posts-{count}")
    print(generate(count, out))
