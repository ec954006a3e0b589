"""What `social publish` keeps between runs, so that a run with nothing due costs little.

A scheduled run usually has nothing to do, and must find that out without reading a
five-year calendar and its ledger. `.social-cache/publish/` (never committed) holds:

- `posts.json`: the top of each post file as the selection reads it (its `Head`, see
  select.py), under the file's size, times (mtime and ctime, in nanoseconds) and inode;
- `ledger.json`: what the selection needs of the ledger (`LedgerFacts`), under the
  ledger's size, times and inode;
- `idle.json`: that a run found no file to read and no part pending: for which post files
  (a digest of every path with its size, times and inode), which ledger, which time zone
  (and its rules) and lateness, from when, and until the first time a post's verdict may
  change (the earliest `publish_at` still to come). A run that finds it still holds
  reads no post and not the ledger: it looks at the files' times and stops.

A record is used only for a file whose lstat says exactly what the record says. A
program cannot set a file's ctime (the system sets it to the current time at every
change), so a change is never missed, and a record made elsewhere (copied, committed,
made up) matches no file here. A file changed less than two seconds before a run is not
recorded by it (a change within the same tick of the file system's clock would not show:
git's index waits for the same reason). Every record is checked for its type, and
holds the code it came from (the sources of the modules whose answers it keeps): a file
that is not what this code writes is ignored and written anew. The verdict on each file
is made by select.py from its Head in every run that looks at the files one by one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from array import array
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from pipeline import cachedir
from pipeline.cachedir import CACHE_DIR
from pipeline.content.model import Config
from pipeline.files import RegularFiles
from pipeline.publish.select import READ, READY, RETRACTED, SKIP, Head, LedgerFacts, head, max_lateness
from pipeline.state.ledger import LEDGER_FILE, STATE_DIR
from pipeline.times import zone_rules

FOLDER = f"{CACHE_DIR}/publish"
#: what the records hold; raised whenever that changes
FORMAT = 1
#: a file changed this recently (nanoseconds) before a run is not recorded by it
STABLE_NS = 2_000_000_000
#: a record file larger than this is not read
MAX_BYTES = 500_000_000
#: the modules whose answers the records keep: a change to any of them makes every record void
_CODE = ("pipeline.publish.index", "pipeline.publish.select", "pipeline.publish.service",
         "pipeline.content.peek", "pipeline.content.load", "pipeline.times", "pipeline.files",
         "pipeline.state.ledger", "pipeline.state.reading", "pipeline.state.meaning", "pipeline.state.entry")

#: [size, mtime_ns, ctime_ns, inode]
Stamp = list


@cache
def code_digest() -> str:
    """The code the records come from: the sources of `_CODE`, Python's version, the format."""
    digest = hashlib.blake2b(f"{FORMAT}\0{sys.version}".encode(), digest_size=16)
    for name in _CODE:
        __import__(name)
        with open(sys.modules[name].__file__, "rb") as handle:
            digest.update(handle.read() + b"\0")
    return digest.hexdigest()


