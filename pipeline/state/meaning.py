"""The current state of each part, by what its lines mean rather than by which line came last.

Two publish runs can race (one started from an older ledger), and `social state push`
merges their lines: the remote's first, then ours. So the last line of a part is not
always the latest word on it. What a line can mean is narrow enough to merge by meaning:

- Once a line says `published`, a later `pending`, `failed`, `missed`, `uncertain` or
  unreadable line cannot undo it: no run writes one after a part went out, so it comes
  from a racing run. It is kept as a conflict ("handled by two runs"); the part stays
  published. The same race merged the other way round puts the racing attempt before
  the publication in the file: it is found by its time (`at`, later than the
  publication's) or by how it ended (it may have posted a copy too).
- An attempt is one run's lines for the part; a run that takes over another's pending part
  says so on its lines (data `takes_over`: the other run's id), and continues that attempt.
  Lines without a run (older ledgers) are grouped by key. Two runs that share a key (keys
  derive from the channel, post and part) without one taking over from the other raced. Before anything went
  out, a racing attempt that sent nothing (`failed`, `missed`) does not hide one that
  may have (`pending`, then `uncertain` and unreadable, which wait for a person).
- `published` lines with different `remote_id`s are two copies online: a duplicate.
- `deleted` removes the copy it names (all, when it names none): a real retraction wins.
- A person's word (`social resolve`, data `resolved_by: person`) settles the part and
  its conflicts, whatever came before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pipeline.state.entry import DELETED, FAILED, MISSED, PENDING, PUBLISHED, UNCERTAIN, UNREADABLE, Entry

Slot = tuple[str, str, int]
#: the data key by which a run's line says it takes over another run's pending part
TAKES_OVER = "takes_over"
#: the last state of a racing run's attempt that means it may have posted a second copy
_MAYBE_SENT = frozenset({PENDING, UNCERTAIN, UNREADABLE})
#: before a part went out: how much a state says may have gone out (what another attempt cannot hide)
_RANK = {FAILED: 0, MISSED: 0, PENDING: 1, UNCERTAIN: 2, UNREADABLE: 2}


class ConflictKind(StrEnum):
    DUPLICATE = "duplicate"  # two copies of the part are online
    TWO_RUNS = "two-runs"    # a racing run wrote lines after the part went out; they were ignored


@dataclass
class Conflict:
    """Two runs disagree about one part: what was found, and what a person does about it."""

    kind: ConflictKind
    post: str
    channel: str
    part: int
    #: the published lines that stand: one per copy online (a duplicate has several)
    kept: list[Entry]
    #: two-runs: the racing run's lines that did not undo the publication, in file order
    ignored: list[Entry] = field(default_factory=list)
    #: duplicate in a thread: the copy to keep, the one sent by the run that sent the furthest part
    #: that went out; keeping that run's copy of every part leaves one whole thread, where deleting
    #: it would leave a reply answering nothing
    keep: Entry | None = None
    #: the furthest part of the thread that went out (with `keep`)
    last: int = 0

    @property
    def slot(self) -> Slot:
        return (self.post, self.channel, self.part)

    @property
    def urls(self) -> list[str]:
        return [e.url or e.remote_id or "(no link)" for e in self.kept]

    @property
    def needs_person(self) -> bool:
        """A duplicate, or a racing attempt that may have posted a second copy (or cannot be read)."""
        if self.kind == ConflictKind.DUPLICATE:
            return True
        return any(attempt[-1].state in _MAYBE_SENT for attempt in _attempts(self.ignored))

    @property
    def resolve_command(self) -> str:
        return f"social resolve {self.post} --channel {self.channel} --part {self.part} --published"

    def what(self) -> str:
        """What was found, without the part's name."""
        if self.kind == ConflictKind.DUPLICATE:
            return f"posted {_times(len(self.kept))}: {_and(self.urls)}{_runs(self.kept)}"
        kept = self.kept[-1]
        said = _and([f"{e.state}" + (f" ({e.error})" if e.error and e.state != PENDING else "")
                     for e in self.ignored])
        return (f"published {self.urls[-1]} at {kept.at}{_runs([kept])}; later lines from {self._others()} "
                f"said {said}: ignored, it stays published")

    def todo(self) -> str:
        """What a person does about it."""
        if self.kind == ConflictKind.DUPLICATE:
            if self.keep is not None:
                url = self.keep.url or self.keep.remote_id
                why = (f"part {self.part + 1} of the thread kept answers it" if self.part < self.last
                       else f"it answers part {self.part - 1} of the thread kept")
                others = "the other" if len(self.kept) == 2 else "the others"
                return f"keep {url} ({why}) and delete {others} by hand, then: {self.resolve_command} {url}"
            return f"delete one by hand, then: {self.resolve_command} <the link of the one kept>"
        if self.needs_person:
            return (f"{self._others()} may have posted a second copy: look at the account, delete any second copy "
                    f"by hand, then: {self.resolve_command} <the link of the one kept>")
        return f"nothing to do ({self._others()} sent nothing)"

    def _others(self) -> str:
        runs = list(dict.fromkeys(e.run for e in self.ignored if e.run))
        return f"run {_and(runs)}" if runs else "another run"

    def message(self) -> str:
        """One line for a person: which part, what was found, what to do."""
        name = "posted twice" if self.kind == ConflictKind.DUPLICATE else "handled by two runs"
        what = self.what()
        if self.kind == ConflictKind.DUPLICATE:
            what = what.split(": ", 1)[1]  # "posted twice" already says it
        return f"{self.post} part {self.part} on {self.channel}: {name}: {what}: {self.todo()}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "post": self.post, "channel": self.channel, "part": self.part,
                "needs_person": self.needs_person, "urls": self.urls, "message": self.message(),
                "kept": [e.as_dict() for e in self.kept], "ignored": [e.as_dict() for e in self.ignored]}


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _runs(entries: list[Entry]) -> str:
    runs = list(dict.fromkeys(e.run for e in entries if e.run))
    return f" (run {_and(runs)})" if len(runs) == 1 else (f" (runs {_and(runs)})" if runs else "")


