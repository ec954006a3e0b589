"""The slot queue: `social schedule` and `--write`, as a person runs them."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipeline.cadence.declaration import Rule
from pipeline.cadence.events import Event
from pipeline.cadence.queue import QueueChannel, QueuedPost, fill_queue, slot_times
from pipeline.cadence.values import parse_slot
from pipeline.cli import cli
from pipeline.content.load import load_content
from pipeline.planning.schedule import UNSET, publish_at_text, replace_queue_line, schedule

BERLIN = ZoneInfo("Europe/Berlin")
CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {max_per_day: 2, min_gap: 2h, hours: "08:00-20:00"}
channels:
  mastodon:
    network: mastodon
    instance: https://mastodon.example
    credentials: {token: MASTODON_TOKEN}
    slots: ["mon-fri 09:00", "tue,thu 15:30"]
  linkedin:
    network: linkedin
    author: urn:li:organization:42
    credentials: {token: LINKEDIN_TOKEN}
    slots: ["tue,thu 15:30", "wed 11:00"]
  bluesky:
    network: bluesky
    handle: bakery.bsky.social
    credentials: {password: BLUESKY_APP_PASSWORD}
  outbox:
    network: outbox
    slots: ["sat 10:00"]
"""
NOW = "2026-12-01 10:00"  # a Tuesday


@pytest.fixture
def queue_repo(repo):
    repo.write("content/channels.yml", CHANNELS)
    return repo


def queued(repo, slug: str, channels: str = "mastodon", extra: str = "", body: str | None = None):
    return repo.post(slug, f"queue: true\nchannels: [{channels}]\n{extra}",
                     body=body or f"Queued post {slug}, fresh from the oven.")


def placed(repo, now: str = NOW) -> dict[str, str]:
    result = schedule(repo.root, now_text=now)
    return {p.post: publish_at_text(p.at, BERLIN) for p in result.plan.placed}


def run(repo, *args: str):
    result = CliRunner().invoke(cli, [*args, "--root", str(repo.root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_each_post_takes_the_first_free_slot_from_now_in_file_order(queue_repo):
    queued(queue_repo, "a")
    queued(queue_repo, "b")
    queued(queue_repo, "c")
    # Tuesday 09:00 is past; 15:30 is the next slot, then Wednesday and Thursday 09:00
    assert placed(queue_repo) == {"a": "2026-12-01 15:30", "b": "2026-12-02 09:00",
                                  "c": "2026-12-03 09:00"}


def test_a_slot_that_breaks_a_rule_is_skipped(queue_repo):
    queue_repo.post("fixed", "publish_at: 2026-12-01 14:30\nchannels: [mastodon]")
    queue_repo.post("busy-1", "publish_at: 2026-12-02 12:00\nchannels: [mastodon]")
    queue_repo.post("busy-2", "publish_at: 2026-12-02 16:00\nchannels: [mastodon]")
    queued(queue_repo, "a")
    # 15:30 is an hour after `fixed` (min_gap 2h); Wednesday already has 2 (max_per_day 2)
    assert placed(queue_repo) == {"a": "2026-12-03 09:00"}


def test_a_post_on_several_channels_takes_a_time_that_is_a_slot_of_each(queue_repo):
    queued(queue_repo, "both", "mastodon, linkedin")
    queued(queue_repo, "with-bluesky", "mastodon, bluesky")
    queue_repo.post("bsky", "publish_at: 2026-12-02 10:00\nchannels: [bluesky]")
    # mastodon and linkedin share only tue,thu 15:30; bluesky has no slots but its rules
    # count: Wednesday 09:00 is an hour before its 10:00 post
    assert placed(queue_repo) == {"both": "2026-12-01 15:30", "with-bluesky": "2026-12-03 09:00"}


def test_adding_a_post_never_moves_the_others_in_a_git_repository(queue_repo):
    root = queue_repo.root
    git = ["git", "-C", str(root), "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    queued(queue_repo, "m-first")
    queued(queue_repo, "z-second")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "two queued posts"], check=True)
    before = placed(queue_repo)
    queued(queue_repo, "a-newer")  # sorts first by name, but came last
    after = placed(queue_repo)
    assert {post: after[post] for post in before} == before
    assert after["a-newer"] > max(before.values())
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "a third"], check=True)
    assert placed(queue_repo) == after
    # renaming a file keeps its place in the queue (its id follows the file name)
    subprocess.run([*git, "mv", "content/posts/2026/12/m-first.md", "content/posts/2026/12/zz.md"],
                   check=True)
    subprocess.run([*git, "commit", "-qm", "rename"], check=True)
    renamed = placed(queue_repo)
    assert renamed.pop("zz") == after.pop("m-first")
    assert renamed == after


def test_without_git_the_order_is_the_file_path(queue_repo):
    queued(queue_repo, "b")
    queued(queue_repo, "a")
    assert list(placed(queue_repo)) == ["a", "b"]


def test_posts_that_find_no_slot_are_counted_and_explained(queue_repo):
    queue_repo.write("content/channels.yml", CHANNELS.replace(
        '    slots: ["tue,thu 15:30", "wed 11:00"]',
        '    slots: ["wed 11:00"]').replace(
        "    slots: [\"sat 10:00\"]",
        "    slots: [\"sat 10:00\"]\n    cadence: {blackout: [\"2026-01-01..2028-12-31\"]}"))
    queued(queue_repo, "nowhere", "bluesky")
    queued(queue_repo, "apart", "mastodon, linkedin, bluesky")
    queued(queue_repo, "blocked", "outbox")
    queued(queue_repo, "fine")
    result = run(queue_repo, "schedule", "--now", NOW)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["2026-12-01", "15:30+01:00", "fine"]
    assert "3 queued posts found no slot:" in lines
    text = "\n".join(lines)
    assert "nowhere (content/posts/2026/12/nowhere.md): none of its channels (bluesky) has slots" in text
    assert "apart (content/posts/2026/12/apart.md): its channels mastodon and linkedin have no slot " \
           "time in common" in text
    assert "blocked (content/posts/2026/12/blocked.md): none of the 52 slot times in the next 52 " \
           "weeks keeps the rules; ruled out by blackout on outbox (52)" in text
    data = json.loads(run(queue_repo, "schedule", "--now", NOW, "--format", "json").output)
    assert [u["post"] for u in data["unplaced"]] == ["apart", "blocked", "nowhere"]
    assert data["placed"] == [{"post": "fine", "file": "content/posts/2026/12/fine.md",
                               "publish_at": "2026-12-01 15:30+01:00", "channels": ["mastodon"]}]


