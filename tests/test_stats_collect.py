"""`social stats collect`: followers and per-part counts from the fakes, into state/metrics.jsonl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.growth.collect import collect
from pipeline.growth.history import read_history
from pipeline.publish.service import publish
from pipeline.state.journal import Journal
from tests.conftest import REPO
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.clock import FakeClock
from tests.fakes.mastodon import FakeMastodon

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKEN = "stats-canary-51f0aa"
ENV = {"M_TOKEN": TOKEN, "B_PASSWORD": TOKEN}


@pytest.fixture
def world(repo):
    """Two channels on the fakes, three posts published on both (one a thread of two parts)."""
    clock = FakeClock(START)
    with FakeMastodon(TOKEN, clock=clock) as mastodon, FakeBluesky(password=TOKEN, clock=clock) as bluesky:
        repo.write("content/channels.yml", yaml.safe_dump({"timezone": "Europe/Berlin", "channels": {
            "mastodon": {"network": "mastodon", "instance": mastodon.url, "credentials": {"token": "M_TOKEN"}},
            "bluesky": {"network": "bluesky", "handle": bluesky.handle, "service": bluesky.url,
                        "credentials": {"password": "B_PASSWORD"}},
            "outbox": {"network": "outbox"}}}))
        repo.post("rye", "publish_at: 2026-12-01 09:00\nchannels: [mastodon, bluesky, outbox]", "Rye is back.")
        repo.post("stollen", "publish_at: 2026-12-01 09:30\nchannels: [mastodon, bluesky]",
                  "Stollen, part one.\n\n---\n\nStollen, part two.")
        clock.now = START + timedelta(hours=1)
        report = publish(repo.root, env=ENV, clock=clock, sleep=clock.sleep)
        assert report.ok, report
        yield SimpleNamespace(repo=repo, mastodon=mastodon, bluesky=bluesky, clock=clock)


def run(repo, clock, **kwargs):
    return collect(repo.root, env=ENV, clock=clock, sleep=clock.sleep, **kwargs)


def lines(repo) -> list[dict]:
    return Journal(repo.root, "metrics.jsonl").records()


def test_followers_and_every_parts_counts_are_appended_with_the_time(world):
    repo, mastodon, bluesky, clock = world.repo, world.mastodon, world.bluesky, world.clock
    mastodon.account["followers_count"] = 120
    bluesky.followers = 45
    rye, _, stollen_2 = mastodon.ours()
    mastodon.set_counts(rye["id"], likes=5, reposts=2, replies=1)
    mastodon.set_counts(stollen_2["id"], likes=1)
    posts = bluesky.ours()
    uri = {record["value"]["text"].split(",")[0].split(" ")[0]: record["uri"] for record in posts.values()}
    bluesky.counts[uri["Rye"]] = {"likeCount": 9, "repostCount": 3, "replyCount": 2, "quoteCount": 1}
    clock.now = START + timedelta(days=1)

    report = run(repo, clock)

    assert report.ok
    by_channel = {r.channel: r for r in report.readings}
    assert by_channel["outbox"].skipped and "not read" in by_channel["outbox"].notes[0]
    assert (by_channel["mastodon"].followers, by_channel["mastodon"].counted) == (120, 3)
    assert (by_channel["bluesky"].followers, by_channel["bluesky"].counted) == (45, 3)
    found = lines(repo)
    at = "2026-12-02T09:00:00Z"
    assert {"at": at, "channel": "mastodon", "kind": "account", "followers": 120} in found
    assert {"at": at, "channel": "bluesky", "kind": "account", "followers": 45} in found
    rye_line = next(r for r in found if r["channel"] == "mastodon" and r.get("post") == "rye")
    assert rye_line == {"at": at, "channel": "mastodon", "kind": "post", "post": "rye", "part": 1,
                        "remote_id": rye["id"], "url": rye["url"], "published": "2026-12-01T10:00:00Z",
                        "likes": 5, "reposts": 2, "replies": 1}  # Mastodon has no quotes: not written
    sky = next(r for r in found if r["channel"] == "bluesky" and r.get("post") == "rye")
    assert (sky["likes"], sky["reposts"], sky["replies"], sky["quotes"]) == (9, 3, 2, 1)
    assert sky["remote_id"] == uri["Rye"]
    history = read_history(repo.root / "state/metrics.jsonl")
    assert history.posts[("stollen", "mastodon")].engagement == 1    # both parts of the thread
    assert history.posts[("rye", "bluesky")].engagement == 15
    assert TOKEN not in (repo.root / "state/metrics.jsonl").read_text()
    # the reads went where NETWORKS.md says, Bluesky's through the PDS with the session
    assert len(mastodon.calls("GET", r"/api/v1/statuses/\d+")) == 3
    assert len(bluesky.calls("GET", r"/xrpc/app\.bsky\.feed\.getPosts")) == 1
    assert bluesky.calls("GET", r"/xrpc/app\.bsky\.actor\.getProfile")[0].query["actor"] == [bluesky.did]


def test_a_second_reading_writes_followers_again_and_only_the_parts_that_changed(world):
    repo, mastodon, clock = world.repo, world.mastodon, world.clock
    clock.now = START + timedelta(days=1)
    run(repo, clock)
    first = len(lines(repo))
    rye = mastodon.ours()[0]
    mastodon.set_counts(rye["id"], likes=7)
    clock.now += timedelta(days=1)

    report = run(repo, clock)

    added = lines(repo)[first:]
    assert sorted((r["channel"], r["kind"], r.get("post")) for r in added) == [
        ("bluesky", "account", None), ("mastodon", "account", None), ("mastodon", "post", "rye")]
    assert {r.channel: r.written for r in report.readings} == {"mastodon": 1, "bluesky": 0, "outbox": 0}


def test_only_parts_published_within_the_window_are_read_again(world):
    repo, mastodon, bluesky, clock = world.repo, world.mastodon, world.bluesky, world.clock
    clock.now = START + timedelta(days=61)
    report = run(repo, clock)
    assert {r.channel: r.parts for r in report.readings} == {"mastodon": 0, "bluesky": 0, "outbox": 0}
    assert not mastodon.calls("GET", r"/api/v1/statuses/\d+")
    assert not bluesky.calls("GET", r"/xrpc/app\.bsky\.feed\.getPosts")
    assert [r["kind"] for r in lines(repo)] == ["account", "account"]  # followers are still read
    clock.now = START + timedelta(days=2)
    assert {r.channel: r.parts for r in run(repo, clock, window=timedelta(days=3)).readings}["mastodon"] == 3


def test_a_status_deleted_in_the_app_is_noted_and_the_rest_is_read(world):
    repo, mastodon, bluesky, clock = world.repo, world.mastodon, world.bluesky, world.clock
    rye = mastodon.ours()[0]
    del mastodon.statuses[rye["id"]]
    for rkey, record in bluesky.ours().items():
        if record["value"]["text"].startswith("Rye"):
            del bluesky.records[(bluesky.did, "app.bsky.feed.post", rkey)]
    report = run(repo, clock)
    readings = {r.channel: r for r in report.readings}
    assert report.ok
    assert readings["mastodon"].counted == 2 and "rye part 1: the status is gone" in readings["mastodon"].notes[0]
    assert readings["bluesky"].counted == 2 and "rye part 1: the post is gone" in readings["bluesky"].notes[0]


def test_a_rate_limit_is_waited_out_through_http(world):
    repo, mastodon, clock = world.repo, world.mastodon, world.clock
    mastodon.budget(remaining=2, reset_in=90)
    before = clock.now
    report = run(repo, clock, channel_id="mastodon")
    assert report.ok and report.readings[0].counted == 3
    assert clock.now - before >= timedelta(seconds=90)   # waited (on the fake clock) for the window to reset


def test_a_channel_that_cannot_be_read_fails_alone_and_masks_the_secret(world):
    repo, mastodon, clock = world.repo, world.mastodon, world.clock
    mastodon.token = "another-token"   # ours is revoked
    report = run(repo, clock)
    readings = {r.channel: r for r in report.readings}
    assert not report.ok
    assert "M_TOKEN" in readings["mastodon"].problem and TOKEN not in readings["mastodon"].problem
    assert readings["bluesky"].problem is None
    assert {r["channel"] for r in lines(repo)} == {"bluesky"}


def test_the_command_prints_each_channel_and_exits_1_when_one_failed(world, monkeypatch):
    repo = world.repo
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["stats", "collect", "--root", str(repo.root)])
    assert result.exit_code == 0, result.output
    assert "✓ mastodon" in result.output and "12 followers" in result.output
    assert "- outbox" in result.output and "skipped" in result.output
    monkeypatch.setenv("M_TOKEN", "wrong")
    result = CliRunner().invoke(cli, ["stats", "collect", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [c["channel"] for c in report["channels"] if not c["ok"]] == ["mastodon"]


# -- crash safety ---------------------------------------------------------------------------

def test_a_torn_last_line_is_skipped_with_a_warning_and_the_next_append_stays_whole(world):
    repo, clock = world.repo, world.clock
    run(repo, clock)
    path = repo.root / "state/metrics.jsonl"
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"at":"2026-12-02T09:00:00Z","channel":"mast')   # killed mid-write
    clock.now += timedelta(days=1)
    report = run(repo, clock)
    assert any("cannot be read" in warning for warning in report.warnings)
    records = Journal(repo.root, "metrics.jsonl").records()
    assert len([r for r in records if r["kind"] == "account"]) == 4   # both readings, nothing glued
    history = read_history(path)
    assert history.followers["mastodon"][-1][0] == clock.now
    assert any("cannot be read" in warning for warning in history.warnings)


KILLER = textwrap.dedent("""\
    import os, sys
    from pathlib import Path
    from pipeline.state.journal import Journal

    real_write = os.write
    def slow_write(fd, data):
        # write half of the batch, tell the parent, and wait to be killed
        written = real_write(fd, bytes(data[: len(data) // 2]))
        sys.stdout.write("half\\n"); sys.stdout.flush()
        sys.stdin.readline()
        return written
    os.write = slow_write
    records = [{"at": "2026-12-0%dT09:00:00Z" % day, "channel": "mastodon", "kind": "account",
                "followers": 100 + day} for day in range(1, 8)]
    Journal(Path(sys.argv[1]), "metrics.jsonl").append(records)
""")


def test_appends_survive_a_kill_mid_write(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    before = [{"at": "2026-11-30T09:00:00Z", "channel": "mastodon", "kind": "account", "followers": 99}]
    Journal(tmp_path, "metrics.jsonl").append(before)
    child = subprocess.Popen([sys.executable, "-c", KILLER, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout.readline().strip() == "half"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    journal = Journal(tmp_path, "metrics.jsonl")
    records = journal.records()
    assert records[0] == before[0]                     # no earlier line is lost
    assert all(r["kind"] == "account" for r in records)
    assert journal.warnings                            # the torn one is skipped and said
    Journal(tmp_path, "metrics.jsonl").append([{"at": "2026-12-09T09:00:00Z", "channel": "mastodon",
                                                "kind": "account", "followers": 120}])
    again = Journal(tmp_path, "metrics.jsonl").records()
    assert again[-1]["followers"] == 120
    assert read_history(state / "metrics.jsonl").followers["mastodon"][-1][1] == 120
