"""Stopping a publish run cleanly when the process is asked to end (SIGTERM, SIGINT).

A cancelled GitHub Actions job sends SIGINT, then SIGTERM 7.5 s later, then kills
the process tree 2.5 s after that. Dying on the first signal would leave a part
`pending` and no report. Instead the first signal sets the run's stop flag: the
parts in flight finish and are recorded, nothing new starts, the report is written.
A second signal ends the process at once, as it would have ended without us.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(stop: threading.Event, notice: Callable[[str], None] = lambda name: None
                    ) -> Iterator[threading.Event]:
    """For the block only: the first SIGTERM or SIGINT sets `stop` (and calls `notice` with its
    name), a second ends the process. Handlers can only be installed from the main thread;
    elsewhere the block runs without them."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    received: list[int] = []

    def handle(signum: int, frame: object) -> None:
        if received:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        received.append(signum)
        stop.set()
        notice(signal.Signals(signum).name)

    previous = {number: signal.signal(number, handle) for number in SIGNALS}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            # None: a handler installed outside Python, which the default stands in for
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
