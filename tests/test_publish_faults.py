"""Randomized fault schedules: whatever fails, no part goes out twice and no due part is lost.

Each schedule runs the real engine several times (a scheduler firing every ten
minutes) against an in-process network that, by a seeded random choice per call,
succeeds, refuses, rate-limits, fails after accepting (ambiguous), or "crashes"
the whole run between the network accepting a part and the ledger recording it.
"""

from __future__ import annotations

import contextlib
import random
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from pipeline.networks.base import Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.parts import Published
from pipeline.publish.service import publish, resolve
from pipeline.state.ledger import Ledger
from tests.netreg import registered

SCHEDULES = 200

CHANNELS = """\
timezone: Europe/Berlin
channels:
  alpha:
    network: chaos
    template: mastodon.j2
  beta:
    network: chaos
    template: mastodon.j2
    max_lateness: 40m
"""

POSTS = {
    "one": ("2026-12-01 10:00", "[alpha, beta]", "First post."),
    "thread": ("2026-12-01 10:05", "[alpha, beta]", "Part one.\n\n---\n\nPart two.\n\n---\n\nPart three."),
    "two": ("2026-12-01 10:20", "[alpha]", "Second post."),
    "later": ("2026-12-01 10:50", "[beta]", "A later post."),
}


class Crash(BaseException):
    """The process dies: nothing after this point runs."""


class ChaosNetwork(Network):
    name = "chaos"
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.RECONCILE})
    max_length = 500
    rng: ClassVar[random.Random] = random.Random(0)
    remote: ClassVar[dict] = {}   # key -> (channel, post, part)
    sent: ClassVar[Counter] = Counter()

    def publish(self, request):
        roll = self.rng.random()
        slot = (self.channel.id, request.post_id, request.number)
        if roll < 0.10:
            raise DeliveryError("refused (422)")
        if roll < 0.15:
            raise DeliveryError("rate limited", retry_later=True, status=429)
        if roll < 0.20:
            raise Crash("killed before sending")
        if request.key in self.remote:
            raise DeliveryError("record key already exists", ambiguous=True)  # as a PDS answers
        self.remote[request.key] = slot
        self.sent[slot] += 1
        if roll < 0.30:
            raise DeliveryError("timeout after sending", ambiguous=True)
        if roll < 0.40:
            raise Crash("killed after the network accepted the part")
        return Published(remote_id=request.key, url=f"https://chaos.example/{request.key}")

    def reconcile(self, request, sent_at):
        if self.rng.random() < 0.05:
            raise Uncertain("the network cannot say")
        if request.key in self.remote:
            return Published(remote_id=request.key, url=f"https://chaos.example/{request.key}")
        return None


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory):
    from tests.conftest import ContentRepo

    repo = ContentRepo(tmp_path_factory.mktemp("chaos"))
    repo.write("content/channels.yml", CHANNELS)
    for slug, (when, channels, body) in POSTS.items():
        repo.post(slug, f"publish_at: {when}\nchannels: {channels}", body=body)
    return repo.root


@pytest.mark.parametrize("seed", range(SCHEDULES))
def test_fault_schedule(seed, template_repo, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(template_repo, root)
    ChaosNetwork.rng = random.Random(seed)
    ChaosNetwork.remote = {}
    ChaosNetwork.sent = Counter()
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    with registered("chaos", ChaosNetwork):
        for run in range(12):
            now = start + timedelta(minutes=10 * run)
            with contextlib.suppress(Crash):
                publish(root, now_text=now.isoformat(), env={}, sleep=lambda s: None, clock=lambda n=now: n)
            if run == 8:
                _person_settles_uncertain_parts(root, now)
        # The next scheduled run finds a quiet network: whatever a crash left pending is settled.
        ChaosNetwork.rng = _Calm()
        publish(root, now_text=now.isoformat(), env={}, sleep=lambda s: None, clock=lambda: now)

    ledger = Ledger(root)
    # 1. Nothing went out twice.
    assert max(ChaosNetwork.sent.values(), default=0) <= 1, ChaosNetwork.sent
    # 2. Every due part is accounted for, and the ledger agrees with the network.
    expected = {("alpha", "one", 1), ("beta", "one", 1), ("alpha", "two", 1), ("beta", "later", 1)}
    expected |= {(c, "thread", n) for c in ("alpha", "beta") for n in (1, 2, 3)}
    remote = set(ChaosNetwork.remote.values())
    for channel, post, part in expected:
        entry = ledger.current(post, channel, part)
        earlier_missing = part > 1 and ledger.current(post, channel, part - 1) is None
        if entry is None:
            # Only later parts of a thread whose earlier part is stuck may be absent: they wait.
            assert earlier_missing or _blocked(ledger, post, channel, part), (channel, post, part)
            assert (channel, post, part) not in remote
            continue
        assert entry.state in ("published", "failed", "uncertain", "missed"), entry
        if entry.state == "published":
            assert (channel, post, part) in remote, entry
        if (channel, post, part) in remote:
            assert entry.state in ("published", "uncertain"), entry
    # 3. A thread never continues past a part that is not out.
    for channel, post, part in remote:
        if part > 1:
            assert (channel, post, part - 1) in remote


class _Calm(random.Random):
    def random(self) -> float:
        return 0.99


def _blocked(ledger, post, channel, part) -> bool:
    previous = ledger.current(post, channel, part - 1)
    return previous is not None and previous.state != "published"


def _person_settles_uncertain_parts(root, now) -> None:
    """What `social resolve` is for: someone looks at the account and says."""
    ledger = Ledger(root)
    for entry in list(ledger.latest()):
        if entry.state == "uncertain":
            out = entry.key in ChaosNetwork.remote
            resolve(root, entry.post, entry.channel, part=entry.part,
                    published_url=f"https://chaos.example/{entry.key}" if out else None,
                    not_published=not out, clock=lambda: now)