def stamp_of(info: os.stat_result | None) -> Stamp | None:
    return None if info is None else [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def tree_digest(entries: list[tuple[str, os.stat_result | None]]) -> str:
    """Every post file's path with its size, times and inode, in one digest."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\0".join([path for path, _ in entries]).encode("utf-8", "surrogateescape"))
    # An lstat's hash is that of its fields as whole numbers (mode, inode, device, links, owner, group,
    # size, and the times in whole seconds), alike in every process of one Python version (the code
    # digest holds it). Whole seconds are enough: every file was settled two seconds before the times
    # were recorded, so a later change moves its ctime on by at least a second. A file read since
    # (its atime moved) only costs one run the look at every file.
    digest.update(array("q", [-1 if info is None else hash(info) for _, info in entries]).tobytes())
    return digest.hexdigest()


def _is_texts(value: object) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _valid_head(found: object) -> bool:
    if type(found) is not list or not found:
        return False
    kind = found[0]
    if kind in (READ, SKIP):
        return len(found) == 1
    if kind == RETRACTED:
        return len(found) == 2 and type(found[1]) is str
    return (kind == READY and len(found) == 4 and type(found[1]) is str and type(found[2]) is str
            and (found[3] is None or _is_texts(found[3])))


def _valid_stamp(value: object) -> bool:
    return type(value) is list and len(value) == 4 and all(type(item) is int for item in value)


class PublishIndex:
    """The records of `root`, read when first asked for and written by `save`."""

    def __init__(self, root: Path, *, enabled: bool = True, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.root = Path(root)
        self.usable = enabled and cachedir.usable(self.root, FOLDER)
        #: a file whose times are later than this was changed too recently to be recorded
        self.settled_before = clock_ns() - STABLE_NS
        self._prefix = len(os.path.join(self.root, ""))
        self._files = RegularFiles(self.root)
        self._posts: dict | None = None
        self._seen: dict[str, list] = {}
        self._changed = False

    # -- reading and writing ----------------------------------------------------------

    def _load(self, name: str) -> dict | None:
        """The record file `name` if it is this code's; None otherwise (absent, corrupt, foreign)."""
        if not self.usable:
            return None
        raw = cachedir.read(self.root, f"{FOLDER}/{name}", MAX_BYTES)
        try:
            kept = json.loads(raw) if raw is not None else None
        except (ValueError, RecursionError):
            return None
        if type(kept) is dict and kept.get("format") == FORMAT and kept.get("code") == code_digest():
            return kept
        return None

    def _store(self, name: str, record: dict) -> None:
        if not self.usable:
            return
        text = json.dumps({"format": FORMAT, "code": code_digest(), **record}, separators=(",", ":"))
        with contextlib.suppress(OSError):  # a record that cannot be written costs time next run, nothing else
            cachedir.write(self.root, FOLDER, name, text)

    def settled(self, stamp: Stamp | None) -> bool:
        """Whether a file with this stamp had not changed for a while when the run began."""
        return stamp is not None and stamp[1] < self.settled_before and stamp[2] < self.settled_before

    # -- the ledger -------------------------------------------------------------------

    def ledger_stamp(self) -> Stamp | None:
        """The ledger's stamp (through a link, as it is read); None when there is no file to stamp."""
        try:
            return stamp_of(os.stat(self.root / STATE_DIR / LEDGER_FILE))
        except OSError:
            return None

    def ledger_facts(self, stamp: Stamp | None) -> LedgerFacts | None:
        """The facts kept for a ledger with this stamp, if any."""
        kept = self._load("ledger.json") if stamp is not None else None
        if kept is None or kept.get("ledger") != stamp:
            return None
        facts = kept.get("facts")
        if not (type(facts) is dict and _is_texts(facts.get("open")) and _is_texts(facts.get("published"))
                and type(facts.get("pending")) is bool and _is_texts(facts.get("warnings"))
                and type(facts.get("known")) is dict and all(map(_is_texts, facts["known"].values()))):
            return None
        return LedgerFacts(frozenset(facts["open"]), {post: frozenset(channels) for post, channels
                                                      in facts["known"].items()},
                           frozenset(facts["published"]), facts["pending"], list(facts["warnings"]))

    def keep_ledger_facts(self, stamp: Stamp | None, after: Stamp | None, facts: LedgerFacts) -> None:
        """Keep `facts` of the ledger read between `stamp` and `after`, if it held still."""
        if stamp is None or stamp != after or not self.settled(stamp):
            return
        self._store("ledger.json", {"ledger": stamp, "facts": {
            "open": sorted(facts.open_posts), "published": sorted(facts.published), "pending": facts.pending,
            "warnings": facts.warnings, "known": {post: sorted(channels) for post, channels in facts.known.items()}}})

    # -- nothing due ------------------------------------------------------------------

    @staticmethod
    def idle_key(tree: str, ledger: Stamp | None, config: Config) -> list:
        """What a run with nothing to read depends on besides the time."""
        zone = config.zone.key
        return [tree, ledger, zone, hashlib.blake2b(zone_rules(zone), digest_size=16).hexdigest(),
                max_lateness(config).total_seconds()]

    def idle(self, key: list, now: datetime) -> list[str] | None:
        """The ledger's warnings, if a run with `key` found nothing to read at a time before `now`
        that still holds at `now`; None otherwise."""
        kept = self._load("idle.json")
        if kept is None or kept.get("key") != key or not _is_texts(kept.get("warnings")):
            return None
        try:
            since = datetime.fromisoformat(kept["since"])
            until = datetime.fromisoformat(kept["until"]) if kept["until"] is not None else None
        except (KeyError, TypeError, ValueError):
            return None
        if since.tzinfo is None or (until is not None and until.tzinfo is None):
            return None
        if not (since <= now and (until is None or now < until)):
            return None
        return list(kept["warnings"])

    def keep_idle(self, key: list, now: datetime, until: datetime | None, warnings: list[str]) -> None:
        self._store("idle.json", {"key": key, "since": now.isoformat(),
                                  "until": until.isoformat() if until else None, "warnings": warnings})

    # -- the post files ---------------------------------------------------------------

    def head_of(self, path: str, info: os.stat_result | None) -> Head:
        """The file's Head: kept, where its stamp is the one recorded, else read (and recorded)."""
        if self._posts is None:
            kept = self._load("posts.json")
            posts = kept.get("posts") if kept else None
            self._posts = posts if type(posts) is dict else {}
        name = path[self._prefix:]
        stamp = stamp_of(info)
        record = self._posts.get(name)
        if (type(record) is list and len(record) == 2 and record[0] == stamp and _valid_stamp(record[0])
                and _valid_head(record[1])):
            self._seen[name] = record
            return record[1]
        found = head(path, self._files)
        if self.settled(stamp):
            self._seen[name] = [stamp, found]
            self._changed = True
        return found

    def save(self) -> None:
        """Write the post records if any changed (without the files that are gone)."""
        if self._posts is not None and (self._changed or len(self._seen) != len(self._posts)):
            self._store("posts.json", {"posts": self._seen})
