"""Stopping a run: SIGTERM or SIGINT finish the parts in flight, start nothing new, report, exit 1.

A cancelled GitHub Actions job signals the publisher. The parts in flight are
recorded (no `pending` is left by the signal), the parts not started are reported
as such and written nowhere, so the next run sends them, once. The real-process
tests hold the receiver's answer until the signal has arrived.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.result import NOT_STARTED, RunResult
from pipeline.publish.service import PublishReport, publish
from pipeline.publish.stopping import SIGNALS, stop_on_signals
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, Ledger, read_entries
from tests.fakes.memory import CHANNELS as MEMORY_CHANNELS
from tests.fakes.memory import MemoryNetwork
from tests.fakes.webhook import FakeWebhook
from tests.netreg import registered
from tests.workflow_runner import load_workflow

SECRET = "canary-secret-signals-4b7d"
CHANNELS = """\
timezone: Europe/Berlin
channels:
  left:
    network: webhook
    credentials: {url: HOOK_URL, secret: HOOK_SECRET}
  right:
    network: webhook
    credentials: {url: HOOK_URL, secret: HOOK_SECRET}
"""
POSTS = (("bread", 30), ("rolls", 20), ("cake", 10))  # minutes ago, by the real clock
NOTICE = "stopping after the parts in flight"


@pytest.fixture
def site(repo):
    repo.write("content/channels.yml", CHANNELS)
    for slug, minutes in POSTS:
        due = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M+00:00")
        repo.post(slug, f"publish_at: {due}\nchannels: [left, right]", body=f"Fresh {slug}.")
    return repo


def start(site, receiver, summary: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "HOOK_URL": receiver.hook_url, "HOOK_SECRET": SECRET, "NO_COLOR": "1",
           "GITHUB_STEP_SUMMARY": str(summary)}
    command = [sys.executable, "-m", "pipeline", "publish", "--root", str(site.root), "--format", "json", *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def in_flight(site, receiver, summary):
    """A publisher holding one part in flight on each channel, the receiver's answers held back."""
    receiver.hold_next_answer()
    receiver.hold_next_answer()
    publisher = start(site, receiver, summary)
    wait_for(lambda: len(receiver.stored) == 2, "a part in flight on each channel")
    return publisher


def signalled(publisher, signum) -> str:
    """Send the signal; return the publisher's first line on stderr, which says it is stopping."""
    publisher.send_signal(signum)
    return publisher.stderr.readline()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_parts_in_flight_and_the_next_run_sends_the_rest_once(site, tmp_path, signum):
    summary = tmp_path / "summary.md"
    with FakeWebhook(SECRET) as receiver:
        publisher = in_flight(site, receiver, summary)
        assert NOTICE in signalled(publisher, signum)
        receiver._release.set()  # the parts in flight are answered only now
        out, err = publisher.communicate(timeout=60)

        assert publisher.returncode == 1, out + err
        assert "Traceback" not in err
        report = json.loads(out)
        assert report["stopped"] is True and report["ok"] is False and report["run"]
        states = {(o["channel"], o["post"]): o["state"] for o in report["outcomes"]}
        assert states == {(c, p): PUBLISHED if p == "bread" else NOT_STARTED
                          for c in ("left", "right") for p in ("bread", "rolls", "cake")}
        not_started = [o for o in report["outcomes"] if o["state"] == NOT_STARTED]
        assert all("the next run sends it" in o["error"] for o in not_started)
        assert "not-started" in summary.read_text()

        lines = read_entries(site.root / "state/ledger.jsonl").entries
        assert {(e.channel, e.post) for e in lines} == {("left", "bread"), ("right", "bread")}
        assert all(e.state == PUBLISHED for e in Ledger(site.root).latest())  # no pending left
        assert {e.run for e in lines} == {report["run"]}

        again = start(site, receiver, summary)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, out + err
        assert sorted((e["channel"], e["post"]) for e in receiver.stored) == sorted(
            (c, p) for c in ("left", "right") for p in ("bread", "rolls", "cake"))
        assert receiver.duplicates == 0
        assert {(e.channel, e.post): e.state for e in Ledger(site.root).latest()} == {
            (c, p): PUBLISHED for c in ("left", "right") for p in ("bread", "rolls", "cake")}


