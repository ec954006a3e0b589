"""Reading state/ledger.jsonl strictly: every line is a step of one part, a torn write, or damage.

- A complete line that names its part (post, channel, part) is that part's step. If
  anything else about it is wrong (an unknown state or key, a wrong type, bytes that
  are not UTF-8), the part is read as `unreadable` and waits for a person, exactly
  like `uncertain`: falling back to the part's earlier line could send it again.
- A line that names no part is a torn write only where a crash leaves one: the last
  line, with no newline after it (skipped with a warning). The next append ends it
  with `TORN_MARK`, so it stays recognisable once more lines follow it. Anywhere
  else it is damage: reading stops with `LedgerDamaged`, naming every such line.

A good file is parsed in one `json.loads` (several times faster than one per line);
anything the fast path does not accept is read again line by line, which decides.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.state.entry import UNREADABLE, WRITTEN_STATES, Entry

#: what a run appends to a torn last line before its own line: the piece stays, marked as such
TORN_MARK = " # torn write, ignored"
#: how a person finds where a line came from and repairs it
#: (in the state/ checkout, whichever state branch it holds: a brand's is state-<brand>)
REPAIR = ("`git log -p -- ledger.jsonl` in the state/ checkout shows which commit (which run) wrote each "
          "line; repair the ledger there, on the state branch (fix or remove the line, commit, "
          "`social state push`)")

_KEYS = frozenset(f.name for f in fields(Entry))
_REQUIRED = ("post", "channel", "part", "state", "at")
_TEXT_OR_NONE = ("key", "remote_id", "url", "error", "file", "digest", "run")
_STATE_NAMES = ", ".join(sorted(WRITTEN_STATES))


class LedgerError(PipelineError):
    """The ledger cannot be read or written."""


class LedgerReadError(LedgerError):
    """The ledger exists but cannot be read: a person must look before anything is published."""

    exit_code = 2


class LedgerDamaged(LedgerReadError):
    """A line names no part and is not a torn last line."""


@dataclass
class LedgerReading:
    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)
    #: what to write before the next line: "" (the file ends with a newline or is empty), "\n"
    #: (its last line is whole but unended) or TORN_MARK + "\n" (its last line is torn)
    ending: str = ""
    #: the entries read as `unreadable`, in file order
    unreadable: list[Entry] = field(default_factory=list)


def read_entries(path: Path) -> LedgerReading:
    """Every line of the ledger at `path` (none if there is no file); see the module's rules."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise LedgerReadError("is a link to a file that does not exist; check out the state branch "
                                  "again (`social state checkout`)", file=name, code="ledger-unreadable") from None
        return LedgerReading([])
    except OSError as exc:
        raise _cannot_read(name, exc) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise LedgerReadError(f"is not a file ({kind}): the ledger must be a file; move this away and check out "
                              "the state branch again (`social state checkout`)", file=name,
                              code="ledger-unreadable")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _cannot_read(name, exc) from None
    return parse_text(data, name)


def _cannot_read(name: str, exc: OSError) -> LedgerReadError:
    reason = exc.strerror or str(exc)
    return LedgerReadError(f"cannot be read ({reason}): fix its permissions or the folder it is in; nothing is "
                           "published until the ledger can be read", file=name, code="ledger-unreadable")


def parse_text(data: bytes, name: str) -> LedgerReading:
    """The ledger's bytes read: the whole-file fast path, or line by line when it does not apply."""
    try:
        text = data.decode("utf-8")
        lines = text.split("\n")
        # A torn write, ended by a later append, stays in the file for good: set it aside here too.
        torn = text.count(TORN_MARK + "\n")
        kept = [line for line in lines if line.strip() and not (torn and line.endswith(TORN_MARK))]
        records = json.loads("[" + ",".join(kept) + "]")
        # One value per line: a line holding two values (or a value spread over two lines) is for
        # the line-by-line reading to judge.
        if len(records) == len(kept):
            entries = [Entry(**record) for record in records]
            if _well_formed(entries):
                warnings = [_torn(name, number) for number, line in enumerate(lines, 1)
                            if line.endswith(TORN_MARK)] if torn else []
                return LedgerReading(entries, warnings, "\n" if lines[-1] else "")
    except (ValueError, TypeError):  # not UTF-8, a bad line, an unknown state or key, not an object
        pass
    return parse_lines(data, name)


def _torn(name: str, number: int) -> str:
    return f"{name}: ignoring line {number}: a run was cut off while writing it"


def _well_formed(entries: list[Entry]) -> bool:
    """What `_problem` checks, for entries that were built: every field of the right type."""
    for e in entries:
        if not (type(e.post) is str and e.post and type(e.channel) is str and e.channel
                and type(e.part) is int and e.part >= 1 and e.state is not UNREADABLE
                and type(e.at) is str and _is_time(e.at) and type(e.data) is dict
                and (e.key is None or type(e.key) is str) and (e.remote_id is None or type(e.remote_id) is str)
                and (e.url is None or type(e.url) is str) and (e.error is None or type(e.error) is str)
                and (e.file is None or type(e.file) is str) and (e.run is None or type(e.run) is str)
                and (e.digest is None or type(e.digest) is str)):
            return False
    return True