class _Copies:
    """A part that went out and was written about again: its copies online, and what racing runs said."""

    __slots__ = ("ignored", "last", "online")

    def __init__(self, published: Entry) -> None:
        self.online: dict[str | None, Entry] = {published.remote_id: published}
        self.ignored: list[Entry] = []
        #: the newest published line, still shown once every copy is deleted
        self.last = published

    def publish(self, entry: Entry) -> None:
        remote_id = entry.remote_id
        if remote_id is None and self.online:  # a line about the copy already known (a failed retraction)
            remote_id = next(reversed(self.online))
        self.online.pop(remote_id, None)  # re-inserted last: the newest word on that copy
        self.online[remote_id] = entry
        self.last = entry


class PartStates:
    """Folds ledger lines, in file order, into each part's current entry and the conflicts found.

    Most parts are pending then published once; only a part written about again after it
    went out gets a `_Copies`, which keeps reading 30,000 lines fast.
    """

    def __init__(self) -> None:
        self.current: dict[Slot, Entry] = {}
        self._copies: dict[Slot, _Copies] = {}
        #: each part's lines since it last went out (or was retracted), to catch a race merged the other way
        self._open: dict[Slot, list[Entry]] = {}

    def add(self, entry: Entry) -> None:
        slot = (entry.post, entry.channel, entry.part)
        state = entry.state
        data = entry.data
        if data and data.get("resolved_by") == "person":  # a person's word settles it
            self.current[slot] = entry
            self._open.pop(slot, None)
            self._copies.pop(slot, None)
            return
        current = self.current.get(slot)
        copies = self._copies.get(slot)
        if state is PUBLISHED:
            earlier = self._open.pop(slot, None)
            if earlier is None or (len(earlier) == 1 and entry.key and earlier[0].key == entry.key):
                late = None  # nothing before it, or its own pending line: by far the most common case
            else:
                late = _racing(earlier, entry)
            if copies is None:
                if current is not None and current.state is PUBLISHED:
                    if entry.remote_id in (current.remote_id, None) and not late:
                        self.current[slot] = entry  # the same copy, written about again
                        return
                    copies = self._copies[slot] = _Copies(current)
                elif late:
                    copies = self._copies[slot] = _Copies(entry)
                else:
                    self.current[slot] = entry
                    return
            if copies.ignored:  # its own attempt's lines: it is a copy now (a duplicate, if another)
                copies.ignored = [e for e in copies.ignored if not _one_attempt(e, entry)]
            if late:
                copies.ignored += late
            copies.publish(entry)
            self.current[slot] = entry
        elif state is DELETED:
            self._open.pop(slot, None)
            if copies is not None:
                if entry.remote_id in copies.online:
                    del copies.online[entry.remote_id]
                else:
                    copies.online.clear()
                if copies.online:  # another copy is still out there
                    self.current[slot] = next(reversed(copies.online.values()))
                    return
                if not copies.ignored:
                    del self._copies[slot]
            self.current[slot] = entry
        elif copies is not None and copies.online:
            copies.ignored.append(entry)  # a racing run's word after the part went out: it stays out
        elif copies is None and current is not None and current.state is PUBLISHED:
            self._copies[slot] = copies = _Copies(current)
            copies.ignored.append(entry)
        else:
            open_lines = self._open.get(slot)
            if open_lines is None:
                self._open[slot] = [entry]
                self.current[slot] = entry
            else:
                open_lines.append(entry)
                self.current[slot] = entry if all(_one_attempt(e, entry) for e in open_lines) \
                    else _most_telling(open_lines)

    def conflicts(self) -> list[Conflict]:
        """Every conflict found, in the order the parts first went out."""
        found = []
        furthest = self._furthest() if self._copies else {}
        for (post, channel, part), copies in self._copies.items():
            online = list(copies.online.values())
            if len({e.remote_id for e in online if e.remote_id is not None}) > 1:
                last = furthest.get((post, channel))
                keep = _sent_by(online, last) if last is not None and last.part > 1 else None
                found.append(Conflict(ConflictKind.DUPLICATE, post, channel, part, online, keep=keep,
                                      last=last.part if keep else 0))
            if copies.ignored:
                found.append(Conflict(ConflictKind.TWO_RUNS, post, channel, part, online[-1:] or [copies.last],
                                      list(copies.ignored)))
        return found


    def _furthest(self) -> dict[tuple[str, str], Entry]:
        """(post, channel) -> the current line of its furthest part that went out, where there are copies."""
        posts = {(post, channel) for post, channel, _ in self._copies}
        found: dict[tuple[str, str], Entry] = {}
        for (post, channel, part), entry in self.current.items():
            before = found.get((post, channel))
            if (post, channel) in posts and entry.state is PUBLISHED and (before is None or part > before.part):
                found[(post, channel)] = entry
        return found


