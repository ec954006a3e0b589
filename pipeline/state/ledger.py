"""state/ledger.jsonl: an append-only record of every publishing step.

One JSON object a line, flushed and fsynced per line; no line is ever rewritten.
Reading is strict (`pipeline.state.reading`): a line that cannot be used makes its
part wait for a person, and damage stops the run rather than being skipped. A
part's current state is what its lines mean together (`pipeline.state.meaning`),
so lines that a racing run merged in cannot undo a publication.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.state.entry import (
    DELETED,
    FAILED,
    MISSED,
    NEEDS_PERSON,
    PARTS,
    PENDING,
    PUBLISHED,
    SETTLED,
    UNCERTAIN,
    UNREADABLE,
    WRITTEN_STATES,
    Entry,
    LedgerState,
)
from pipeline.state.meaning import Conflict, ConflictKind, PartStates
from pipeline.state.reading import (
    REPAIR,
    TORN_MARK,
    LedgerDamaged,
    LedgerError,
    LedgerReadError,
    LedgerReading,
    ending_of,
    read_entries,
)

__all__ = [
    "DELETED", "FAILED", "MISSED", "NEEDS_PERSON", "PARTS", "PENDING", "PUBLISHED", "SETTLED", "TORN_MARK", "UNCERTAIN",
    "UNREADABLE", "WRITTEN_STATES", "Conflict", "ConflictKind", "Entry", "Ledger", "LedgerBusy", "LedgerDamaged",
    "LedgerError", "LedgerReadError", "LedgerReading", "LedgerState", "LedgerWriteError", "MemoryLedger",
    "published_times", "read_entries",
]

STATE_DIR = "state"
LEDGER_FILE = "ledger.jsonl"
LOCK_FILE = "ledger.lock"


def published_times(current: Iterable[Entry]) -> dict[tuple[str, str], datetime]:
    """(post, channel) -> its first published part's time (UTC), from the current entries.

    Only parts whose current state is `published` count: a retracted (deleted) post
    no longer does.
    """
    times: dict[tuple[str, str], datetime] = {}
    for entry in current:
        if entry.state != PUBLISHED:
            continue
        try:
            at = datetime.fromisoformat(entry.at).astimezone(UTC)
        except (TypeError, ValueError):
            continue
        key = (entry.post, entry.channel)
        times[key] = min(times.get(key, at), at)
    return times


class LedgerBusy(LedgerError):
    """Another publisher holds the ledger's lock."""


class LedgerWriteError(LedgerError):
    """A line could not be made durable (a full disk, permissions): nothing more can be recorded."""

    def __init__(self, message: str, *, reason: str = "", **where) -> None:
        super().__init__(message, **where)
        #: what the system said (e.g. "No space left on device")
        self.reason = reason or message