def parse_lines(data: bytes, name: str) -> LedgerReading:
    """The ledger's bytes read one line at a time: the reading that decides."""
    pieces = data.split(b"\n")
    reading = LedgerReading([])
    damage: list[tuple[int, str]] = []
    for number, piece in enumerate(pieces, 1):
        try:
            line, not_utf8 = piece.decode("utf-8"), False
        except UnicodeDecodeError:
            line, not_utf8 = piece.decode("utf-8", errors="replace"), True
        if not line.strip():
            if line and number == len(pieces):
                reading.ending = "\n"
            continue
        if line.endswith(TORN_MARK):
            reading.warnings.append(_torn(name, number))
            continue
        record, why = _load(line)
        slot, why = _slot(record) if record is not None else (None, why)
        if slot is None:
            if number == len(pieces):  # no newline after it: where a crash mid-write leaves half a line
                reading.warnings.append(f"{name}: ignoring its last line (a run was cut off while writing it)")
                reading.ending = TORN_MARK + "\n"
            else:
                if record is None and line.lstrip().startswith("{") and not line.rstrip().endswith("}"):
                    why = f"cut short, {why}"
                damage.append((number, why))
            continue
        if number == len(pieces):
            reading.ending = "\n"
        problem = "it holds bytes that are not UTF-8" if not_utf8 else _problem(record)
        if problem is None:
            reading.entries.append(Entry(**record))
        else:
            reading.unreadable.append(_unreadable(record, slot, number, problem))
            reading.entries.append(reading.unreadable[-1])
    if damage:
        raise _damaged(name, damage)
    return reading


def _load(line: str) -> tuple[Any, str]:
    try:
        return json.loads(line), ""
    except ValueError as exc:
        return None, f"not JSON ({getattr(exc, 'msg', exc)})"


def _slot(record: Any) -> tuple[tuple[str, str, int] | None, str]:
    """The (post, channel, part) a record names, or None and why it names none."""
    if type(record) is not dict:
        return None, "not a JSON object"
    for key in ("post", "channel"):
        value = record.get(key)
        if type(value) is not str or not value:
            return None, f"not about a part: no {key!r}" if value is None else \
                f"not about a part: {key!r} is {_show(value)}"
    part = _part_number(record.get("part"))
    if part is None:
        return None, "not about a part: no 'part'" if "part" not in record else \
            f"not about a part: 'part' is {_show(record['part'])}"
    return (record["post"], record["channel"], part), ""


def _part_number(value: Any) -> int | None:
    """The part a value names, even where it is written wrong ("1", 1.0), so that part waits for a person."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return None


def _problem(record: dict) -> str | None:
    """Everything wrong with a record that names its part; None when it is a good ledger line."""
    problems = [f"unknown key {key!r}" for key in sorted(record.keys() - _KEYS)]
    problems += [f"no {key!r}" for key in _REQUIRED if key not in record]
    part = record.get("part")
    if type(part) is not int or part < 1:
        problems.append(f"'part' must be a whole number from 1, not {_show(part)}")
    state = record.get("state")
    if state == UNREADABLE.value:
        problems.append("state 'unreadable' is never written by a run")
    elif "state" in record and (type(state) is not str or state not in WRITTEN_STATES):
        problems.append(f"unknown state {_show(state)} (a line says one of {_STATE_NAMES})")
    if "at" in record and not (type(record["at"]) is str and _is_time(record["at"])):
        problems.append(f"'at' must be a time with its offset such as 2026-12-01T09:30:00Z, not {_show(record['at'])}")
    problems += [f"{key!r} must be text, not {_show(record[key])}" for key in _TEXT_OR_NONE
                 if record.get(key) is not None and type(record[key]) is not str]
    if type(record.get("data", {})) is not dict:
        problems.append(f"'data' must be an object, not {_show(record['data'])}")
    return "; ".join(problems) or None


def _is_time(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _show(value: Any) -> str:
    """A value as it stands in the line (JSON), cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _unreadable(record: dict, slot: tuple[str, str, int], number: int, problem: str) -> Entry:
    """The part a bad line names, as a part that waits for a person; what could be kept of the line."""
    def text(key: str) -> str | None:
        value = record.get(key)
        return value if type(value) is str else None

    return Entry(slot[0], slot[1], slot[2], UNREADABLE, text("at") or "", key=text("key"), file=text("file"),
                 digest=text("digest"), run=text("run"), error=f"line {number}: {problem}", data={"line": number})


def _damaged(name: str, damage: list[tuple[int, str]]) -> LedgerDamaged:
    first, why = damage[0]
    also = "".join(f"; so is line {number} ({reason})" for number, reason in damage[1:6])
    more = f"; and {len(damage) - 6} more lines" if len(damage) > 6 else ""
    # Versions before the mark ended a torn line with a bare newline: say how to mark one.
    torn = " A line cut short by a crash may be marked as such instead: end it with" \
        f" `{TORN_MARK.strip()}` (after a space)." if any(r.startswith("cut short") for _, r in damage) else ""
    return LedgerDamaged(f"the ledger is damaged: this line is {why}{also}{more}. {REPAIR}.{torn} "
                         "Until then nothing is published, so nothing can be sent twice.",
                         file=name, line=first, code="ledger-damaged")


def end_line(line: str) -> str:
    """A last line that lacks its newline, ended the way an append ends it (marked when it is torn)."""
    record, _ = _load(line)
    whole = not line.strip() or (record is not None and _slot(record)[0] is not None)
    return line + ("\n" if whole else TORN_MARK + "\n")


def ending_of(path: Path) -> str:
    """What to write before the next line of the file at `path` (see `LedgerReading.ending`)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 65536))
            tail = handle.read()
    except OSError:  # missing: nothing to end
        return ""
    if not tail or tail.endswith(b"\n"):
        return ""
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    return end_line(last)[len(last):]
