"""A thread nobody asked for is said, and can be refused.

With `thread: auto` (the default) a text too long for a network is split into a
thread: a 358-character post to Bluesky silently became two posts, half of it in a
reply. Now validation and the pull-request preview say so per channel ("will go out
as 2 posts", a notice that never fails a build), and `thread: off` on a post or
`threads: false` on a channel makes the over-long text an error instead.
"""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.jsonschema import schema_files

NOW = "2026-12-01 08:00"
LONG = ("Our winter stollen is back: butter, almonds, candied peel and a long rest in the cold. "
        * 5)[:358].strip()


def validate(repo, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json", "--now", NOW, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def no_threads_on(repo, channel: str) -> None:
    path = repo.root / "content/channels.yml"
    text = path.read_text()
    start = text.index(f"  {channel}:\n")
    end = text.index("\n", start + len(channel) + 4)
    path.write_text(text[:end + 1] + "    threads: false\n" + text[end + 1:])


def test_an_over_long_text_split_into_a_thread_is_a_notice_per_channel(repo):
    repo.post("stollen", "publish_at: 2026-12-10 10:00\nchannels: [bluesky, mastodon]", body=LONG)
    code, report = validate(repo, "--strict")
    assert code == 0 and report["errors"] == report["warnings"] == []
    [notice] = report["notices"]
    assert notice["code"] == "thread-split" and notice["line"] == 5
    assert notice["message"].startswith("bluesky: will go out as 2 posts, not one")
    assert "358" in notice["message"] and "300" in notice["message"]
    assert "thread: off" in notice["message"] and "overrides" in notice["message"]
    github = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--now", NOW, "--format", "github"])
    assert "::notice file=content/posts/2026/12/stollen.md,line=5,col=1,title=thread-split::bluesky: will go out " \
           "as 2 posts" in github.output
    text = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--now", NOW]).output
    assert "notice[thread-split]: bluesky: will go out as 2 posts" in text


def test_a_thread_the_author_wrote_is_no_news_unless_a_part_is_split_again(repo):
    repo.post("asked", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]", body="One.\n---\nTwo.")
    repo.post("more", "publish_at: 2026-12-12 10:00\nchannels: [bluesky]", body="One.\n---\n" + LONG)
    _, report = validate(repo)
    assert [(f["file"].rsplit("/", 1)[-1], f["code"]) for f in report["notices"]] == [("more.md", "thread-split")]
    assert report["notices"][0]["message"].startswith("bluesky: will go out as 3 posts, not 2")


def test_thread_off_on_the_post_or_for_one_channel_makes_it_an_error(repo):
    repo.post("off", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]\nthread: off", body=LONG)
    repo.post("override", "publish_at: 2026-12-12 10:00\nchannels: [bluesky]\noverrides:\n  bluesky:\n"
                          "    thread: off", body=LONG)
    code, report = validate(repo)
    assert code == 1
    assert sorted((f["file"].rsplit("/", 1)[-1], f["code"]) for f in report["errors"]) == [
        ("off.md", "too-long"), ("override.md", "too-long")]
    assert all("thread: auto" in f["message"] for f in report["errors"])
    assert report["notices"] == []


def test_threads_false_on_a_channel_makes_it_an_error_and_a_written_thread_too(repo):
    no_threads_on(repo, "bluesky")
    repo.post("long", "publish_at: 2026-12-10 10:00\nchannels: [bluesky, mastodon]", body=LONG)
    repo.post("parts", "publish_at: 2026-12-12 10:00\nchannels: [bluesky]", body="One.\n---\nTwo.")
    code, report = validate(repo)
    assert code == 1
    errors = {f["file"].rsplit("/", 1)[-1]: f for f in report["errors"]}
    assert errors["long.md"]["code"] == "too-long" and "threads: false" in errors["long.md"]["message"]
    assert errors["parts.md"]["code"] == "thread-unsupported" and "threads: false" in errors["parts.md"]["message"]
    assert report["notices"] == []
    rendered = CliRunner().invoke(cli, ["render", "long", "--root", str(repo.root), "--channel", "bluesky"])
    assert rendered.exit_code == 1


def test_threads_is_a_channel_setting_in_the_json_schema(repo):
    schema = json.loads(schema_files()["channels.schema.json"])
    for branch in schema["$defs"]["ChannelConfig"]["oneOf"]:  # one per network
        threads = branch["properties"]["threads"]
        assert threads["type"] == "boolean" and threads["default"] is True
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  notes:\n    network: outbox\n"
                                       "    threads: maybe\n")
    code, report = validate(repo)
    assert code == 2 and [f["code"] for f in report["errors"]] == ["wrong-type"]


def test_the_pull_request_preview_says_how_many_posts_it_becomes(repo):
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo.root), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    repo.post("stollen", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]", body=LONG)
    git("add", "-A")
    git("commit", "-qm", "a long post")
    result = CliRunner().invoke(cli, ["preview", "--root", str(repo.root), "--now", NOW, "--changed", "HEAD~1..HEAD"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings, 1 notice in these files" in result.output
    assert "ℹ️ notice `thread-split` line 5: bluesky: will go out as 2 posts" in result.output
