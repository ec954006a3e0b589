"""What every publishing network must keep, tested once for all of them.

A network's contract (`tests/contracts/<network>.py`, a module-level CONTRACT) says
how to start its fake server, how a channel of it is written in channels.yml, which
environment variables hold its credentials, how to read back what is online, and
how its fake refuses, rate-limits and fails after acting. tests/test_network_contract.py
runs the same scenarios against every contract through the real publish engine, over
real HTTP: refusals, 429 with a reset, failures after the network acted, a run killed
between the network's answer and the ledger line, two runners at once, threads,
retraction, `social channels check`, and a canary token that must appear nowhere.
Its data table of error answers (`errors`) is run by one shared tester too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import FakeServer, Fault


@dataclass(frozen=True)
class ErrorCase:
    """One answer of the network to a create, and what the run must make of it."""

    name: str
    status: int
    body: Any
    #: the part's state after one run: failed (sent again next run) or uncertain (a person decides)
    state: str = "failed"
    #: words the recorded error must hold (what to do)
    says: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    network: str
    #: a started-or-not fake server: fake(clock, token) -> FakeServer (a context manager)
    fake: Callable[[Any, str], FakeServer]
    #: the channel's settings in channels.yml beyond `network:` (pointing at the fake)
    channel: Callable[[FakeServer], dict]
    #: environment variables holding the credentials, given the canary token
    env: Callable[[FakeServer, str], dict[str, str]]
    #: the texts of our posts online now, oldest first (as readers see them)
    online: Callable[[FakeServer], list[str]]
    #: the request that makes a post (method, path regex): faults are aimed at it
    create: tuple[str, str]
    #: the answer that refuses a post for good, as the network words it
    refusal: tuple[int, Any]
    #: headers of a 429 that says when to try again (`reset` seconds from now)
    rate_limited: Callable[[FakeServer, int], dict[str, str]]
    #: make the next create act and then fail (5xx or a dropped connection)
    act_then_fail: Callable[[FakeServer], None] = lambda server: server.faults.append(
        Fault("POST", ".*", drop_after_handling=True))
    #: text -> the text of the post it replies to (threads), for networks that thread
    parents: Callable[[FakeServer], dict[str, str | None]] | None = None
    #: error answers to a create and what the run must record
    errors: tuple[ErrorCase, ...] = ()
    #: what `social channels check` prints for the account, as a fragment
    account: str = ""
    #: the most text one part may hold (a thread test uses three parts of it)
    max_length: int = 280


def all_contracts() -> list[Contract]:
    """Every tests/contracts/<network>.py's CONTRACT, sorted by network."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        if hasattr(loaded, "CONTRACT"):
            found.append(loaded.CONTRACT)
    return sorted(found, key=lambda contract: contract.network)
