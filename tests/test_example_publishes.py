"""The example's own calendar, published for real against the fakes of its networks.

Every channel of the bakery's `content/channels.yml` is pointed at a fake server
(Mastodon, Bluesky, LinkedIn, Telegram; the outbox writes files), and the clock walks
through the calendar: a run a minute after each post's time. Every part then exists
exactly once on its network, no part failed, and nothing was missed.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, timedelta
from pathlib import Path

import yaml

from pipeline.content.load import load_content
from pipeline.publish.service import publish
from pipeline.state.ledger import PUBLISHED, Ledger
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.clock import FakeClock
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram

REPO = Path(__file__).resolve().parent.parent
TOKENS = {"MASTODON_TOKEN": "example-mastodon-7f1c", "BLUESKY_APP_PASSWORD": "example-bsky-9e2a",
          "LINKEDIN_TOKEN": "example-linkedin-4b8d", "TELEGRAM_BOT_TOKEN": "123456:example-tg-Qz81"}


def test_the_example_calendar_goes_out_once_on_every_network(tmp_path):
    root = tmp_path / "bakery"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    times = sorted({p.publish_at for p in load_content(root).posts if p.publish_at and p.status == "ready"})
    clock = FakeClock(times[0] - timedelta(minutes=5))
    config = yaml.safe_load((root / "content/channels.yml").read_text())
    channels = config["channels"]
    with FakeMastodon(TOKENS["MASTODON_TOKEN"], clock=clock) as mastodon, \
            FakeBluesky(password=TOKENS["BLUESKY_APP_PASSWORD"], clock=clock) as bluesky, \
            FakeLinkedIn(TOKENS["LINKEDIN_TOKEN"], clock=clock, author=channels["linkedin"]["author"]) as linkedin, \
            FakeTelegram(TOKENS["TELEGRAM_BOT_TOKEN"], clock=clock) as telegram:
        channels["mastodon"]["instance"] = mastodon.url
        channels["bluesky"].update(service=bluesky.url, handle=bluesky.handle)
        channels["linkedin"]["api"] = linkedin.url
        channels["telegram"]["api"] = telegram.url
        (root / "content/channels.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        # the posts the example replies to, reposts or likes exist on their networks
        for post in load_content(root).posts:
            for url in post.engagement.values():
                if "bsky.app" in url:
                    handle, rkey = url.split("/profile/")[1].split("/post/")
                    bluesky.add_post(handle, rkey, "Someone else's post")
                else:
                    mastodon.add_remote(url)
        outcomes = []
        for moment in times:
            clock.now = max(clock.now, moment.astimezone(UTC) + timedelta(minutes=1))
            report = publish(root, env=TOKENS, clock=clock, sleep=clock.sleep)
            outcomes += report.result.outcomes
            assert report.ok, [o for o in report.result.outcomes if o.state != PUBLISHED]
        states = Counter(o.state for o in outcomes)
        assert set(states) == {PUBLISHED}, states
        published = [e for e in Ledger(root).latest() if e.state == PUBLISHED]
        by_channel = Counter(e.channel for e in published)
        assert set(by_channel) == set(channels), by_channel  # every channel of the example posted
        # each part exactly once on its network: as many posts there as published parts here
        assert len(mastodon.ours()) == by_channel["mastodon"]
        assert len(bluesky.ours()) == by_channel["bluesky"]
        assert len(linkedin.ours()) == by_channel["linkedin"]
        assert len(telegram.ours()) == by_channel["telegram"]
        assert len({e.remote_id for e in published if e.channel == "mastodon"}) == by_channel["mastodon"]
        # a run after the last one sends nothing
        clock.now += timedelta(days=1)
        assert publish(root, env=TOKENS, clock=clock, sleep=clock.sleep).result.outcomes == []
    for value in TOKENS.values():
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in (".jsonl", ".json"):
                assert value not in path.read_text(encoding="utf-8", errors="replace")