def test_one_channel_in_the_main_thread_stops_the_same_way(site, tmp_path):
    with FakeWebhook(SECRET) as receiver:
        receiver.hold_next_answer()
        publisher = start(site, receiver, tmp_path / "summary.md", "--channel", "left")
        wait_for(lambda: len(receiver.stored) == 1, "a part in flight")
        assert NOTICE in signalled(publisher, signal.SIGTERM)
        receiver._release.set()
        out, err = publisher.communicate(timeout=60)
        assert publisher.returncode == 1, out + err
        assert [(o["post"], o["state"]) for o in json.loads(out)["outcomes"]] == [
            ("bread", PUBLISHED), ("rolls", NOT_STARTED), ("cake", NOT_STARTED)]
        assert [e.state for e in read_entries(site.root / "state/ledger.jsonl").entries] == [PENDING, PUBLISHED]


def test_a_second_signal_ends_the_run_at_once_and_the_next_run_settles_what_it_left(site, tmp_path):
    summary = tmp_path / "summary.md"
    with FakeWebhook(SECRET) as receiver:
        publisher = in_flight(site, receiver, summary)
        assert NOTICE in signalled(publisher, signal.SIGINT)
        publisher.send_signal(signal.SIGTERM)  # Actions follows SIGINT with SIGTERM 7.5 s later
        publisher.communicate(timeout=60)
        assert publisher.returncode == -signal.SIGTERM
        assert {e.state for e in Ledger(site.root).latest()} == {PENDING}  # as after a kill

        receiver._release.set()
        again = start(site, receiver, summary)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, out + err
        assert len(receiver.stored) == 6 and receiver.duplicates == 2  # the two in flight, recognised


# -- in one process: the runner's stop flag -------------------------------------------------


@pytest.fixture
def memory(repo):
    MemoryNetwork.reset()
    repo.write("content/channels.yml", MEMORY_CHANNELS)
    for slug, minute in (("bread", 10), ("rolls", 20), ("cake", 30)):
        repo.post(slug, f"publish_at: 2026-12-01 11:{minute}\nchannels: [alpha, beta]", body="One.\n\n---\n\nTwo.")
    with registered("memory", MemoryNetwork):
        yield MemoryNetwork


NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


def run(repo, **kwargs):
    return publish(repo.root, env={}, sleep=lambda s: None, clock=lambda: NOW, **kwargs)


def test_a_stop_while_parts_are_in_flight_on_every_channel(repo, memory):
    stop = threading.Event()
    beta_in_flight = threading.Event()

    def publishing(request):
        if (request.post_id, request.number) != ("bread", 1):
            return
        if request.channel_id == "alpha":
            assert beta_in_flight.wait(10)
            stop.set()
        else:
            beta_in_flight.set()
            assert stop.wait(10)

    memory.on_publish = publishing
    report = run(repo, stop=stop)
    assert report.stopped and not report.ok
    assert memory.online() == [("bread", 1), ("bread", 1)]
    outcomes = {(o.channel, o.post, o.part): o.state for o in report.result.outcomes}
    assert outcomes == {(c, p, n): PUBLISHED if (p, n) == ("bread", 1) else NOT_STARTED
                        for c in ("alpha", "beta") for p in ("bread", "rolls", "cake") for n in (1, 2)}
    assert {(e.channel, e.post, e.part) for e in Ledger(repo.root).latest()} == {
        ("alpha", "bread", 1), ("beta", "bread", 1)}

    memory.on_publish = None
    assert run(repo).ok
    assert len(memory.store) == 12 and len(memory.calls) == 12  # the rest, once each
    for channel in ("alpha", "beta"):  # the thread goes on from the part that went out before the stop
        first, second = (Ledger(repo.root).current("bread", channel, n) for n in (1, 2))
        assert memory.store[second.key]["parent"] == first.remote_id


def test_a_stop_during_a_retraction_deletes_nothing_more(repo, memory, monkeypatch):
    assert run(repo).ok
    path = next(repo.root.rglob("bread.md"))
    path.write_text(path.read_text().replace("channels:", "status: retracted\nchannels:"))
    stop = threading.Event()
    original = MemoryNetwork.delete

    def deleting(self, part):
        original(self, part)
        stop.set()

    monkeypatch.setattr(MemoryNetwork, "delete", deleting)
    report = run(repo, stop=stop, channel_id="alpha")
    monkeypatch.setattr(MemoryNetwork, "delete", original)
    assert [(o.part, o.state) for o in report.result.outcomes] == [(2, "deleted"), (1, NOT_STARTED)]
    assert "the next run deletes it" in report.result.outcomes[1].error
    assert memory.online("alpha") == [("bread", 1), ("cake", 1), ("cake", 2), ("rolls", 1), ("rolls", 2)]
    assert run(repo, channel_id="alpha").ok and ("bread", 1) not in memory.online("alpha")


