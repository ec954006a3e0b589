"""Append-only JSON-lines files in state/ besides the ledger: profiles, inbox, metrics.

Written like the ledger (one O_APPEND write per batch, fsync), so a process killed
mid-write leaves at most a torn last line. Reading skips a line that is not a JSON
object and says so; appending after a torn line first ends it, so the next record
is never glued to the torn one. Two runners' files are merged line by line by
`social state push` (pipeline/state/branch.py), so records carry what makes them
unique and readers keep the last one per key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from pipeline.state.ledger import STATE_DIR


class Journal:
    """state/<name>: records in the order written."""

    def __init__(self, root: Path, name: str) -> None:
        self.path = Path(root) / STATE_DIR / name
        self.warnings: list[str] = []

    @classmethod
    def of_file(cls, path: Path) -> Journal:
        """The journal in any file written the same way (a sample of metrics.jsonl, say)."""
        journal = cls.__new__(cls)
        journal.path = Path(path)
        journal.warnings = []
        return journal

    def records(self) -> list[dict]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        found = []
        for number, line in enumerate(data.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                record = None
            if not isinstance(record, dict):
                self.warnings.append(f"{self.path.name} line {number} cannot be read (cut short by a "
                                     "stopped run?): skipped")
                continue
            found.append(record)
        return found

    def append(self, records: Iterable[dict]) -> int:
        """Write the records in one append; returns how many."""
        lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
                 .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") for record in records]
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        if self._ends_torn():
            data = b"\n" + data
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(lines)

    def _ends_torn(self) -> bool:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() == 0:
                    return False
                handle.seek(-1, os.SEEK_END)
                return handle.read(1) != b"\n"
        except FileNotFoundError:
            return False
