"""A real run publishes at the real time; `--now` elsewhere in time is for dry runs.

A real run with `--now` more than five minutes from the clock is refused before
anything is read or written, and within those five minutes `now` never runs ahead
of the clock: nothing is sent before its time, and nothing is marked missed that is
not really late. A dry run may look at any time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import UsageError
from pipeline.publish.service import publish
from pipeline.state.ledger import FAILED, MISSED, PUBLISHED, UNCERTAIN, Entry, Ledger, read_entries
from tests.fakes.memory import CHANNELS

CLOCK = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


def run(repo, now_text: str | None, clock: datetime = CLOCK, **kwargs):
    return publish(repo.root, now_text=now_text, env={}, sleep=lambda s: None, clock=lambda: clock, **kwargs)


def states(repo) -> dict:
    return {(e.post, e.channel): e.state for e in Ledger(repo.root).latest()}


def local(moment: datetime) -> str:
    """`--now` as people type it: Berlin time, to the minute."""
    return moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("away", [timedelta(minutes=6), -timedelta(minutes=6), timedelta(days=1),
                                  -timedelta(days=400)])
def test_a_real_run_refuses_a_now_far_from_the_clock_and_writes_nothing(repo, memory, away):
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    with pytest.raises(UsageError) as refused:
        run(repo, local(CLOCK + away))
    message = str(refused.value)
    assert "the clock says 2026-12-01 12:00+01:00" in message
    assert "a real run publishes at the real time" in message and "--dry-run" in message
    assert memory.calls == [] and not (repo.root / "state").exists()


@pytest.mark.parametrize("away", [timedelta(minutes=5), -timedelta(minutes=5), timedelta(0)])
def test_a_now_within_five_minutes_of_the_clock_is_accepted(repo, memory, away):
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    assert run(repo, local(CLOCK + away)).ok
    assert states(repo) == {("a", "alpha"): PUBLISHED}


def test_a_dry_run_may_look_at_any_time(repo, memory):
    repo.post("a", "publish_at: 2027-03-01 09:00\nchannels: [alpha]")
    report = run(repo, "2027-03-01 09:30", dry_run=True)
    assert [o.state for o in report.result.outcomes] == ["dry-run"]
    assert not (repo.root / "state").exists()


def test_nothing_is_marked_missed_in_the_clock_s_future(repo, memory):
    # Due 5 h 58 min before the clock: 6 h 2 min late at a --now four minutes ahead, but not late yet.
    repo.post("almost", "publish_at: 2026-12-01 06:02\nchannels: [alpha]")
    # Due two minutes after the clock: not due yet, whatever --now says.
    repo.post("soon", "publish_at: 2026-12-01 12:02\nchannels: [alpha]")
    report = run(repo, local(CLOCK + timedelta(minutes=4)))
    assert states(repo) == {("almost", "alpha"): PUBLISHED}
    assert report.now == CLOCK


def test_a_run_at_the_clock_marks_missed_only_what_is_really_late(repo, memory):
    late = timedelta(hours=6)  # the default max_lateness
    for slug, age in (("just-in-time", late), ("one-minute-late", late + timedelta(minutes=1)),
                      ("fresh", timedelta(minutes=1))):
        due = (CLOCK - age).strftime("%Y-%m-%d %H:%M+00:00")
        repo.post(slug, f"publish_at: {due}\nchannels: [alpha]")
    run(repo, local(CLOCK))
    assert states(repo) == {("just-in-time", "alpha"): PUBLISHED, ("fresh", "alpha"): PUBLISHED,
                            ("one-minute-late", "alpha"): MISSED}
    for entry in read_entries(repo.root / "state/ledger.jsonl").entries:
        if entry.state == MISSED:
            post = next(repo.root.rglob(f"{entry.post}.md")).read_text()
            due = datetime.fromisoformat(post.split("publish_at: ")[1].split("\n")[0])
            assert CLOCK - due > late  # really late by the clock, not by a --now


def test_the_command_refuses_with_a_usage_error(repo, memory):
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [alpha]")
    result = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--now", "2001-01-01 00:00"])
    assert result.exit_code == 2, result.output
    assert "a real run publishes at the real time" in result.output and "Traceback" not in result.output
    assert not (repo.root / "state").exists()
    dry = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--now", "2001-01-01 00:00", "--dry-run"])
    assert dry.exit_code == 0, dry.output


# -- a dry run at another time -----------------------------------------------------

FUTURE = "2026-12-08 09:30"  # next Tuesday morning, a week after the clock


def test_a_dry_run_at_a_later_time_takes_the_runs_before_it_as_done(repo, memory, monkeypatch):
    """What goes out next Tuesday at 09:30? Not the 23 posts due before then: the runs in between sent them."""
    repo.write("content/channels.yml", CHANNELS.replace("  beta:\n    network: memory\n",
                                                        "  beta:\n    network: memory\n    max_lateness: 45m\n"))
    earlier = [f"earlier-{n}" for n in range(23)]
    for n, slug in enumerate(earlier):  # every few hours between the clock and Tuesday morning
        due = CLOCK + timedelta(hours=1 + 7 * n)
        repo.post(slug, f"publish_at: {local(due)}\nchannels: [alpha]")
    repo.post("due-now", "publish_at: 2026-12-01 11:00\nchannels: [alpha]")  # the next real run sends it
    repo.post("really-missed", "publish_at: 2026-11-30 09:00\nchannels: [alpha]")  # missed by the clock already
    repo.post("went-out", "publish_at: 2026-12-03 09:00\nchannels: [alpha]")
    repo.post("waits", "publish_at: 2026-12-04 09:00\nchannels: [alpha]")
    repo.post("failed-once", "publish_at: 2026-12-05 09:00\nchannels: [alpha]")
    repo.post("before-dawn", "publish_at: 2026-12-08 03:00\nchannels: [alpha]")  # 6 h 30 min before: earlier run
    repo.post("tuesday", "publish_at: 2026-12-08 04:00\nchannels: [alpha]")  # within 6 h: this run
    repo.post("both", "publish_at: 2026-12-08 08:30\nchannels: [alpha, beta]")  # beta: 45 min at most
    repo.post("next-week", "publish_at: 2026-12-15 09:00\nchannels: [alpha]")
    ledger = Ledger(repo.root)
    ledger.append(Entry("went-out", "alpha", 1, PUBLISHED, "2026-12-03T08:00:01Z", remote_id="1", url="u"))
    ledger.append(Entry("waits", "alpha", 1, UNCERTAIN, "2026-12-01T08:00:01Z", error="timeout"))
    ledger.append(Entry("failed-once", "alpha", 1, FAILED, "2026-12-01T08:00:01Z", error="refused"))
    before = (repo.root / "state/ledger.jsonl").read_bytes()

    report = run(repo, FUTURE, dry_run=True)
    shown = sorted((o.post, o.channel, o.state) for o in report.result.outcomes)
    # what the ledger says stands: "went-out" is out, and "waits" waits for a person, not taken as sent
    assert shown == [("both", "alpha", "dry-run"), ("really-missed", "alpha", MISSED),
                     ("tuesday", "alpha", "dry-run")]
    assumed = {(a["post"], a["channel"]) for a in report.assumed_sent}
    assert assumed == {*((slug, "alpha") for slug in earlier), ("due-now", "alpha"), ("failed-once", "alpha"),
                       ("before-dawn", "alpha"), ("both", "beta")}
    assert (repo.root / "state/ledger.jsonl").read_bytes() == before and memory.calls == []
    [missed] = [o for o in report.result.outcomes if o.state == MISSED]
    assert missed.error.endswith("late at 2026-12-01T11:00:00Z")  # late by the clock, not by --now

    monkeypatch.setattr("pipeline.publish.service.utc_now", lambda: CLOCK)  # the command's clock
    text = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--dry-run", "--now", FUTURE])
    assert text.exit_code == 0, text.output
    parts = sum(len(a["parts"]) for a in report.assumed_sent)
    assert f"{parts} parts due before then" in text.output and "taken as sent" in text.output
    as_json = json.loads(CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--dry-run", "--now",
                                                  FUTURE, "--format", "json"]).output)
    assert len(as_json["assumed_sent"]) == len(report.assumed_sent)
    assert {"post", "channel", "parts", "publish_at"} <= set(as_json["assumed_sent"][0])


@pytest.mark.parametrize("now", ["2026-12-01 12:00", "2026-11-30 20:00", "2001-01-01 00:00"])
def test_a_dry_run_at_the_clock_or_before_it_takes_nothing_as_sent(repo, memory, now):
    repo.post("old", "publish_at: 2026-11-29 09:00\nchannels: [alpha]")
    repo.post("recent", "publish_at: 2026-11-30 19:00\nchannels: [alpha]")
    report = run(repo, now, dry_run=True)
    assert report.assumed_sent == []
    expected = {"2026-12-01 12:00": [("old", MISSED), ("recent", MISSED)],
                "2026-11-30 20:00": [("old", MISSED), ("recent", "dry-run")],
                "2001-01-01 00:00": []}[now]
    assert sorted((o.post, o.state) for o in report.result.outcomes) == expected


# -- the run id ----------------------------------------------------------------------


def test_every_line_a_run_writes_carries_its_id_and_the_json_output_shows_it(repo, memory):
    due = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M+00:00")
    repo.post("a", f"publish_at: {due}\nchannels: [alpha, beta]", body="One.\n\n---\n\nTwo.")
    first = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"])
    assert first.exit_code == 0, first.output
    run_id = json.loads(first.output)["run"]
    entries = read_entries(repo.root / "state/ledger.jsonl").entries
    assert len(entries) == 8 and {e.run for e in entries} == {run_id}
    assert 6 <= len(run_id) <= 12 and run_id.isalnum()

    path = next(repo.root.rglob("a.md"))
    path.write_text(path.read_text().replace("channels:", "status: retracted\nchannels:"))
    second = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"])
    other = json.loads(second.output)["run"]
    later = read_entries(repo.root / "state/ledger.jsonl").entries[8:]
    assert len(later) == 4 and {e.run for e in later} == {other} and other != run_id