def test_a_stop_before_the_run_starts_sends_nothing_and_writes_nothing(repo, memory):
    stop = threading.Event()
    stop.set()
    report = run(repo, stop=stop)
    assert report.stopped and {o.state for o in report.result.outcomes} == {NOT_STARTED}
    assert len(report.result.outcomes) == 12
    assert memory.calls == [] and not (repo.root / "state/ledger.jsonl").exists()


def test_a_stop_cuts_a_wait_between_retries_short_and_the_part_goes_out_next_run(repo):
    import socket

    with socket.socket() as probe:  # a port nobody listens on: refused, retried after a wait
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo.write("content/channels.yml", CHANNELS)
    repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [left]")
    repo.post("rolls", "publish_at: 2026-12-01 11:40\nchannels: [left]")
    stop = threading.Event()
    env = {"HOOK_URL": f"http://127.0.0.1:{port}/hooks/closed-0123456789", "HOOK_SECRET": SECRET}
    report = publish(repo.root, env=env, clock=lambda: NOW, stop=stop, sleep=lambda seconds: stop.set())
    [bread, rolls] = report.result.outcomes
    assert (bread.state, rolls.state) == (FAILED, NOT_STARTED)
    assert "the run was stopped while waiting to try again" in bread.error
    assert [e.state for e in read_entries(repo.root / "state/ledger.jsonl").entries] == [PENDING, FAILED]


# -- the handlers -------------------------------------------------------------------------


def test_the_command_installs_its_handlers_only_while_it_runs(repo, monkeypatch):
    before = {number: signal.getsignal(number) for number in SIGNALS}
    during = {}

    def fake_publish(root, **kwargs):
        during.update({number: signal.getsignal(number) for number in SIGNALS})
        return PublishReport(now=NOW, zone=UTC, dry_run=False, result=RunResult(), run="r1")

    monkeypatch.setattr("pipeline.publish.service.publish", fake_publish)
    result = CliRunner().invoke(cli, ["publish", "--root", str(repo.root)])
    assert result.exit_code == 0, result.output
    assert all(during[number] not in (before[number], signal.SIG_DFL) for number in SIGNALS)
    assert {number: signal.getsignal(number) for number in SIGNALS} == before


def test_outside_the_main_thread_no_handler_is_installed():
    before = {number: signal.getsignal(number) for number in SIGNALS}
    seen = []

    def body():
        with stop_on_signals(threading.Event()) as stop:
            seen.append((stop.is_set(), {number: signal.getsignal(number) for number in SIGNALS}))

    worker = threading.Thread(target=body)
    worker.start()
    worker.join(10)
    assert seen == [(False, before)]


def test_the_workflow_passes_the_runner_s_signal_on_to_the_publisher(tmp_path):
    """Actions signals the step's shell only; the shell must hand SIGINT to `social publish`."""
    workflow = load_workflow(Path(__file__).parent.parent / ".github/workflows/publish.yml")
    [step] = [s for s in workflow["jobs"]["publish"]["steps"] if s.get("id") == "publish"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ready = tmp_path / "ready"
    fake = bin_dir / "social"
    fake.write_text(f"""#!{sys.executable}
import json, pathlib, signal, sys, threading
got = threading.Event()
names = []
for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, lambda n, f: (names.append(signal.Signals(n).name), got.set()))
pathlib.Path({str(ready)!r}).write_text("ready")
got.wait(30)
print(json.dumps({{"signals": names, "args": sys.argv[1:]}}))
sys.exit(1)
""")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DRY_RUN": "false", "POST_ID": "",
           "ROOT": "."}  # the brand's content root, from the job's matrix entry
    shell = subprocess.Popen(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    wait_for(ready.exists, "the publisher to start")
    shell.send_signal(signal.SIGINT)
    out, err = shell.communicate(timeout=60)
    assert shell.returncode == 1, out + err  # the publisher's own exit status
    assert json.loads(out) == {"signals": ["SIGINT"], "args": ["publish", "--root", ".", "--format", "json"]}
