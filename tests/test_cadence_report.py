"""`social cadence` as people and programs read it, events from content and the ledger, similarity."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from pipeline.cadence.events import PUBLISHED, SCHEDULED
from pipeline.cadence.similarity import normalize, similar_earlier
from pipeline.cli import cli
from pipeline.content.load import load_content
from pipeline.planning.evaluation import events_from_content

PROJECT = Path(__file__).resolve().parent.parent
NOW = "2026-11-25 12:00"


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_week_by_week_text_shows_counts_over_the_limit_gaps_and_findings_under_their_week(repo):
    for n, hour in enumerate((8, 10, 12, 14)):
        repo.post(f"busy-{n}", f"publish_at: 2026-12-03 {hour:02d}:30\nchannels: [linkedin]")
    repo.post("later", "publish_at: 2026-12-10 09:00\nchannels: [linkedin]")
    result = run("cadence", "--root", str(repo.root), "--now", NOW, "--channel", "linkedin")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "linkedin: 5 posts from Wed Nov 25 to Thu Dec 10 (Europe/Berlin)"
    assert lines[1] == "  rules: max_per_day 3, min_gap 2h, max_silence 4d (warning), hours 08:00-20:00"
    assert lines[2].split() == ["week", "of", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
                                "posts", "longest", "gap"]
    assert lines[3].split() == ["Mon", "Nov", "23", ".", ".", ".", ".", ".", ".", ".", "0", "-"]
    assert lines[4].split() == ["Mon", "Nov", "30", ".", ".", ".", "4!", ".", ".", ".", "4", "2h"]
    assert lines[5].startswith("    error max_per_day: Thu Dec 3 has 4 posts, max_per_day is 3: "
                               "busy-0 08:30, busy-1 10:30")
    assert lines[6].split() == ["Mon", "Dec", "7", ".", ".", ".", "1", ".", ".", ".", "1",
                                "6d", "18h", "30m"]
    assert lines[7].startswith("    warning max_silence: 6d 18h 30m without a post")
    assert lines[-1] == "1 error, 1 warning from 2026-11-25T12:00:00+01:00 on."


def test_json_has_the_documented_shape(repo):
    repo.post("a", "publish_at: 2026-12-03 09:00\nchannels: [mastodon, outbox]")
    repo.post("b", "publish_at: 2026-12-03 10:00\nchannels: [mastodon]")
    result = run("cadence", "--root", str(repo.root), "--now", NOW, "--format", "json")
    data = json.loads(result.output)
    assert list(data["channels"]) == ["mastodon", "bluesky", "linkedin", "outbox"]
    [found] = data["channels"]["mastodon"]["findings"]
    assert found == {"rule": "min_gap", "level": "error",
                     "message": "b at Thu Dec 3 10:00 is only 1h after a; min_gap is 2h",
                     "posts": ["a", "b"], "start": "2026-12-03T09:00:00+01:00",
                     "end": "2026-12-03T10:00:00+01:00"}
    assert data["channels"]["mastodon"]["days"] == {"2026-12-03": 2}
    assert data["channels"]["outbox"]["rules"]["min_gap"] == {"value": "2h", "level": "error"}
    assert (data["now"], data["timezone"], data["week_start"]) == (
        "2026-11-25T12:00:00+01:00", "Europe/Berlin", "monday")
    assert result.exit_code == 1


def test_unknown_channel_bad_now_and_broken_config_are_usage_errors(repo):
    assert run("cadence", "--root", str(repo.root), "--channel", "mastodn").exit_code == 2
    assert "not a date and time" in run("cadence", "--root", str(repo.root), "--now", "soon").output
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  x:\n    network: outbox\n"
                                       "    cadence: {min_gap: 2 hours}\n")
    result = run("cadence", "--root", str(repo.root))
    assert result.exit_code == 2
    assert "'2 hours' is not a duration; write 2h" in result.output


def test_the_example_content_warns_about_the_bluesky_silence_around_new_year():
    result = run("validate", "--root", str(PROJECT), "--now", NOW, "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert data["errors"] == []
    assert data["warnings"] == [{
        "file": "content/posts/2027/01/rye-week-begins.md", "line": 3, "column": 13,
        "code": "cadence-max-silence",
        "message": "bluesky: 5d 1h without a post between new-years-eve (Thu Dec 31 09:00) and "
                   "rye-week-begins (Tue Jan 5 2027 10:00); max_silence is 4d"}]
    schedule = json.loads(run("schedule", "--root", str(PROJECT), "--now", NOW, "--format",
                              "json").output)
    assert [(p["post"], p["publish_at"]) for p in schedule["placed"]] == [
        ("tip-freezing-bread", "2026-11-26 09:00+01:00"),
        ("tip-keeping-sourdough-fresh", "2026-11-26 15:30+01:00")]


def test_events_count_ready_posts_at_their_time_or_when_the_ledger_says_they_went_out(repo):
    repo.post("ready", "publish_at: 2026-12-01 09:00\nchannels: [mastodon, bluesky]\ntags: [promo]\n"
                       "overrides:\n  bluesky:\n    text: Short\n    tags: [news]", body="Long text")
    repo.post("idea", "publish_at: 2026-12-01 10:00\nchannels: [mastodon]\nstatus: draft")
    repo.post("gone", "publish_at: 2026-12-01 11:00\nchannels: [mastodon]\nstatus: retracted")
    repo.post("waiting", "queue: true\nchannels: [mastodon]")
    content = load_content(repo.root)
    events = events_from_content(content)
    [mastodon] = events["mastodon"]
    [bluesky] = events["bluesky"]
    assert (mastodon.post, mastodon.at, mastodon.source) == (
        "ready", datetime(2026, 12, 1, 8, tzinfo=UTC), SCHEDULED)
    assert (mastodon.text, mastodon.tags) == ("Long text", frozenset({"promo"}))
    assert (bluesky.text, bluesky.tags) == ("Short", frozenset({"news"}))
    out = datetime(2026, 12, 1, 8, 40, tzinfo=UTC)
    events = events_from_content(content, published={("ready", "mastodon"): out})
    assert (events["mastodon"][0].at, events["mastodon"][0].source) == (out, PUBLISHED)
    assert events["bluesky"][0].source == SCHEDULED


def test_published_times_from_the_ledger_count_in_cadence_and_validate(repo):
    repo.post("first", "publish_at: 2026-12-01 09:00\nchannels: [mastodon]")
    repo.post("second", "publish_at: 2026-12-01 12:00\nchannels: [mastodon]")
    state = repo.root / "state"
    state.mkdir()
    lines = [
        {"post": "first", "channel": "mastodon", "part": 1, "state": "pending",
         "at": "2026-12-01T08:00:00Z", "key": "k1"},
        {"post": "first", "channel": "mastodon", "part": 1, "state": "published",
         "at": "2026-12-01T09:30:00Z", "key": "k1", "remote_id": "1"},
        {"post": "first", "channel": "mastodon", "part": 2, "state": "published",
         "at": "2026-12-01T09:31:00Z", "key": "k2", "remote_id": "2"},
    ]
    (state / "ledger.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    # published 10:30 local, an hour and a half before `second`
    result = run("cadence", "--root", str(repo.root), "--now", "2026-12-01 11:00",
                 "--channel", "mastodon", "--format", "json")
    [found] = json.loads(result.output)["channels"]["mastodon"]["findings"]
    assert found["start"] == "2026-12-01T10:30:00+01:00"
    assert "only 1h 30m after first" in found["message"]
    checked = json.loads(run("validate", "--root", str(repo.root), "--now", "2026-12-01 11:00",
                             "--format", "json").output)
    assert [(e["file"], e["code"]) for e in checked["errors"]] == [
        ("content/posts/2026/12/second.md", "cadence-min-gap")]


def test_validate_places_findings_at_publish_at_and_leaves_the_past_alone(repo):
    repo.post("early", "title: Early\npublish_at: 2026-12-03 07:00\nchannels: [bluesky]")
    repo.post("old", "publish_at: 2026-11-01 07:00\nchannels: [bluesky]")
    result = run("validate", "--root", str(repo.root), "--now", NOW, "--format", "json")
    errors = json.loads(result.output)["errors"]
    assert [(e["file"], e["line"], e["column"], e["code"]) for e in errors] == [
        ("content/posts/2026/12/early.md", 3, 13, "cadence-hours")]
    assert errors[0]["message"] == "bluesky: early at Thu Dec 3 07:00 is outside hours 08:00-20:00"


def test_normalize_sets_aside_case_links_punctuation_and_spacing():
    assert normalize("Fresh BREAD!  Get it at https://x.example/a?b=1 —  #bakery\n") == \
        "fresh bread get it at bakery"


def test_similar_texts_only_within_the_window_and_never_empty_ones():
    start = datetime(2026, 12, 1, tzinfo=UTC)
    texts = ["fresh rye bread every morning", "", "", "fresh rye bread every mornings",
             "something else", "fresh rye bread every morning"]
    times = [start + timedelta(days=n * 10) for n in range(len(texts))]
    def found(window: int) -> list[tuple[int, int, int]]:
        return [(later, earlier, round(score)) for later, earlier, score
                in similar_earlier(texts, times, timedelta(days=window))]

    assert found(30) == [(3, 0, 98), (5, 3, 98)]
    assert found(50) == [(3, 0, 98), (5, 0, 100)]  # the identical one beats the nearly same
    assert found(9) == []
