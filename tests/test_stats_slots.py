"""`social stats suggest-slots`: refuses with little data, proposes the best hours with enough."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.growth.history import history_of
from pipeline.growth.slots import MIN_POSTS, day_text, suggest, suggest_slots
from pipeline.state.journal import Journal

BERLIN = ZoneInfo("Europe/Berlin")
LAST = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
# Mondays to Fridays, in November 2026 (CET, UTC+1)
WEEK = [datetime(2026, 11, day) for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25)]


def post_lines(channel: str, plan: list[tuple[str, int, int]]) -> list[dict]:
    """Posts per (HH:MM local, engagement, how many), each group from a Monday on, one weekday after
    another: groups of five, ten, ... give every weekday the same mean."""
    lines, n = [], 0
    for clock, engagement, count in plan:
        hour, minute = map(int, clock.split(":"))
        for index in range(count):
            day = WEEK[index % len(WEEK)]
            n += 1
            published = day.replace(hour=hour, minute=minute, tzinfo=BERLIN).astimezone(UTC)
            lines.append({"at": LAST.isoformat(), "channel": channel, "kind": "post", "post": f"p{n}", "part": 1,
                          "published": published.isoformat(), "likes": engagement, "reposts": 0, "replies": 0})
    lines.append({"at": LAST.isoformat(), "channel": channel, "kind": "account", "followers": 100})
    return lines


ENOUGH = [("09:00", 10, 10), ("15:30", 4, 5), ("18:00", 7, 5)]


def channel_of(repo, channel_id="mastodon"):
    from pipeline.content.workspace import Workspace

    return Workspace(repo.root).require_config().channels[channel_id]


def test_too_few_settled_posts_are_refused_with_the_number_and_the_threshold(repo):
    lines = post_lines("mastodon", [("09:00", 10, MIN_POSTS - 1)])
    found = suggest(history_of(lines), channel_of(repo), BERLIN)
    assert found.refused and f"{MIN_POSTS - 1} post(s)" in found.refused and f"at least {MIN_POSTS}" in found.refused
    assert found.slots == []


def test_posts_younger_than_two_days_do_not_count(repo):
    lines = post_lines("mastodon", [("09:00", 10, MIN_POSTS)])
    lines[0]["published"] = (LAST - timedelta(hours=30)).isoformat()   # still gathering engagement
    found = suggest(history_of(lines), channel_of(repo), BERLIN)
    assert found.refused and f"{MIN_POSTS - 1} post(s)" in found.refused


def test_no_metrics_at_all_is_refused(repo):
    assert "no metrics yet" in suggest(history_of([]), channel_of(repo), BERLIN).refused


def test_the_best_hours_with_three_posts_or_more_become_slots(repo):
    found = suggest(history_of(post_lines("mastodon", ENOUGH)), channel_of(repo), BERLIN)
    assert found.refused is None
    assert found.posts == 20
    assert found.chosen_hours == [(9, 0), (18, 0)]
    assert found.slots == ["mon-fri 09:00", "mon-fri 18:00"]
    # 12:00 earns most per post, but from two posts only
    found = suggest(history_of(post_lines("mastodon", [("12:00", 30, 2), *ENOUGH])), channel_of(repo), BERLIN)
    assert found.chosen_hours == [(9, 0), (18, 0)]


def test_the_days_are_the_weekdays_at_or_above_the_channels_mean(repo):
    lines = post_lines("mastodon", ENOUGH)
    for line in lines:
        if line.get("published") and datetime.fromisoformat(line["published"]).weekday() in (1, 3):
            line["likes"] += 20   # Tuesdays and Thursdays do much better
    found = suggest(history_of(lines), channel_of(repo), BERLIN)
    assert found.slots == ["tue,thu 09:00", "tue,thu 18:00"]


def test_the_slot_keeps_the_minute_most_posts_of_that_hour_went_out_at(repo):
    found = suggest(history_of(post_lines("mastodon", [("15:30", 9, 5), ("15:00", 9, 3), ("09:00", 1, 15)])),
                    channel_of(repo), BERLIN)
    assert found.chosen_hours[-1] == (15, 30)


def test_the_channels_hours_rule_rules_an_hour_out(repo):
    # the conftest channels allow 08:00-20:00 only
    found = suggest(history_of(post_lines("mastodon", [("21:00", 50, 5), *ENOUGH])), channel_of(repo), BERLIN)
    assert all(not slot.endswith("21:00") for slot in found.slots)


def test_days_are_written_as_slots_write_them():
    assert day_text([0, 1, 2, 3, 4]) == "mon-fri"
    assert day_text([1, 3]) == "tue,thu"
    assert day_text([0, 1, 3, 4, 5]) == "mon,tue,thu-sat"


def test_the_command_prints_the_change_to_channels_yml_and_json(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text().replace(
        "    credentials: {token: MASTODON_TOKEN}\n",
        "    credentials: {token: MASTODON_TOKEN}\n    slots: [\"mon-fri 10:00\", \"tue 16:00\"]  # the queue\n"))
    Journal(repo.root, "metrics.jsonl").append(post_lines("mastodon", ENOUGH))
    result = CliRunner().invoke(cli, ["stats", "suggest-slots", "--root", str(repo.root), "mastodon"])
    assert result.exit_code == 0, result.output
    assert "20 posts" in result.output
    assert '-    slots: ["mon-fri 10:00", "tue 16:00"]  # the queue' in result.output
    assert '+    slots: ["mon-fri 09:00", "mon-fri 18:00"]  # the queue' in result.output
    assert "content/channels.yml, line 9:" in result.output
    result = CliRunner().invoke(cli, ["stats", "suggest-slots", "--root", str(repo.root), "--format", "json"])
    report = json.loads(result.output)
    by_channel = {c["channel"]: c for c in report["channels"]}
    assert by_channel["mastodon"]["slots"] == ["mon-fri 09:00", "mon-fri 18:00"]
    assert by_channel["bluesky"]["ok"] is False                 # reads metrics, but has none yet
    assert "linkedin" not in by_channel and "outbox" not in by_channel   # no metrics on those networks
    assert result.exit_code == 1


def test_a_channel_without_slots_gets_a_line_added_at_the_end_of_its_block(repo):
    Journal(repo.root, "metrics.jsonl").append(post_lines("bluesky", ENOUGH))
    _, (found,), _ = suggest_slots(repo.root, "bluesky")
    lines = (repo.root / "content/channels.yml").read_text().splitlines()
    assert lines[found.change.line - 1].strip().startswith("credentials:")     # bluesky's last line
    assert found.change.new == ['    slots: ["mon-fri 09:00", "mon-fri 18:00"]']


def test_slots_already_as_suggested_need_no_change(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text().replace(
        "    credentials: {token: MASTODON_TOKEN}\n",
        "    credentials: {token: MASTODON_TOKEN}\n    slots:\n      - mon-fri 18:00\n      - mon-fri 09:00\n"))
    Journal(repo.root, "metrics.jsonl").append(post_lines("mastodon", ENOUGH))
    _, (found,), _ = suggest_slots(repo.root, "mastodon")
    assert found.refused is None and found.change is None


def test_another_history_can_be_read_and_says_where_it_comes_from(repo, tmp_path):
    """--metrics reads a sample (the demo's) or a copy instead of state/metrics.jsonl, and says so."""
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(json.dumps(line) + "\n" for line in post_lines("mastodon", ENOUGH)), encoding="utf-8")
    args = ["stats", "suggest-slots", "--root", str(repo.root), "--metrics", str(sample), "mastodon"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"From {sample}:") and "mon-fri 09:00" in result.output
    report = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)
    assert report["source"] == str(sample) and report["channels"][0]["slots"] == ["mon-fri 09:00", "mon-fri 18:00"]
    assert not (repo.root / "state" / "metrics.jsonl").exists()
    result = CliRunner().invoke(cli, ["stats", "suggest-slots", "--root", str(repo.root),
                                      "--metrics", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "missing.jsonl" in result.output and "Traceback" not in result.output


def test_the_shipped_sample_gives_the_example_channels_a_suggestion():
    """What the demo shows: the sample history is rich enough for both channels it covers."""
    from sitebuild import REPO

    _, found, warnings = suggest_slots(REPO, None, metrics=REPO / "docs" / "sample-data" / "metrics.jsonl")
    by_channel = {s.channel: s for s in found}
    assert not warnings
    for channel in ("mastodon", "bluesky"):
        assert by_channel[channel].refused is None and by_channel[channel].slots, by_channel[channel].refused
        assert by_channel[channel].posts >= MIN_POSTS
