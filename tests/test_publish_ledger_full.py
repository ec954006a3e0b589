"""A ledger that cannot be written (a full disk) stops the whole run at once.

Nothing may be sent that cannot be recorded: a part whose `pending` line fails is
not sent; a part sent whose `published` line fails stays `pending` for the next run
to reconcile; the other channels stop too. The run ends with a message naming the
file and the reason, exit 1, no traceback.
"""

from __future__ import annotations

import errno
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.run import LedgerUnwritable
from pipeline.publish.service import publish
from pipeline.state.ledger import PENDING, PUBLISHED, Ledger, read_entries
from tests.fakes.memory import CHANNELS, MemoryNetwork
from tests.netreg import registered

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


class Disk:
    """`os.fsync` for the ledger: works `room` times, then fails as a full disk does (until freed)."""

    def __init__(self, room: int | None) -> None:
        self.room = room
        self.calls = 0
        self.failed = threading.Event()

    def fill(self) -> None:
        self.room = self.calls

    def free(self) -> None:
        self.room = None
        self.failed.clear()

    def fsync(self, fd: int) -> None:
        self.calls += 1
        if self.room is not None and self.calls > self.room:
            self.failed.set()
            raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def memory(repo, monkeypatch):
    MemoryNetwork.reset()
    repo.write("content/channels.yml", CHANNELS)
    for slug, minute in (("bread", 10), ("rolls", 20), ("cake", 30)):
        repo.post(slug, f"publish_at: 2026-12-01 11:{minute}\nchannels: [alpha, beta]", body=f"{slug}.")
    with registered("memory", MemoryNetwork):
        yield MemoryNetwork


def full_after(monkeypatch, room: int | None) -> Disk:
    disk = Disk(room)
    monkeypatch.setattr("pipeline.state.ledger.os.fsync", disk.fsync)
    return disk


def run(repo, **kwargs):
    return publish(repo.root, env={}, sleep=lambda s: None, clock=lambda: NOW, **kwargs)


def test_a_pending_line_that_cannot_be_written_sends_nothing(repo, memory, monkeypatch):
    full_after(monkeypatch, 0)
    with pytest.raises(LedgerUnwritable) as raised:
        run(repo, channel_id="alpha")
    assert memory.calls == []
    message = str(raised.value)
    assert message.startswith("state/ledger.jsonl: cannot write to the ledger (No space left on device)")
    assert "part 1 of bread on alpha was not sent" in message


def test_a_part_sent_but_not_recorded_stays_pending_and_the_next_run_sends_the_rest_once(repo, memory, monkeypatch):
    disk = full_after(monkeypatch, 1)  # bread's pending goes in; its published line does not
    with pytest.raises(LedgerUnwritable) as raised:
        run(repo, channel_id="alpha")
    assert "bread on alpha was sent but its outcome could not be recorded: it stays pending" in str(raised.value)
    assert memory.online("alpha") == [("bread", 1)]  # rolls and cake were not sent
    assert Ledger(repo.root).current("bread", "alpha", 1).state in (PENDING, PUBLISHED)  # as far as the disk got

    disk.free()
    assert run(repo, channel_id="alpha").ok
    assert memory.online("alpha") == [("bread", 1), ("cake", 1), ("rolls", 1)]
    assert [c for c in memory.calls if c[2] == "bread"] == [("publish", "alpha", "bread", 1)]  # once
    assert {e.state for e in Ledger(repo.root).latest()} == {PUBLISHED}


def test_the_other_channels_stop_too(repo, memory, monkeypatch):
    disk = full_after(monkeypatch, None)
    beta_in_flight = threading.Event()

    def publishing(request):
        if request.channel_id == "alpha":
            assert beta_in_flight.wait(10), "beta never started"
            disk.fill()  # alpha's part goes out, then the disk is full: its published line fails
        else:
            beta_in_flight.set()
            assert disk.failed.wait(10), "alpha never hit the full disk"
            disk.free()  # beta's part in flight can still be recorded, but beta starts nothing new

    memory.on_publish = publishing
    with pytest.raises(LedgerUnwritable):
        run(repo)
    assert sorted(c[1:] for c in memory.calls) == [("alpha", "bread", 1), ("beta", "bread", 1)]
    assert Ledger(repo.root).current("bread", "beta", 1).state == PUBLISHED
    assert Ledger(repo.root).current("rolls", "beta", 1) is None


@pytest.mark.parametrize("room", range(12))
def test_wherever_the_disk_fills_up_nothing_is_sent_unrecorded_or_twice(repo, memory, monkeypatch, room):
    """A thread, a single part, a missed post and a retraction; the disk fills after `room` lines."""
    repo.post("bread", "publish_at: 2026-12-01 11:10\nchannels: [alpha]", body="One.\n\n---\n\nTwo.")
    repo.post("stale", "publish_at: 2026-11-30 09:00\nchannels: [alpha]", month="2026/11")
    old = repo.post("old", "publish_at: 2026-12-01 08:00\nchannels: [alpha]", body="Old.")
    run(repo, post_id="old")
    old.write_text(old.read_text().replace("channels:", "status: retracted\nchannels:"))
    ledger_file = repo.root / "state/ledger.jsonl"

    def publishing(request):
        assert not disk.failed.is_set(), "sent after a ledger line could not be written"
        # Written and flushed before the network is called: a pending line for this very part.
        pending = [e for e in read_entries(ledger_file).entries if e.state == PENDING]
        assert pending and pending[-1].slot == (request.post_id, request.channel_id, request.number)

    disk = full_after(monkeypatch, room)
    memory.on_publish = publishing
    try:
        report = run(repo, channel_id="alpha")
        assert report.ok  # room enough for the whole run
    except LedgerUnwritable as error:
        assert str(error).startswith("state/ledger.jsonl: cannot write to the ledger (No space left on device)")
    disk.free()
    assert run(repo, channel_id="alpha").ok
    sent = [call[2:] for call in memory.calls if call[0] == "publish"]
    assert sorted(sent) == sorted({*sent}), "a part went out twice"
    assert memory.online("alpha") == [("bread", 1), ("bread", 2), ("cake", 1), ("rolls", 1)]
    states = {(e.post, e.part): e.state for e in Ledger(repo.root).latest() if e.channel == "alpha"}
    assert states[("stale", 1)] == "missed" and states[("old", 1)] == "deleted"
    assert {states[(p, n)] for p, n in (("bread", 1), ("bread", 2), ("cake", 1), ("rolls", 1))} == {PUBLISHED}


def test_the_command_says_which_file_and_why_without_a_traceback(repo, memory, monkeypatch):
    due = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M+00:00")
    repo.post("now", f"publish_at: {due}\nchannels: [alpha]")
    full_after(monkeypatch, 0)
    result = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "error: state/ledger.jsonl: cannot write to the ledger (No space left on device)" in result.output
    assert "Traceback" not in result.output and memory.calls == []
