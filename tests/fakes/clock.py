"""A clock for tests that moves only when the code under test sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """The time for client and fake server alike; `sleep` records the wait and moves the time.

    Call it (or its `clock` method) for the current UTC datetime; `epoch` gives seconds.
    """

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def clock(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
