"""The inbox commands on the example's own content, against the fakes of its networks.

The bakery's channels are pointed at a fake Mastodon and a fake Bluesky; someone
mentions the bakery on each. `social inbox collect` reads both (LinkedIn and Telegram
are skipped with their reasons), `social cadence` warns once the mention has waited
longer than max_unanswered, `social reply` writes the answer with the mention quoted,
and the warning then names the answer, which comes too late.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.collect import collect_inbox
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.clock import FakeClock
from tests.fakes.mastodon import FakeMastodon

REPO = Path(__file__).resolve().parent.parent
TOKENS = {"MASTODON_TOKEN": "example-inbox-mastodon-51aa", "BLUESKY_APP_PASSWORD": "example-inbox-bsky-77c3"}
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


def social(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_collect_warn_and_reply_on_the_example(tmp_path):
    root = tmp_path / "bakery"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    clock = FakeClock(NOW)
    config = yaml.safe_load((root / "content/channels.yml").read_text())
    with FakeMastodon(TOKENS["MASTODON_TOKEN"], clock=clock) as mastodon, \
            FakeBluesky(password=TOKENS["BLUESKY_APP_PASSWORD"], clock=clock) as bluesky:
        config["channels"]["mastodon"]["instance"] = mastodon.url
        config["channels"]["bluesky"].update(service=bluesky.url, handle=bluesky.handle)
        (root / "content/channels.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        asked = mastodon.notify("mention", "@crumbandco is the stollen vegan?", acct="mia@norden.social",
                                at=datetime(2026, 11, 29, 6, 0, tzinfo=UTC))
        bluesky.notify("mention", "kiez.bsky.social", "@crumbandco.bsky.social see you Saturday",
                       indexed_at="2026-11-30T18:00:00.000Z")

        collected = collect_inbox(root, env=TOKENS, clock=clock, sleep=clock.sleep)
        assert collected.ok
        assert {c.channel: (c.added, bool(c.skipped)) for c in collected.channels} == {
            "mastodon": (1, False), "bluesky": (1, False), "linkedin": (0, True), "telegram": (0, True),
            "outbox": (0, True)}
        again = collect_inbox(root, env=TOKENS, clock=clock, sleep=clock.sleep)
        assert [c.added for c in again.channels] == [0] * 5, "each item once"
    inbox = (root / "state/inbox.jsonl").read_text(encoding="utf-8")
    assert all(token not in inbox for token in TOKENS.values())

    late = social("cadence", "--root", str(root), "--now", "2026-12-01 08:00", "--channel", "mastodon",
                  "--format", "json")
    findings = json.loads(late.stdout)["channels"]["mastodon"]["findings"]
    assert [(f["rule"], f["posts"]) for f in findings] == [("max_unanswered", [])]
    assert "has waited 2d 1h for an answer" in findings[0]["message"]
    assert f"social reply {asked['url']}" in findings[0]["message"]

    written = social("reply", "--root", str(root), "--now", "2026-12-01 08:00", asked["url"],
                     "--text", "@mia@norden.social Not yet, but the vegan spelt loaf is!")
    assert written.exit_code == 0, written.output
    text = (root / written.stdout.strip()).read_text(encoding="utf-8")
    assert "# > @crumbandco is the stollen vegan?" in text and f'reply_to: "{asked["url"]}"' in text
    assert "channels: [mastodon]" in text
    assert social("validate", "--root", str(root), "--now", "2026-12-01 08:00").exit_code == 0

    # answered now, but later than max_unanswered allows: the warning names the answer instead
    answered = social("cadence", "--root", str(root), "--now", "2026-12-01 08:00", "--channel", "mastodon",
                      "--format", "json")
    findings = json.loads(answered.stdout)["channels"]["mastodon"]["findings"]
    assert [(f["rule"], f["posts"]) for f in findings] == [("max_unanswered", ["reply-mia-norden-social"])]
    assert "only at Tue Dec 1 11:30, 2d 4h 30m later" in findings[0]["message"]
