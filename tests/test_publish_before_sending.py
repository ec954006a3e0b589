"""A part is `uncertain` only when a request may have reached the network; before that it is `failed`.

Each case fails a publish at a different point, through the real runner and the real
HTTP layer, and checks the ledger: `failed` (and the next run sends it) whenever
nothing can have reached the network, `uncertain` only when a create may have.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import ClassVar

import pytest
import requests
from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Capability, Network
from pipeline.networks.parts import Published
from pipeline.publish.service import publish
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, Ledger
from tests.netreg import registered

CHANNELS = """\
timezone: Europe/Berlin
channels:
  remote:
    network: probe
    base: {base}
    credentials: {{token: PROBE_TOKEN}}
"""


class ProbeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: str


class ProbeNetwork(Network):
    """Creates each part with one POST to `base`; `before` and `after` make it fail around that."""

    name = "probe"
    capabilities = frozenset({Capability.PUBLISH, Capability.RECONCILE})
    required_credentials = ("token",)
    Options = ProbeOptions
    failure: ClassVar[str | None] = None
    created: ClassVar[list[str]] = []

    def publish(self, request):
        if ProbeNetwork.failure == "bug before sending":
            raise KeyError("a bug before any request")
        self.http.request("GET", self.options.base + "/ping", idempotent=True, ok=(200, 404))
        if ProbeNetwork.failure == "bug after a safe request":
            raise KeyError("a bug after a read")
        self.http.request("POST", self.options.base + "/posts", idempotent=False, ok=(200, 404),
                          json={"text": request.text})
        ProbeNetwork.created.append(request.key)
        if ProbeNetwork.failure == "bug after the create":
            raise KeyError("a bug after the create")
        return Published(request.key, None)

    def reconcile(self, request, sent_at):
        return Published(request.key, None) if request.key in ProbeNetwork.created else None


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def probe(repo):
    ProbeNetwork.failure = None
    ProbeNetwork.created = []
    repo.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    with registered("probe", ProbeNetwork):
        yield repo


def run(repo, env=None):
    now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    return publish(repo.root, now_text="2026-12-01 12:00", env={"PROBE_TOKEN": "t0k3n-probe", **(env or {})},
                   sleep=lambda seconds: None, clock=lambda: now)


def history(repo) -> list[str]:
    return [entry.state for entry in Ledger(repo.root).entries]


def test_a_refused_connection_is_failed_and_the_next_run_sends_it(probe, monkeypatch):
    probe.write("content/channels.yml", CHANNELS.format(base=f"http://127.0.0.1:{closed_port()}"))
    report = run(probe)
    assert history(probe) == [PENDING, FAILED]
    assert "connection failed" in report.result.outcomes[0].error


def test_a_host_that_does_not_resolve_is_failed(probe, monkeypatch):
    probe.write("content/channels.yml", CHANNELS.format(base="http://no-such-host.invalid"))

    def no_such_host(*args, **kwargs):
        raise requests.exceptions.ConnectionError(
            "HTTPConnectionPool(host='no-such-host.invalid', port=80): Max retries exceeded "
            "(Caused by NameResolutionError(\"Failed to resolve 'no-such-host.invalid'\"))")

    monkeypatch.setattr(requests.Session, "request", no_such_host)
    run(probe)
    assert history(probe) == [PENDING, FAILED]


def test_a_missing_credential_is_failed_without_a_pending_line(probe):
    probe.write("content/channels.yml", CHANNELS.format(base="http://127.0.0.1:9"))
    now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    report = publish(probe.root, now_text="2026-12-01 12:00", env={}, sleep=lambda s: None, clock=lambda: now)
    assert history(probe) == [FAILED]  # why, for `social status`; nothing was about to be sent
    assert report.result.outcomes[0].state == FAILED
    assert "PROBE_TOKEN is not set" in report.result.outcomes[0].error


@pytest.mark.parametrize(("failure", "states", "sent"), [
    ("bug before sending", [PENDING, FAILED], 0),
    ("bug after a safe request", [PENDING, FAILED], 0),
    ("bug after the create", [PENDING, UNCERTAIN], 1),
])
def test_a_bug_in_a_network_is_uncertain_only_after_a_create(probe, failure, states, sent):
    from tests.fakes.server import FakeServer, route

    class Server(FakeServer):
        @route("GET", r"/ping")
        def ping(self, request):
            return 200, {}, {}

        @route("POST", r"/posts")
        def create(self, request):
            return 200, {"id": "1"}, {}

    with Server() as server:
        probe.write("content/channels.yml", CHANNELS.format(base=server.url))
        ProbeNetwork.failure = failure
        report = run(probe)
        assert history(probe) == states
        assert len(ProbeNetwork.created) == sent
        assert "unexpected error" in report.result.outcomes[0].error
        if states[-1] == FAILED:  # the next run, without the bug, sends it once
            ProbeNetwork.failure = None
            run(probe)
            assert history(probe)[-1] == PUBLISHED and len(ProbeNetwork.created) == 1


def test_a_network_that_cannot_publish_fails_without_a_pending_line(probe):
    class CountOnly(Network):
        name = "probe"
        Options = ProbeOptions
        required_credentials = ("token",)

    probe.write("content/channels.yml", CHANNELS.format(base="http://127.0.0.1:9"))
    with registered("probe", CountOnly):
        report = run(probe)
    assert history(probe) == [FAILED]  # with the reason, for `social status`
    assert report.result.outcomes[0].state == FAILED
    assert "cannot publish" in report.result.outcomes[0].error