class Ledger:
    """The ledger of one repository: read once, then appended to, line by line."""

    def __init__(self, root: Path) -> None:
        self.dir = Path(root) / STATE_DIR
        self.path = self.dir / LEDGER_FILE
        self._write_lock = threading.Lock()
        self._read()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_size, stat.st_mtime_ns)

    def _changed_since_read(self) -> bool:
        return self._stamp() != self._read_stamp

    def _read(self) -> None:
        self._read_stamp = self._stamp()
        reading = read_entries(self.path)
        self.warnings = reading.warnings
        self._take(reading.entries)
        if reading.unreadable:
            in_conflicts = {id(e) for conflict in self.conflicts for e in conflict.ignored}
            self.warnings += [f"{self.path}: {e.error}; a later line settles its part, so nothing waits on it "
                              f"(repair it when convenient: {REPAIR})" for e in reading.unreadable
                              if self._current.get(e.slot) is not e and id(e) not in in_conflicts]
        #: what to write before the next line (None: look at the file first)
        self._ending: str | None = reading.ending

    def _take(self, entries: list[Entry]) -> None:
        self._entries = entries
        self._states = PartStates()
        add = self._states.add
        for entry in entries:
            add(entry)
        self._current = self._states.current
        #: (post, channel) -> {part: current entry}, built on first use and kept up to date by `_add`
        self._by_post: dict[tuple[str, str], dict[int, Entry]] | None = None

    def _add(self, entry: Entry) -> None:
        """Fold one appended line into the current states (and the index of them, once built)."""
        self._states.add(entry)
        if self._by_post is not None:
            self._by_post.setdefault((entry.post, entry.channel), {})[entry.part] = self._current[entry.slot]

    @property
    def present(self) -> bool:
        """Whether there is a ledger to ask: `state/` is checked out (empty: nothing went out yet).

        Without it (a clone of main), "not in the ledger" says nothing about a post.
        """
        return self.dir is None or self.dir.is_dir()

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    @property
    def conflicts(self) -> list[Conflict]:
        """What racing runs left behind: parts posted twice, or handled by two runs (`pipeline.state.meaning`)."""
        return self._states.conflicts()

    def current(self, post: str, channel: str, part: int) -> Entry | None:
        return self._current.get((post, channel, part))

    def parts(self, post: str, channel: str) -> dict[int, Entry]:
        """The current entry of every part of a post on a channel, by part number."""
        if self._by_post is None:  # a dict lookup, not a scan: a run or status asks for thousands of posts
            index: dict[tuple[str, str], dict[int, Entry]] = {}
            for (post_id, channel_id, number), entry in self._current.items():
                index.setdefault((post_id, channel_id), {})[number] = entry
            self._by_post = index
        return dict(self._by_post.get((post, channel), {}))

    def latest(self) -> Iterator[Entry]:
        return iter(self._current.values())

    def published_times(self) -> dict[tuple[str, str], datetime]:
        """(post, channel) -> when its first part went out (UTC): the times cadence counts it at."""
        return published_times(self._current.values())

    def append(self, entry: Entry) -> Entry:
        """Write one line and make it durable before returning; LedgerWriteError when it cannot."""
        if entry.state not in WRITTEN_STATES:
            raise ValueError(f"a ledger line never says {entry.state!r}")
        line = entry.as_json().encode("utf-8") + b"\n"
        with self._write_lock:
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                if self._ending is None:
                    self._ending = ending_of(self.path)
                # A crash may have left half a line: end it first, in the same write, so this line stays whole.
                _append_durably(self.path, self._ending.encode("utf-8") + line)
            except OSError as exc:
                self._ending = None  # part of the line may be in the file: look before writing the next
                raise LedgerWriteError(
                    f"cannot append to the ledger ({exc.strerror or exc}): this step is not recorded, and nothing "
                    "more can be until that is fixed (free disk space, permissions)",
                    reason=exc.strerror or str(exc), file=str(self.path), code="ledger-write") from None
            self._ending = ""
            self._entries.append(entry)
            self._add(entry)
            self._read_stamp = self._stamp()
        return entry

    @contextmanager
    def locked(self) -> Iterator[Ledger]:
        """Hold the ledger's lock file so two publishers on one machine never both send."""
        with lock(self.dir):
            # Another process may have appended since this one read the file.
            if self._changed_since_read():
                self._read()
            yield self


@contextmanager
def lock(folder: Path) -> Iterator[None]:
    """Hold the lock file of the ledger in `folder` (LedgerBusy when another process holds it)."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise LedgerWriteError(f"cannot create the ledger's lock file ({exc.strerror or exc})",
                               file=str(folder / LOCK_FILE), code="ledger-write") from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise LedgerBusy("another `social publish` is running on this ledger; "
                                 "wait for it to finish", code="ledger-busy") from None
            raise LedgerWriteError(f"cannot lock the ledger ({exc.strerror or exc})",
                                   file=str(folder / LOCK_FILE), code="ledger-write") from None
        yield
    finally:
        handle.close()


def _append_durably(path: Path, data: bytes) -> None:
    """Append `data` with one O_APPEND write (repeated only if the system writes less) and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


class MemoryLedger(Ledger):
    """A ledger kept in memory only, starting from another's lines: what a dry run records."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.dir = None
        self.path = None
        self.warnings: list[str] = []
        self._write_lock = threading.Lock()
        self._take(list(entries))

    def append(self, entry: Entry) -> Entry:
        with self._write_lock:
            self._entries.append(entry)
            self._add(entry)
        return entry

    @contextmanager
    def locked(self) -> Iterator[Ledger]:
        yield self
