"""A year of scheduled publish runs: late, dropped, overlapping, cancelled and killed (tests/year/).

Five channels on five networks' fakes (Mastodon, LinkedIn, X, Telegram, a webhook),
through their contracts; a calendar of about a hundred posts (threads, images,
replies, quotes, reposts, likes) written, edited, moved, cancelled and retracted by
commits during the year; real git (a bare origin, the `state` branch, two runners
racing to push the ledger, a person restoring and resolving). Networks refuse,
rate-limit, time out and answer unclearly; runs die between a network's acceptance and
the ledger's line and between the ledger's commit and its push. At the end, for every
part of every post on every channel: online exactly once, with the ledger on the
origin's `state` branch saying so, or reported (missed, failed or uncertain, with a
reason); nothing sent before its time or after its `max_lateness`.

Each run of the test lives a new year: its seed is in the test's id and in the failure
message; `YEAR_SEED=123456` lives that year again (`YEAR_SEED=1-50` fifty of them).
One week of the year (the one the clocks change in) runs against a real Bluesky PDS.
"""

from __future__ import annotations

import contextlib
import os
import random
from datetime import datetime, timedelta

import pytest

from tests.fakes.clock import FakeClock
from tests.pds import start_pds
from tests.year.accounts import Account, PdsAccount
from tests.year.calendar import BERLIN
from tests.year.schedule import Trap
from tests.year.world import Year, install

START = datetime(2027, 1, 1, tzinfo=BERLIN)
END = datetime(2028, 1, 1, tzinfo=BERLIN)
#: channel -> (network, max_lateness): the default six hours, and tighter ones
CHANNELS = {"mastodon": ("mastodon", None), "linkedin": ("linkedin", timedelta(hours=3)),
            "x": ("x", timedelta(hours=2)), "telegram": ("telegram", timedelta(minutes=45)),
            "webhook": ("webhook", None)}


def seeds() -> list[int]:
    """YEAR_SEED: one seed, a range `A-B` or a list `A,B`; without it, a new one each time."""
    asked = os.environ.get("YEAR_SEED", "").strip()
    if not asked:
        return [random.SystemRandom().randrange(1_000_000)]
    found: list[int] = []
    for piece in asked.split(","):
        first, _, last = piece.partition("-")
        found += list(range(int(first), int(last or first) + 1))
    return found


def live(year: Year) -> None:
    problems: list[str] = []
    try:
        year.live()
        year.finish()
        problems = year.check()
    except BaseException as error:
        problems = [f"the year stopped: {error!r}"]
        raise
    finally:
        log = year.root / "year.log"
        log.write_text("\n".join([*problems, "", *year.log]) + "\n", encoding="utf-8")
    summary = ", ".join(f"{count} {what}" for what, count in sorted(year.stats.items()))
    print(f"YEAR_SEED={year.seed}: {len(year.calendar.posts)} posts; {summary}")
    assert not problems, (f"YEAR_SEED={year.seed} broke the promise:\n  " + "\n  ".join(problems)
                          + "\nThe year, last 200 lines (all of it in " + str(log) + "):\n  "
                          + "\n  ".join(year.log[-200:]))


@pytest.mark.parametrize("seed", seeds())
def test_a_year_of_scheduled_runs(seed, tmp_path, monkeypatch):
    trap = Trap()
    install(monkeypatch, trap, seed)
    clock = FakeClock(START)
    with contextlib.ExitStack() as stack:
        accounts = [stack.enter_context(Account(channel, network, clock, max_lateness=lateness))
                    for channel, (network, lateness) in CHANNELS.items()]
        live(Year(seed, tmp_path, accounts, clock, START, END, per_week=2.2, incidents=14, trap=trap))


def test_a_week_against_a_real_bluesky_pds(tmp_path, monkeypatch):
    """The week the clocks go forward, with a Bluesky channel on a real PDS (behind a proxy that
    injects the same faults) beside three fakes."""
    seed = seeds()[0]
    pds = start_pds(tmp_path / "pds")  # skips without a PDS installed, except with CI=true
    try:
        trap = Trap()
        install(monkeypatch, trap, seed)
        start, end = datetime(2027, 3, 22, tzinfo=BERLIN), datetime(2027, 3, 29, 12, tzinfo=BERLIN)
        clock = FakeClock(start)
        with contextlib.ExitStack() as stack:
            accounts = [stack.enter_context(PdsAccount("bluesky", pds, clock, max_lateness=timedelta(hours=2)))]
            accounts += [stack.enter_context(Account(channel, CHANNELS[channel][0], clock,
                                                     max_lateness=CHANNELS[channel][1]))
                         for channel in ("mastodon", "telegram", "webhook")]
            live(Year(seed, tmp_path / "year", accounts, clock, start, end, per_week=16, incidents=1, trap=trap))
    finally:
        pds.stop()
