"""state/ledger.jsonl: an append-only record of every publishing step.

One JSON object a line, flushed and fsynced per line. The current state of a
(post, channel, part) is its last line. A torn last line (a crash mid-write) is
skipped with a warning; no earlier line is ever lost or rewritten.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError

STATE_DIR = "state"
LEDGER_FILE = "ledger.jsonl"
LOCK_FILE = "ledger.lock"



class LedgerState(StrEnum):
    """Where one part stands; its last line in the ledger says."""

    PENDING = "pending"        # about to be sent: a later run reconciles, never re-sends blindly
    PUBLISHED = "published"
    FAILED = "failed"          # refused, or nothing reached the network: a later run tries again
    UNCERTAIN = "uncertain"    # may have gone out: waits for `social resolve`
    MISSED = "missed"          # later than max_lateness: never sent without a person
    DELETED = "deleted"        # retracted


PENDING = LedgerState.PENDING
PUBLISHED = LedgerState.PUBLISHED
FAILED = LedgerState.FAILED
UNCERTAIN = LedgerState.UNCERTAIN
MISSED = LedgerState.MISSED
DELETED = LedgerState.DELETED
_STATES: dict[str, LedgerState] = {state.value: state for state in LedgerState}
#: states that settle a part for good: nothing more is sent for it
SETTLED = frozenset({PUBLISHED, MISSED, DELETED})


@dataclass(slots=True)
class Entry:
    """One line of the ledger (treat as read-only; not frozen because that makes reading 30,000
    lines markedly slower)."""

    post: str
    channel: str
    part: int
    state: LedgerState
    at: str
    key: str | None = None
    remote_id: str | None = None
    url: str | None = None
    error: str | None = None
    #: the post's file when this was written, so validation can catch a changed id
    file: str | None = None
    #: what a network needs later (Bluesky: uri and cid for replies); never secrets
    data: dict[str, Any] = field(default_factory=dict)
    #: a fingerprint of the post's text when this was written, so a moved file is still known
    digest: str | None = None
    #: the publish run that wrote the line (its short random id)
    run: str | None = None

    def __post_init__(self) -> None:
        state = _STATES.get(self.state)  # a dict lookup: 30,000 lines are read on every run
        if state is None:
            raise ValueError(f"unknown ledger state {self.state!r}")
        self.state = state

    @property
    def slot(self) -> tuple[str, str, int]:
        return (self.post, self.channel, self.part)

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON data: every key, None where unset."""
        return asdict(self)

    def as_json(self) -> str:
        record = {k: v for k, v in asdict(self).items() if v not in (None, {})}
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


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


class LedgerBusy(PipelineError):
    """Another publisher holds the ledger's lock."""


@dataclass
class LedgerReading:
    entries: list[Entry]
    warnings: list[str]


def read_entries(path: Path) -> LedgerReading:
    """Every complete line of the ledger; a torn or unreadable line is skipped with a warning."""
    entries: list[Entry] = []
    warnings: list[str] = []
    if not path.is_file():
        return LedgerReading(entries, warnings)
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.split("\n")
    try:
        # One parse of the whole file is several times faster than one per line.
        records = json.loads("[" + ",".join(line for line in lines if line.strip()) + "]")
        return LedgerReading([Entry(**record) for record in records], warnings)
    except (ValueError, TypeError):
        pass  # a torn or damaged line: go line by line to keep every good one
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            entries.append(Entry(**record))
        except (ValueError, TypeError) as exc:
            where = "its last line (a run was cut off while writing)" if number >= len(lines) - 1 \
                else f"line {number}"
            warnings.append(f"{path.name}: ignoring {where}: {exc.__class__.__name__}")
    return LedgerReading(entries, warnings)


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
        self._entries = reading.entries
        self._current: dict[tuple[str, str, int], Entry] = {}
        for entry in self._entries:
            self._current[entry.slot] = entry
        self._torn_tail = self._ends_torn()

    def _ends_torn(self) -> bool:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(-1, os.SEEK_END)
                return handle.read(1) != b"\n"
        except OSError:  # missing or empty
            return False

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    def current(self, post: str, channel: str, part: int) -> Entry | None:
        return self._current.get((post, channel, part))

    def parts(self, post: str, channel: str) -> dict[int, Entry]:
        """The current entry of every part of a post on a channel, by part number."""
        return {slot[2]: entry for slot, entry in self._current.items()
                if slot[0] == post and slot[1] == channel}

    def latest(self) -> Iterator[Entry]:
        return iter(self._current.values())

    def published_times(self) -> dict[tuple[str, str], datetime]:
        """(post, channel) -> when its first part went out (UTC): the times cadence counts it at."""
        return published_times(self._current.values())

    def append(self, entry: Entry) -> Entry:
        """Write one line and make it durable before returning."""
        line = entry.as_json().encode("utf-8") + b"\n"
        with self._write_lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as handle:
                if self._torn_tail:
                    # A crash left half a line: end it so this line stays whole.
                    handle.write(b"\n")
                    self._torn_tail = False
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self._entries.append(entry)
            self._current[entry.slot] = entry
            self._read_stamp = self._stamp()
        return entry

    @contextmanager
    def locked(self) -> Iterator[Ledger]:
        """Hold the ledger's lock file so two publishers on one machine never both send."""
        import fcntl

        self.dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole block
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise LedgerBusy("another `social publish` is running on this ledger; "
                                     "wait for it to finish", code="ledger-busy") from None
                raise
            # Another process may have appended since this one read the file.
            if self._changed_since_read():
                self._read()
            yield self
        finally:
            handle.close()


class MemoryLedger(Ledger):
    """A ledger kept in memory only, starting from another's lines: what a dry run records."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.dir = None
        self.path = None
        self.warnings: list[str] = []
        self._write_lock = threading.Lock()
        self._entries = list(entries)
        self._current = {entry.slot: entry for entry in self._entries}

    def append(self, entry: Entry) -> Entry:
        with self._write_lock:
            self._entries.append(entry)
            self._current[entry.slot] = entry
        return entry

    @contextmanager
    def locked(self) -> Iterator[Ledger]:
        yield self
