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
from pipeline.state.ledger import PENDING, PUBLISHED, Ledger
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


def test_the_command_says_which_file_and_why_without_a_traceback(repo, memory, monkeypatch):
    due = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M+00:00")
    repo.post("now", f"publish_at: {due}\nchannels: [alpha]")
    full_after(monkeypatch, 0)
    result = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "error: state/ledger.jsonl: cannot write to the ledger (No space left on device)" in result.output
    assert "Traceback" not in result.output and memory.calls == []