def _sent_by(copies: list[Entry], later: Entry) -> Entry | None:
    """The one copy the run that wrote `later` sent (or the run it took over from), if there is one."""
    if not later.run:
        return None
    runs = {later.run, _taken_over(later)}
    sent = [copy for copy in copies if copy.run and copy.run in runs]
    return sent[0] if len(sent) == 1 else None


def _one_attempt(a: Entry, b: Entry) -> bool:
    """Whether two lines belong to one attempt at their part: the same run, or a run that took the
    other's pending part over. Lines without runs (older ledgers) go by key; lines that nothing tells
    apart count as one."""
    if a.run and b.run:
        return a.run == b.run or _taken_over(a) == b.run or _taken_over(b) == a.run
    if a.key and b.key:
        return a.key == b.key
    return True


def _taken_over(entry: Entry) -> str | None:
    taken = entry.data.get(TAKES_OVER) if isinstance(entry.data, dict) else None
    return taken if isinstance(taken, str) and taken else None


def _attempts(lines: list[Entry]) -> list[list[Entry]]:
    """Lines grouped into attempts: a run's lines, and the lines of a run that took over from it
    (transitively); lines without a run, by key."""
    groups: list[tuple[set, list[Entry]]] = []
    for entry in lines:
        if entry.run:
            ids = {("run", entry.run)}
            if _taken_over(entry):
                ids.add(("run", _taken_over(entry)))
        else:
            ids = {("key", entry.key)} - {("key", None)}
        joined = [group for group in groups if group[0] & ids]
        for group in joined[1:]:
            joined[0][0].update(group[0])
            joined[0][1].extend(group[1])
            groups.remove(group)
        if joined:
            joined[0][0].update(ids)
            joined[0][1].append(entry)
        else:
            groups.append((ids, [entry]))
    return [sorted(group[1], key=lines.index) if len(group[1]) > 1 else group[1] for group in groups]


def _most_telling(lines: list[Entry]) -> Entry:
    """Of several attempts' lines before anything went out: the last line of the attempt that says
    most may have gone out (the newest such, on a tie)."""
    ends = sorted((attempt[-1] for attempt in _attempts(lines)), key=lines.index)
    return max(reversed(ends), key=lambda entry: _RANK[entry.state])


def _racing(earlier: list[Entry], published: Entry) -> list[Entry]:
    """The lines before a publication (in the file) of another attempt that raced it.

    An attempt raced it if it may have posted a copy too (it ended pending, uncertain or
    unreadable), or if any of its lines is later in time than the publication.
    """
    racing = []
    for lines in _attempts([entry for entry in earlier if not _one_attempt(entry, published)]):
        if lines[-1].state in _MAYBE_SENT or any(_later(e.at, published.at) for e in lines):
            racing += lines
    return racing


def _later(a: str, b: str) -> bool:
    """Whether time `a` is after time `b`; as text when both are in the ledger's own form (fast)."""
    if len(a) == len(b) and a[-1:] == "Z" and b[-1:] == "Z":
        return a > b
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except (TypeError, ValueError):  # an unreadable line's time: keep it in view
        return True
