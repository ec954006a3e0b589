"""`social channels check`: the account per channel, expiring tokens, and an instance's real limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import yaml
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.doctor import check_channels, check_lines
from tests.fakes.clock import FakeClock
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon

START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
TOKEN = "check-canary-41f0a9c3"


def channels(repo, **entries) -> None:
    repo.write("content/channels.yml", yaml.safe_dump({"timezone": "Europe/Berlin", "channels": entries}))


def test_an_instance_with_more_characters_gets_the_line_to_put_into_channels_yml(repo):
    clock = FakeClock(START)
    with FakeMastodon(TOKEN, clock=clock) as server:
        server.max_characters = 5000
        channels(repo, social={"network": "mastodon", "instance": server.url,
                               "credentials": {"token": "MASTODON_TOKEN"}})
        now, (check,) = check_channels(repo.root, env={"MASTODON_TOKEN": TOKEN}, clock=clock)
    assert check.suggested == {"max_characters": 5000}
    lines = check_lines(now, [check])
    assert lines[0].startswith("✓ social  posts as @crumbandco@127.0.0.1")
    assert "put this under channels.social in content/channels.yml:" in lines[1]
    assert lines[2] == "      max_characters: 5000"
    assert not check.needs_person(now)  # a suggestion, not a problem


def test_a_token_about_to_expire_needs_a_person_two_weeks_ahead(repo):
    clock = FakeClock(START)
    with FakeLinkedIn(TOKEN, clock=clock) as server:
        for expires, needs in (("2026-12-20", False), ("2026-12-14", True), ("2026-11-30", True)):
            channels(repo, li={"network": "linkedin", "author": "urn:li:organization:42", "api": server.url,
                               "token_expires": expires, "credentials": {"token": "LINKEDIN_TOKEN"}})
            now, (check,) = check_channels(repo.root, env={"LINKEDIN_TOKEN": TOKEN}, clock=clock)
            assert check.needs_person(now) is needs, expires
            line = check_lines(now, [check])[0]
            assert expires in line
            assert ("EXPIRED" in line) is (expires < "2026-12-01")


def test_a_member_token_for_another_author_is_refused_with_the_fix(repo):
    clock = FakeClock(START)
    with FakeLinkedIn(TOKEN, clock=clock, author="urn:li:person:Someone1") as server:
        channels(repo, li={"network": "linkedin", "author": "urn:li:person:Ab3", "api": server.url,
                           "credentials": {"token": "LINKEDIN_TOKEN"}})
        _, (check,) = check_channels(repo.root, env={"LINKEDIN_TOKEN": TOKEN}, clock=clock)
    assert "belongs to urn:li:person:Someone1" in check.problem and "set `author:`" in check.problem


def test_the_command_exits_1_when_a_channel_cannot_post_and_prints_json(repo, monkeypatch):
    monkeypatch.delenv("MASTODON_TOKEN", raising=False)
    channels(repo, social={"network": "mastodon", "instance": "https://mastodon.example",
                           "credentials": {"token": "MASTODON_TOKEN"}}, files={"network": "outbox"})
    result = CliRunner().invoke(cli, ["channels", "check", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 1, result.output
    found = {c["channel"]: c for c in json.loads(result.output)["channels"]}
    assert found["social"]["ok"] is False and "MASTODON_TOKEN is not set" in found["social"]["problem"]
    assert found["files"]["ok"] is True
    one = CliRunner().invoke(cli, ["channels", "check", "files", "--root", str(repo.root)])
    assert one.exit_code == 0 and one.output.startswith("✓ files")
    unknown = CliRunner().invoke(cli, ["channels", "check", "nope", "--root", str(repo.root)])
    assert unknown.exit_code == 2 and "unknown channel" in unknown.output