def test_validate_reports_a_queued_post_whose_channels_have_no_slots(queue_repo):
    queued(queue_repo, "nowhere", "bluesky")
    result = run(queue_repo, "validate", "--now", NOW, "--format", "json")
    [error] = json.loads(result.output)["errors"]
    assert (error["file"], error["line"], error["code"]) == (
        "content/posts/2026/12/nowhere.md", 2, "queue-no-slots")


def test_slots_skip_a_time_the_clocks_jump_over_and_take_a_repeated_time_once():
    every_sunday = [[parse_slot("sun 02:30")]]
    spring = list(slot_times(every_sunday, BERLIN, datetime(2027, 3, 20, tzinfo=UTC),
                             datetime(2027, 4, 5, tzinfo=UTC)))
    assert [publish_at_text(t, BERLIN) for t in spring] == ["2027-03-21 02:30", "2027-04-04 02:30"]
    autumn = list(slot_times(every_sunday, BERLIN, datetime(2026, 10, 24, tzinfo=UTC),
                             datetime(2026, 10, 26, tzinfo=UTC)))
    assert [publish_at_text(t, BERLIN) for t in autumn] == ["2026-10-25 02:30+02:00"]


def test_the_queue_itself_needs_no_content_only_rules_slots_and_events():
    gap = Rule("min_gap", timedelta(hours=2), "error", ("defaults", "cadence", "min_gap"))
    channel = QueueChannel({"min_gap": gap}, [parse_slot("tue 09:00"), parse_slot("tue 10:00"),
                                              parse_slot("tue 12:00")])
    fixed = Event("fixed", datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # 09:30 in Berlin
    waiting = QueuedPost("tip", "tip.md", ("news",), {"news": Event("tip", UNSET)})
    plan = fill_queue({"news": channel}, {"news": [fixed]}, [waiting],
                      datetime(2026, 12, 1, 7, tzinfo=UTC), BERLIN, week_start=0)
    assert [(p.post, publish_at_text(p.at, BERLIN)) for p in plan.placed] == [("tip", "2026-12-01 12:00")]


def test_write_changes_only_the_queue_line_byte_for_byte(queue_repo):
    files = {
        "comments": b"---\n# a comment\ntitle: Tip   # trailing comment\nqueue: true  # fill me\n"
                    b"channels: [mastodon]\n---\nBody line one.\n\n# not a heading in YAML\n",
        "crlf": b"---\r\ntitle: Windows\r\nqueue: true\r\nchannels: [mastodon]\r\n---\r\nBody.\r\n",
        "spacing": b"---\nchannels:   [ mastodon ]\nqueue   :    True\nstatus: ready\n---\n\n\nBody"
                   b" without a final newline",
        "bom": b"\xef\xbb\xbf---\nqueue: true\nchannels: [mastodon]\n---\nBOM first.\n",
    }
    folder = queue_repo.root / "content" / "posts" / "2026" / "12"
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        (folder / f"{name}.md").write_bytes(raw)
    result = run(queue_repo, "schedule", "--now", NOW, "--write")
    assert result.exit_code == 0, result.output
    assert "Wrote publish_at into 4 files." in result.output
    expected = {
        "bom": b"\xef\xbb\xbf---\npublish_at: 2026-12-01 15:30\nchannels: [mastodon]\n---\nBOM first.\n",
        "comments": files["comments"].replace(b"queue: true  # fill me",
                                              b"publish_at: 2026-12-02 09:00  # fill me"),
        "crlf": files["crlf"].replace(b"queue: true\r\n", b"publish_at: 2026-12-03 09:00\r\n"),
        "spacing": files["spacing"].replace(b"queue   :    True", b"publish_at   :    2026-12-03 15:30"),
    }
    for name, raw in expected.items():
        assert (folder / f"{name}.md").read_bytes() == raw, name
    assert run(queue_repo, "schedule", "--now", NOW).output.strip() == "No queued posts."
    assert run(queue_repo, "validate", "--now", NOW).exit_code == 0


def test_write_puts_the_offset_on_a_time_that_happens_twice(queue_repo):
    queue_repo.write("content/channels.yml", CHANNELS.replace('slots: ["sat 10:00"]',
                                                              'slots: ["sun 02:30"]')
                     .replace('hours: "08:00-20:00"', 'hours: "00:00-24:00"'))
    path = queued(queue_repo, "night", "outbox")
    assert run(queue_repo, "schedule", "--now", "2026-10-24 12:00", "--write").exit_code == 0
    assert "publish_at: 2026-10-25 02:30+02:00\n" in path.read_text()
    post = load_content(queue_repo.root).post("night")
    assert post.publish_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_replace_queue_line_refuses_a_line_that_is_not_the_queue():
    with pytest.raises(ValueError, match="line 2 is not `queue: true`"):
        replace_queue_line(b"---\nchannels: [a]\nqueue: true\n---\n", 2, "2026-12-01 09:00")
