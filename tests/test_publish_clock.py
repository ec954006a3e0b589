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
from pipeline.state.ledger import MISSED, PUBLISHED, Ledger, read_entries
from tests.fakes.memory import CHANNELS, MemoryNetwork
from tests.netreg import registered

CLOCK = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


@pytest.fixture
def memory(repo):
    MemoryNetwork.reset()
    repo.write("content/channels.yml", CHANNELS)
    with registered("memory", MemoryNetwork):
        yield MemoryNetwork


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
