"""What `social publish` keeps between runs, so that a run with nothing due costs little.

A scheduled run usually has nothing to do, and must find that out without reading a
five-year calendar and its ledger. `.social-cache/publish/` (never committed) holds:

- `posts.json`: the top of each post file as the selection reads it (its `Head`, see
  select.py), under its blob id and size where git's index vouches for its bytes (`vouched`:
  so that a fresh checkout, as every scheduled run makes, can use records of another), else
  under the file's size, times (mtime and ctime, in nanoseconds) and inode;
- `ledger.json`: what the selection needs of the ledger (`LedgerFacts`), under the
  ledger's size and a hash of its bytes (and its stamp, which spares the hash while it holds);
- `idle.json`: that a run found no file to read and no part pending: for which post files
  (a digest of every path with its size, times and inode), which ledger, which time zone
  (and its rules) and lateness, from when, and until the first time a post's verdict may
  change (the earliest `publish_at` still to come). A run that finds it still holds
  reads no post and not the ledger: it looks at the files' times and stops.

A stat-keyed record is used only for a file whose lstat says exactly what the record says.
A program cannot set a file's ctime (the system sets it to the current time at every
change), so a change is never missed, and such a record made elsewhere matches no file
here. A blob-keyed record is used only for a file git vouches for, and is made only from
bytes that hash to that blob id. A file changed less than two seconds before a run is not
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
import re
import stat
import sys
import time
from array import array
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

from pipeline import cachedir, git
from pipeline.cachedir import CACHE_DIR
from pipeline.content.model import POSTS_DIR, Config
from pipeline.content.posts import MAX_POST_BYTES
from pipeline.errors import PipelineError
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.publish.select import READ, READY, RETRACTED, SKIP, Head, LedgerFacts, head, head_of_bytes, max_lateness
from pipeline.state.ledger import LEDGER_FILE, STATE_DIR
from pipeline.times import zone_rules

FOLDER = f"{CACHE_DIR}/publish"
#: what the records hold; raised whenever that changes
FORMAT = 2
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
#: ["git", blob id, size]: a file whose bytes git vouches for (see `vouched`)
BLOB = "git"

#: one entry of `git ls-files -s -v -z --debug`: tag, mode, object, stage, path, then its cached lstat
_ENTRY = re.compile(rb"([A-Za-z?]) ([0-7]{6}) ([0-9a-f]{40}|[0-9a-f]{64}) ([0-3])\t([^\0]*)\0"
                    rb"  ctime: (\d+):(\d+)\n  mtime: (\d+):(\d+)\n  dev: \d+\tino: (\d+)\n"
                    rb"  uid: \d+\tgid: \d+\n  size: (\d+)\tflags: [0-9a-f]+\n")
_WORD = 0xFFFFFFFF  # the index keeps inode and size in 32 bits


def vouched(root: Path, entries: list[tuple[str, os.stat_result | None]]) -> dict[str, tuple[str, int]]:
    """path -> (blob id, size) for the post files whose bytes git's index vouches for, as `git diff-files`
    would: none outside a git work tree.

    A file counts when its index entry is an ordinary one (tag H: not assume-unchanged, not skip-worktree;
    stage 0; a regular file) whose cached lstat (size, times in nanoseconds, inode) is the file's lstat now,
    and whose times are earlier than the index's own (a later change would give it later times; an
    entry as old as the index is "racily clean", which git settles by reading the file). One process
    lists every entry with its cached lstat. Filters that rewrite files at checkout (`filter.*.smudge`,
    `.process`) put other bytes than the blob's in the work tree: with any of them configured, none
    counts. End-of-line conversion and `ident` change a file's size, which the records also keep.
    """
    try:
        filters = git.run(root, "config", "-z", "--get-regexp", r"^filter\..*\.(smudge|process)$")
        where = git.run(root, "rev-parse", "--is-inside-work-tree", "--git-path", "index", text=True)
        if filters.returncode != 1 or where.returncode or not where.stdout.startswith("true\n"):
            return {}
        index_file = Path(root, where.stdout.split("\n")[1])
        index_ns = index_time(index_file)  # before the listing: a later index is only stricter
        listing = git.run(root, "ls-files", "-s", "-v", "-z", "--debug", "--", POSTS_DIR)
    except (PipelineError, OSError, IndexError):
        return {}
    if listing.returncode:
        return {}
    lstat_of = {path: info for path, info in entries}
    prefix = os.path.join(root, "")
    found: dict[str, tuple[str, int]] = {}
    data = listing.stdout
    at = 0
    for match in _ENTRY.finditer(data):
        if match.start() != at:
            return {}  # not the form this reads: trust none of it
        at = match.end()
        tag, mode, blob, stage, name, c_s, c_ns, m_s, m_ns, ino, size = match.groups()
        if tag != b"H" or stage != b"0" or mode not in (b"100644", b"100755"):
            continue
        path = prefix + os.fsdecode(name)
        info = lstat_of.get(path)
        ctime, mtime = int(c_s) * 10**9 + int(c_ns), int(m_s) * 10**9 + int(m_ns)
        if (info is not None and stat.S_ISREG(info.st_mode) and info.st_size == int(size)
                and info.st_mtime_ns == mtime and info.st_ctime_ns == ctime and info.st_ino & _WORD == int(ino)
                and mtime < index_ns and ctime < index_ns):
            found[path] = (blob.decode("ascii"), info.st_size)
    return found if at == len(data) else {}


def index_time(index_file: Path) -> int:
    """When git last wrote its index (nanoseconds)."""
    return os.stat(index_file).st_mtime_ns


def blob_id(blob: str, data: bytes) -> str:
    """The id git gives a blob of `data`, in the hash of `blob` (SHA-1 or SHA-256)."""
    digest = hashlib.sha1 if len(blob) == 40 else hashlib.sha256
    return digest(b"blob %d\0" % len(data) + data).hexdigest()


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


def post_files_digest(entries: list[tuple[str, os.stat_result | None]],
                blobs: dict[str, tuple[str, int]] | None = None) -> str:
    """Every post file's path with its blob id and size where git vouches for it (`vouched`), else with
    its size, times and inode, in one digest."""
    blobs = blobs or {}
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\0".join([path for path, _ in entries]).encode("utf-8", "surrogateescape"))
    digest.update("\0".join([f"{blobs[path][0]} {blobs[path][1]}" if path in blobs else ""
                             for path, _ in entries]).encode("ascii"))
    # An lstat's hash is that of its fields as whole numbers (mode, inode, device, links, owner, group,
    # size, and the times in whole seconds), alike in every process of one Python version (the code
    # digest holds it). Whole seconds are enough: every file was settled two seconds before the times
    # were recorded, so a later change moves its ctime on by at least a second. A file read since
    # (its atime moved) only costs one run the look at every file.
    digest.update(array("q", [-1 if info is None or path in blobs else hash(info) for path, info in entries]).tobytes())
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


def _valid_bytes_key(value: object) -> bool:
    return type(value) is list and len(value) == 2 and type(value[0]) is int and type(value[1]) is str


def _valid_stamp(value: object) -> bool:
    return type(value) is list and len(value) == 4 and all(type(item) is int for item in value)


def _valid_key(value: object) -> bool:
    return _valid_stamp(value) or (type(value) is list and len(value) == 3 and value[0] == BLOB
                                   and type(value[1]) is str and type(value[2]) is int)


class PublishIndex:
    """The records of `root`, read when first asked for and written by `save`."""

    def __init__(self, root: Path, *, enabled: bool = True, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.root = Path(root)
        self.usable = enabled and cachedir.usable(self.root, FOLDER)
        #: a file whose times are later than this was changed too recently to be recorded
        self.settled_before = clock_ns() - STABLE_NS
        self._prefix = len(os.path.join(self.root, ""))
        self._files = RegularFiles(self.root)
        #: path -> (blob id, size) of the post files git vouches for: set by `look`
        self.blobs: dict[str, tuple[str, int]] = {}
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

    def look(self, entries: list[tuple[str, os.stat_result | None]]) -> str:
        """The digest of the post files (`post_files_digest`), asking git which of them it vouches for."""
        self.blobs = vouched(self.root, entries) if self.usable else {}
        return post_files_digest(entries, self.blobs)

    def entry_settled(self, path: str, info: os.stat_result | None) -> bool:
        """Whether the file's record holds: git vouches for its bytes, or it had not changed for a while."""
        return path in self.blobs or self.settled(stamp_of(info))

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

    def ledger_key(self, stamp: Stamp | None) -> list | None:
        """What the ledger's bytes are: [size, digest of them]. Taken from the record where the ledger's
        stamp is the one recorded with it (no change since), else the file is read and hashed; None when
        there is no file (or it cannot be read: the run reports it)."""
        if stamp is None:
            return None
        kept = self._load("ledger.json")
        if kept is not None and kept.get("stamp") == stamp and _valid_bytes_key(kept.get("ledger")):
            return kept["ledger"]
        return self._hash_ledger()

    def _hash_ledger(self) -> list | None:
        try:
            with open(self.root / STATE_DIR / LEDGER_FILE, "rb") as handle:
                digest = hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16))
                return [handle.tell(), digest.hexdigest()]
        except OSError:
            return None

    def ledger_facts(self, key: list | None) -> LedgerFacts | None:
        """The facts kept for a ledger of these bytes (`ledger_key`), if any."""
        kept = self._load("ledger.json") if key is not None else None
        if kept is None or kept.get("ledger") != key:
            return None
        facts = kept.get("facts")
        if not (type(facts) is dict and _is_texts(facts.get("open")) and _is_texts(facts.get("published"))
                and type(facts.get("pending")) is bool and _is_texts(facts.get("warnings"))
                and type(facts.get("known")) is dict and all(map(_is_texts, facts["known"].values()))):
            return None
        return LedgerFacts(frozenset(facts["open"]), {post: frozenset(channels) for post, channels
                                                      in facts["known"].items()},
                           frozenset(facts["published"]), facts["pending"], list(facts["warnings"]))

    def keep_ledger_facts(self, stamp: Stamp | None, after: Stamp | None, key: list | None,
                          facts: LedgerFacts) -> bool:
        """Keep `facts` of the ledger of bytes `key` read between `stamp` and `after`, if it held still: the
        stamps are alike, and the file had not changed for a while or still has those bytes. The stamp is
        kept with them only in the first case (where it alone shows that the bytes did not change).
        Returns whether the facts are those of `key` (also where nothing could be kept)."""
        if key is None or stamp is None or stamp != after:
            return key is None and stamp is None and after is None
        settled = self.settled(stamp)
        if not settled and self._hash_ledger() != key:
            return False
        self._store("ledger.json", {"ledger": key, "stamp": stamp if settled else None, "facts": {
            "open": sorted(facts.open_posts), "published": sorted(facts.published), "pending": facts.pending,
            "warnings": facts.warnings, "known": {post: sorted(channels) for post, channels in facts.known.items()}}})
        return True

    # -- nothing due ------------------------------------------------------------------

    @staticmethod
    def idle_key(tree: str, ledger: list | None, config: Config) -> list:
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
        blob = self.blobs.get(path)
        key = stamp_of(info) if blob is None else [BLOB, *blob]
        record = self._posts.get(name)
        if (type(record) is list and len(record) == 2 and record[0] == key and _valid_key(record[0])
                and _valid_head(record[1])):
            self._seen[name] = record
            return record[1]
        if blob is not None:
            found = self._blob_head(path, blob)
            if found is not None:
                self._seen[name] = [key, found]
                self._changed = True
                return found
            key = stamp_of(info)
        found = head(path, self._files)
        if self.settled(key):
            self._seen[name] = [key, found]
            self._changed = True
        return found

    def _blob_head(self, path: str, blob: tuple[str, int]) -> Head | None:
        """The Head of the file read now, if its bytes are the blob's (as git would hash them); None if
        not (changed since git looked, or converted at checkout) or it cannot be read."""
        try:
            data = self._files.read(path, MAX_POST_BYTES, "post")
        except UnsafeFile:
            return None
        if len(data) != blob[1] or blob_id(blob[0], data) != blob[0]:
            return None
        return head_of_bytes(path, data)

    def save(self) -> None:
        """Write the post records if any changed (without the files that are gone)."""
        if self._posts is not None and (self._changed or len(self._seen) != len(self._posts)):
            self._store("posts.json", {"posts": self._seen})
