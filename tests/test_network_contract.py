"""Every publishing network against its fake, through the real engine: the contract of tests/contracts.

Each scenario is one of the ways a real team's runs go wrong; for every network the
promise is the same: no text twice online, no due part lost without a reason, and
the canary token nowhere in the ledger, the outbox, the report or the output.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pipeline.networks import network_class, networks
from pipeline.networks.base import Capability
from pipeline.publish.run import Runner
from pipeline.publish.service import publish
from pipeline.publish.summary import report_dict
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, Ledger, LedgerBusy
from tests.contracts import Contract, ErrorCase, all_contracts
from tests.fakes.clock import FakeClock
from tests.fakes.server import Fault

CONTRACTS = all_contracts()
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
TOKEN = "canary-7Qx9kT-token-3f1e8d5a"
TEXT = "Fresh rye from the stone oven, ready at nine."


@dataclass
class World:
    """A repository with one channel of the network (`net`) and an outbox, its fake and a clock."""

    contract: Contract
    root: Path
    server: object
    clock: FakeClock
    reports: list[str] = field(default_factory=list)

    def post(self, slug: str, body: str = TEXT, *, at: str = "2026-12-01 11:30", extra: str = "",
             channels: str = "[net]") -> None:
        path = self.root / "content/posts/2026/12" / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\npublish_at: {at}\nchannels: {channels}\n{extra}---\n{body}\n", encoding="utf-8")

    def run(self):
        report = publish(self.root, env=self.contract.env(self.server, TOKEN), sleep=self.clock.sleep,
                         clock=self.clock)
        self.reports.append(json.dumps(report_dict(report)))
        return report

    def states(self, slug: str) -> dict[int, str]:
        return {n: e.state for n, e in Ledger(self.root).parts(slug, "net").items()}

    def online(self) -> list[str]:
        return [text.strip() for text in self.contract.online(self.server)]

    def can(self, capability: Capability) -> bool:
        return network_class(self.contract.network).can(capability)


def test_every_registered_network_publishes_and_has_a_contract():
    """No stub passes as a network: each one publishes and runs the shared contract."""
    registered = {network.name for network in networks() if network.name != "outbox"}
    assert {n.name for n in networks() if not n.can(Capability.PUBLISH)} == set()
    assert registered <= {contract.network for contract in CONTRACTS}


@pytest.fixture(params=CONTRACTS, ids=[c.network for c in CONTRACTS])
def world(request, repo):
    contract: Contract = request.param
    clock = FakeClock(START)
    with contract.fake(clock, TOKEN) as server:
        channels = {"timezone": "Europe/Berlin",
                    "channels": {"net": {"network": contract.network, **contract.channel(server)},
                                 "outbox": {"network": "outbox"}}}
        repo.write("content/channels.yml", yaml.safe_dump(channels, sort_keys=False))
        made = World(contract, repo.root, server, clock)
        yield made
    assert_no_canary(made)


def assert_no_canary(world: World) -> None:
    for report in world.reports:
        assert TOKEN not in report
    for path in world.root.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), path


def test_a_due_post_goes_out_once_and_a_rerun_sends_nothing(world):
    world.post("rye")
    first = world.run()
    assert [o.state for o in first.result.outcomes] == [PUBLISHED], first.result.outcomes
    assert world.online() == [TEXT]
    assert world.run().result.outcomes == []
    assert world.online() == [TEXT]


def test_a_refusal_fails_the_part_and_the_next_run_sends_it_once(world):
    world.post("rye")
    method, path = world.contract.create
    status, body = world.contract.refusal
    world.server.faults.append(Fault(method, path, status=status, body=body))
    assert [o.state for o in world.run().result.outcomes] == [FAILED]
    assert world.online() == []
    assert [o.state for o in world.run().result.outcomes] == [PUBLISHED]
    assert world.online() == [TEXT]


def test_a_rate_limit_holds_this_channel_only_and_a_later_run_sends_once(world):
    world.post("rye", channels="[net, outbox]")
    method, path = world.contract.create
    world.server.faults.append(Fault(method, path, status=429, body=world.contract.rate_limited_body(3600),
                                     headers=world.contract.rate_limited(world.server, 3600), times=3))
    outcomes = {o.channel: o.state for o in world.run().result.outcomes}
    assert outcomes == {"net": FAILED, "outbox": PUBLISHED}
    assert world.online() == []
    world.server.faults.clear()
    world.clock.now += timedelta(hours=1, minutes=5)
    outcomes = {o.channel: o.state for o in world.run().result.outcomes}
    assert outcomes == {"net": PUBLISHED}
    assert world.online() == [TEXT]


def test_a_failure_after_the_network_acted_leaves_exactly_one_post(world):
    world.post("rye")
    world.contract.act_then_fail(world.server)
    first = world.run()
    for _ in range(2):
        world.clock.now += timedelta(minutes=10)
        world.run()
    assert world.online() == [TEXT]
    state = world.states("rye")[1]
    if world.can(Capability.RECONCILE):
        assert state == PUBLISHED, first.result.outcomes
    else:
        assert state in (PUBLISHED, UNCERTAIN)


class Crash(BaseException):
    """The runner killed between the network's answer and the ledger's line."""


def test_a_run_killed_after_the_network_answered_never_posts_twice(world, monkeypatch):
    world.post("rye")
    original = Runner._published
    calls = []

    def crash_once(self, *args, **kwargs):
        if not calls:
            calls.append(1)
            raise Crash()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Runner, "_published", crash_once)
    with pytest.raises(Crash):
        world.run()
    assert world.states("rye") == {1: PENDING}
    world.clock.now += timedelta(minutes=10)
    world.run()
    assert world.online() == [TEXT]
    # A network that cannot be asked either drops the repeat by its key (published) or leaves
    # the part to a person (uncertain); one that can be asked must find the post.
    expected = {PUBLISHED} if world.can(Capability.RECONCILE) else {PUBLISHED, UNCERTAIN}
    assert world.states("rye")[1] in expected


def test_two_runners_at_once_send_once(world):
    world.post("rye")
    method, path = world.contract.create
    world.server.faults.append(Fault(method, path, delay=0.2, times=2))  # both overlap the create
    outcomes: list = []

    def runner():
        try:
            outcomes.append(world.run().result.outcomes)
        except LedgerBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert world.online() == [TEXT]
    assert sum(o != "busy" and any(x.state == PUBLISHED for x in o) for o in outcomes) == 1


def test_a_long_text_becomes_a_reply_chain_where_the_network_threads(world):
    if not world.can(Capability.THREADS):
        pytest.skip(f"{world.contract.network} does not thread")
    # Three paragraphs that do not fit in one part; under the template's output cap (100,000)
    # even where one part holds 40,000 (Slack).
    size = min(world.contract.max_length - 20, 30_000)
    sentence = "Our rye starter is older than the bakery. "
    paragraph = (sentence * (size // len(sentence) + 1))[:size].strip()
    world.post("long", "\n\n".join([paragraph + " A.", paragraph + " B.", paragraph + " C."]))
    outcomes = world.run().result.outcomes
    assert [o.state for o in outcomes] == [PUBLISHED] * len(outcomes) and len(outcomes) >= 2, outcomes
    online = world.online()
    assert len(online) == len(outcomes)
    parents = world.contract.parents(world.server)
    assert [parents[text] for text in online] == [None, *online[:-1]]


def test_retracting_deletes_every_part(world):
    if not world.can(Capability.DELETE):
        pytest.skip(f"{world.contract.network} cannot delete")
    world.post("rye")
    world.run()
    assert world.online() == [TEXT]
    world.post("rye", extra="status: retracted\n")
    world.run()
    assert world.online() == []
    assert world.states("rye") == {1: "deleted"}


ERROR_CASES = [(contract, case) for contract in CONTRACTS for case in contract.errors]


@pytest.mark.parametrize(("contract", "case"), ERROR_CASES,
                         ids=[f"{c.network}-{case.name}" for c, case in ERROR_CASES])
def test_each_error_answer_is_recorded_as_it_must_be(repo, contract: Contract, case: ErrorCase):
    clock = FakeClock(START)
    with contract.fake(clock, TOKEN) as server:
        channels = {"timezone": "Europe/Berlin",
                    "channels": {"net": {"network": contract.network, **contract.channel(server)}}}
        repo.write("content/channels.yml", yaml.safe_dump(channels, sort_keys=False))
        world = World(contract, repo.root, server, clock)
        world.post("rye")
        method, path = contract.create
        server.faults.append(Fault(method, path, status=case.status, body=case.body,
                                   headers=dict(case.headers), times=10))
        (outcome,) = world.run().result.outcomes
        assert outcome.state == case.state, outcome
        for words in case.says:
            assert words in (outcome.error or ""), outcome.error
        assert world.online() == []
    assert_no_canary(world)


def test_channels_check_names_the_account_and_a_wrong_token_says_what_to_do(world):
    from pipeline.publish.doctor import check_channels, check_lines

    now, (check,) = check_channels(world.root, channel_id="net", env=world.contract.env(world.server, TOKEN),
                                   clock=world.clock, sleep=world.clock.sleep)
    assert check.problem is None and world.contract.account in check.account, check
    assert not check.needs_person(now)
    # The token may be all of a variable or a piece of it (a webhook URL, a bot API path).
    wrong = {name: value.replace(TOKEN, "wrong-token-0f9e8d7c")
             for name, value in world.contract.env(world.server, TOKEN).items()}
    now, (broken,) = check_channels(world.root, channel_id="net", env=wrong, clock=world.clock,
                                    sleep=world.clock.sleep)
    if world.contract.network != "webhook":  # a webhook is not called: its secret is only checked to be set
        assert broken.problem and broken.needs_person(now), broken
        assert any(name in broken.problem for name in world.contract.env(world.server, TOKEN)), broken.problem
    world.reports.append("\n".join(check_lines(now, [check, broken])))
