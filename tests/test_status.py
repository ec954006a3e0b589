"""`social status`: the whole picture of publishing, and exit 1 when anything needs a person.

The ledger says what happened to each part; the posts say what should have happened by now
and what comes next. Every case here is one a team ran into: failures the ledger did not
show, posts due that no run sent, and a status that said all was well when it was not.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.service import publish
from pipeline.state.ledger import Entry, Ledger
from pipeline.times import parse_now, utc_iso

BERLIN = ZoneInfo("Europe/Berlin")
NOW = "2026-12-01 12:00"

MASTODON_CHANNELS = """\
timezone: Europe/Berlin
channels:
  notes:
    network: outbox
  bakery:
    network: mastodon
    instance: https://bakery.example
    credentials: {token: MASTODON_TOKEN}
  cafe:
    network: mastodon
    instance: https://cafe.example
    credentials: {token: MASTODON_TOKEN}
  school:
    network: mastodon
    instance: https://school.example
    credentials: {token: MASTODON_TOKEN}
"""


def at(text: str) -> datetime:
    return parse_now(text, BERLIN)


def clock(text: str):
    moment = at(text)
    return lambda: moment


def run(repo, now: str = NOW, env: dict | None = None):
    return publish(repo.root, now_text=now, env=env or {}, sleep=lambda s: None, clock=clock(now))


def status(repo, *args: str, now: str = NOW):
    return CliRunner().invoke(cli, ["status", "--root", str(repo.root), "--now", now, *args])


def status_json(repo, *args: str, now: str = NOW) -> dict:
    result = status(repo, "--format", "json", *args, now=now)
    assert "Traceback" not in result.output
    return json.loads(result.output)


def line(post: str, state: str, when: str, *, channel: str = "alpha", part: int = 1, **more) -> Entry:
    return Entry(post, channel, part, state, utc_iso(at(when)), **more)


# -- the case from the issue ----------------------------------------------------------------------


def test_channels_that_failed_for_a_missing_token_are_shown_with_the_reason_and_exit_1(repo):
    repo.write("content/channels.yml", MASTODON_CHANNELS)
    repo.post("launch", "publish_at: 2026-12-01 11:30\nchannels: [notes, bakery, cafe, school]")
    run(repo)
    result = status(repo)
    assert result.exit_code == 1, result.output
    text = result.output
    assert "published (1)" in text and "failed (3)" in text
    assert text.count("environment variable MASTODON_TOKEN is not set") == 3
    assert text.index("failed (3)") < text.index("published (1)")
    assert text.rstrip().endswith("Needs a person: 3 failed.")
    data = status_json(repo)
    assert data["ok"] is False and data["needs_person"] == {"failed": 3}
    failed = sorted((e["channel"], e["state"], e["needs_person"]) for e in data["entries"] if e["state"] == "failed")
    assert failed == [("bakery", "failed", True), ("cafe", "failed", True), ("school", "failed", True)]
    assert all("MASTODON_TOKEN" in e["error"] for e in data["entries"] if e["state"] == "failed")


# -- due, and no run has sent it ------------------------------------------------------------------


def test_a_post_due_that_no_run_sent_needs_a_person_after_the_grace_period(repo, memory):
    repo.post("fresh", "publish_at: 2026-12-01 11:40\nchannels: [alpha]")
    result = status(repo)
    assert result.exit_code == 0, result.output  # due 20 minutes ago: the next run sends it
    assert "due, not sent (1)" in result.output and "fresh part 1" in result.output
    assert "Nothing needs a person." in result.output

    repo.post("stuck", "publish_at: 2026-12-01 10:30\nchannels: [alpha, beta]", body="One.\n\n---\n\nTwo.")
    result = status(repo)
    assert result.exit_code == 1, result.output
    assert "due, not sent (5)" in result.output and "Needs a person: 4 due and not sent." in result.output
    data = status_json(repo)
    due = {(d["post"], d["channel"], d["part"]): d for d in data["due"]}
    assert set(due) == {("fresh", "alpha", 1), ("stuck", "alpha", 1), ("stuck", "alpha", 2),
                        ("stuck", "beta", 1), ("stuck", "beta", 2)}
    assert due[("fresh", "alpha", 1)]["needs_person"] is False
    assert due[("stuck", "beta", 2)]["needs_person"] is True
    assert due[("stuck", "beta", 2)]["publish_at"] == "2026-12-01 10:30+01:00"
    assert "publish workflow" in due[("stuck", "beta", 2)]["reason"]
    assert status(repo, "--grace", "2h").exit_code == 0  # a team whose runs come less often


def test_a_post_too_late_or_that_cannot_be_published_needs_a_person(repo, memory):
    repo.post("stale", "publish_at: 2026-11-30 09:00\nchannels: [alpha]")
    repo.post("broken", "publish_at: 2026-12-01 11:55\nchannels: [alpha]\nmedia:\n  - path: media/no.jpg\n"
                        "    alt: nothing")
    result = status(repo)
    assert result.exit_code == 1, result.output
    data = status_json(repo)
    reasons = {d["post"]: (d["part"], d["reason"], d["needs_person"]) for d in data["due"]}
    assert reasons["stale"][0] == 1 and "records it as missed" in reasons["stale"][1] and reasons["stale"][2]
    assert reasons["broken"][0] == 0 and "social validate" in reasons["broken"][1] and reasons["broken"][2]
    assert "broken part all" in result.output


def test_nothing_due_and_everything_out_exits_0_and_says_so(repo, memory):
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    assert run(repo).ok
    result = status(repo)
    assert result.exit_code == 0, result.output
    assert "published (1)" in result.output and result.output.rstrip().endswith("Nothing needs a person.")
    assert status_json(repo)["ok"] is True


# -- what the ledger says ---------------------------------------------------------------------------


def test_uncertain_unreadable_and_posted_twice_need_a_person(repo, memory):
    repo.post("u", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    Ledger(repo.root).append(line("u", "uncertain", "2026-12-01 09:00", error="timeout"))
    assert status(repo).exit_code == 1
    assert status_json(repo)["needs_person"] == {"uncertain": 1}

    path = repo.root / "state/ledger.jsonl"
    path.write_text(json.dumps({"post": "u", "channel": "alpha", "part": 1, "state": "Published",
                                "at": "2026-12-01T08:00:00Z"}) + "\n")
    assert status_json(repo)["needs_person"] == {"unreadable": 1}

    path.write_text("".join(line("u", "published", "2026-12-01 09:00", remote_id=r, url=f"https://m/{r}",
                                 run=r).as_json() + "\n" for r in ("r1", "r2")))
    result = status(repo)
    assert result.exit_code == 1 and "posted twice (1)" in result.output
    assert status_json(repo)["needs_person"] == {"duplicate": 1}


def test_a_pending_part_needs_a_person_only_when_no_run_settled_it_in_time(repo, memory):
    repo.post("p", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    Ledger(repo.root).append(line("p", "pending", "2026-12-01 11:50", key="k"))
    assert status(repo).exit_code == 0  # a run is sending it, or the next one asks the network
    assert status(repo, now="2026-12-01 13:30").exit_code == 1


def test_a_failure_whose_post_is_no_longer_scheduled_needs_nobody(repo, memory):
    path = repo.post("gone", "publish_at: 2026-12-01 09:00\nchannels: [alpha, beta]")
    ledger = Ledger(repo.root)
    ledger.append(line("gone", "failed", "2026-12-01 09:00", error="refused (422)"))
    ledger.append(line("gone", "failed", "2026-12-01 09:00", channel="beta", error="refused (422)"))
    path.write_text(path.read_text().replace("[alpha, beta]", "[alpha]"))
    assert status_json(repo)["needs_person"] == {"failed": 1}  # beta is no longer asked for
    path.unlink()
    result = status(repo)
    assert result.exit_code == 0, result.output
    assert "failed (2)" in result.output and "no longer scheduled" in result.output


def test_a_missed_part_needs_a_person_for_a_week_unless_its_post_has_a_new_time(repo, memory):
    path = repo.post("late", "publish_at: 2026-11-30 09:00\nchannels: [alpha]")
    run(repo)  # records it missed
    result = status(repo)
    assert result.exit_code == 1 and "missed (1)" in result.output
    assert status_json(repo)["needs_person"] == {"missed": 1}
    assert status(repo, now="2026-12-08 11:00").exit_code == 1
    assert status(repo, now="2026-12-08 13:00").exit_code == 0  # more than 7 days ago: history
    path.write_text(path.read_text().replace("2026-11-30 09:00", "2026-12-03 09:00"))
    result = status(repo)
    assert result.exit_code == 0, result.output
    assert "given a new time: 2026-12-03 09:00+01:00" in result.output
    path.write_text(path.read_text().replace("2026-12-03 09:00", "2026-12-01 12:30"))  # its new time has come
    data = status_json(repo, now="2026-12-01 13:00")
    assert [(d["post"], d["part"], d["needs_person"]) for d in data["due"]] == [("late", 1, False)]
    assert data["ok"] is True


def test_retractions_under_way_and_failed_are_shown(repo, memory):
    path = repo.post("r", "publish_at: 2026-12-01 09:00\nchannels: [alpha]", body="One.\n\n---\n\nTwo.")
    run(repo)
    path.write_text(path.read_text().replace("channels:", "status: retracted\nchannels:"))
    result = status(repo)
    assert result.exit_code == 0, result.output
    assert "to retract (2)" in result.output and "the next run deletes it" in result.output
    data = status_json(repo)
    assert {e["part"]: e["retraction"]["state"] for e in data["entries"]} == {1: "waiting", 2: "waiting"}
    memory.refuse_delete = {("r", 2)}
    run(repo, now="2026-12-01 12:05")
    result = status(repo)
    assert result.exit_code == 1 and "retraction failed (1)" in result.output
    assert status_json(repo)["needs_person"] == {"retraction-failed": 1}


# -- what comes next --------------------------------------------------------------------------------


def test_the_next_posts_are_listed_with_their_offsets(repo, memory):
    repo.post("winter", "publish_at: 2026-12-24 09:00\nchannels: [alpha, beta]\ntitle: Christmas Eve")
    repo.post("summer", "publish_at: 2027-07-01 09:00\nchannels: [beta]")
    repo.post("sooner", "publish_at: 2026-12-02 08:00\nchannels: [alpha]")
    repo.post("idea", "status: draft\npublish_at: 2026-12-03 08:00\nchannels: [alpha]")
    repo.post("queued", "queue: true\nchannels: [alpha]")
    result = status(repo, "--next", "2")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "next (2 of 3)" in text
    assert "2026-12-02 08:00+01:00" in text and "2026-12-24 09:00+01:00  winter  alpha, beta  Christmas Eve" in text
    assert text.index("sooner") < text.index("winter") and "summer" not in text and "idea" not in text
    data = status_json(repo)
    assert [(n["post"], n["publish_at"], n["channels"]) for n in data["next"]] == [
        ("sooner", "2026-12-02 08:00+01:00", ["alpha"]), ("winter", "2026-12-24 09:00+01:00", ["alpha", "beta"]),
        ("summer", "2027-07-01 09:00+02:00", ["beta"])]


# -- compatibility and edges ------------------------------------------------------------------------


def test_the_json_keeps_its_keys_and_adds_the_rest(repo, memory):
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    run(repo)
    data = status_json(repo)
    assert {"entries", "conflicts", "now", "ok", "needs_person", "counts", "due", "next", "warnings"} <= set(data)
    [entry] = data["entries"]
    assert {"post", "channel", "part", "state", "at", "url", "retraction", "group", "needs_person"} <= set(entry)
    assert data["now"] == "2026-12-01 12:00+01:00" and data["counts"] == {"published": 1}


def test_without_channels_yml_the_ledger_alone_is_shown(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append(Entry("a", "alpha", 1, "published", "2026-12-01T08:00:00Z", url="https://x/1"))
    result = CliRunner().invoke(cli, ["status", "--root", str(tmp_path), "--now", "2026-12-01 12:00"])
    assert result.exit_code == 0, result.output
    assert "published (1)" in result.output and "channels.yml" in result.output
    assert "Traceback" not in result.output


def test_ledger_times_are_shown_with_their_offset(repo, memory):
    Ledger(repo.root).append(line("a", "published", "2026-12-01 09:00", url="https://x/1"))
    assert "2026-12-01 09:00+01:00" in status(repo).output


@pytest.mark.parametrize("option", [("--grace", "soon"), ("--next", "-1"), ("--now", "yesterday")])
def test_bad_options_are_usage_errors(repo, memory, option):
    result = CliRunner().invoke(cli, ["status", "--root", str(repo.root), *option])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_help_says_when_it_exits_1():
    text = CliRunner().invoke(cli, ["status", "--help"]).output
    assert "Exit 1" in text and "needs a person" in text
