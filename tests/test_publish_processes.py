"""Real processes: a publisher killed mid-part, two publishers at once, one network down.

These run `python -m pipeline publish` as a user's scheduler would, against a real
HTTP receiver on localhost (the webhook fake), so a crash is a real SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.state.ledger import Ledger
from tests.fakes.server import route
from tests.fakes.webhook import FakeWebhook

SECRET = "canary-secret-process-81f2"
CHANNELS = """\
timezone: Europe/Berlin
channels:
  hook:
    network: webhook
    credentials: {url: HOOK_URL, secret: HOOK_SECRET}
  notes:
    network: outbox
"""


class KillingWebhook(FakeWebhook):
    """Stores the event, then kills the publisher before it can hear the answer."""

    victim: int | None = None

    @route("POST", r"/hooks/(?P<token>[^/]+)")
    def receive(self, request, token):
        answer = super().receive(request, token)
        if self.victim and answer[0] == 201:
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None
        return answer


@pytest.fixture
def site(repo):
    repo.write("content/channels.yml", CHANNELS)
    # due by the real clock: a real run happens at the real time
    due = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M+00:00")
    repo.post("bread", f"publish_at: {due}\nchannels: [hook, notes]", body="Fresh bread.")
    return repo


def start(site, receiver, *extra):
    env = {**os.environ, "HOOK_URL": receiver.hook_url, "HOOK_SECRET": SECRET, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "pipeline", "publish", "--root", str(site.root), *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def states(site):
    return {(e.post, e.channel, e.part): e.state for e in Ledger(site.root).latest()}


def test_killed_after_the_network_accepted_a_part_the_next_run_does_not_send_it_twice(site):
    with KillingWebhook(SECRET) as receiver:
        first = start(site, receiver, "--channel", "hook")
        receiver.victim = first.pid
        first.communicate(timeout=60)
        assert first.returncode == -signal.SIGKILL
        assert states(site) == {("bread", "hook", 1): "pending"}
        assert len(receiver.stored) == 1

        second = start(site, receiver)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, out + err
        assert states(site) == {("bread", "hook", 1): "published", ("bread", "notes", 1): "published"}
        assert len(receiver.stored) == 1      # the receiver recognised the same key
        assert receiver.duplicates == 1
        for text in (out, err, (site.root / "state/ledger.jsonl").read_text()):
            assert SECRET not in text and receiver.token not in text


def test_two_publishers_at_once_send_each_part_once(site):
    with FakeWebhook(SECRET) as receiver:
        receiver.hold_next_answer()
        first = start(site, receiver)
        deadline = time.monotonic() + 30
        while not receiver.stored and time.monotonic() < deadline:
            time.sleep(0.01)
        assert receiver.stored, "the first publisher never reached the receiver"
        second = start(site, receiver)
        _, err = second.communicate(timeout=60)
        receiver._release.set()
        first_out, first_err = first.communicate(timeout=60)
        assert first.returncode == 0, first_out + first_err
        assert second.returncode == 1
        assert "another `social publish` is running" in err
        assert len(receiver.stored) == 1 and receiver.duplicates == 0


def test_a_network_that_is_down_fails_its_channel_and_the_others_go_out(site):
    import socket

    from pipeline.publish.service import publish

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"HOOK_URL": f"http://127.0.0.1:{port}/hooks/down-token-123456", "HOOK_SECRET": SECRET}
    waits = []
    report = publish(site.root, env=env, sleep=waits.append)
    assert not report.ok
    assert states(site) == {("bread", "hook", 1): "failed", ("bread", "notes", 1): "published"}
    failed = Ledger(site.root).current("bread", "hook", 1)
    assert "connection failed, 4 attempts" in failed.error and "down-token" not in failed.error
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]  # backoff, without sleeping for real
