"""What `social validate` keeps between runs, and when a kept result may be used again.

For each post file the cache keeps one record: the file's reading (its Post and the
findings of reading it, see content/stored.py) and the findings of rendering and
counting it for each of its channels. A record is used only when everything its
result depends on is as it was:

- the reading: the file's bytes, channels.yml (the channels, the time zone) and the
  zone's rules, and what each image the post names turned out to be (its size and
  format, or the problem with it): inspected again unless its file's size, times and
  inode are as they were, and it had not changed for two seconds before the record
  was made (as git trusts its index);
- the rendering, besides: the post's id as resolved against the ledger and git, every
  file under templates/ and content/profiles/;
- both: the code (`fingerprint`: this package's files, every installed distribution's
  name and version, Python's version and its Unicode tables).

Cadence, ids against the ledger, posts whose time has passed and the other checks
across posts are computed over the whole calendar every time.

The records live in `.social-cache/validate/`, 64 JSON files chosen by the post
file's name, so that one changed post rewrites a sixty-fourth of them. A file that is
not JSON, or holds another format or fingerprint, is ignored and written anew; a
record that does not hold what a reading makes is read afresh (StoredError). The
cache folder may be a link a pull request committed: then it is neither read nor
written. It is never committed (`.social-cache/.gitignore`), and never used by
`social publish`, which always reads the posts it sends afresh (publish/index.py keeps
only what rules a post out).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import unicodedata
import zlib
from functools import cache
from pathlib import Path

from pipeline import cachedir
from pipeline.cachedir import CACHE_DIR
from pipeline.times import zone_rules

FOLDER = f"{CACHE_DIR}/validate"
#: what a record holds; raised whenever that changes, so older caches are ignored
FORMAT = 3
SHARDS = 64
#: a shard larger than this is not read (a cache is megabytes, not gigabytes)
MAX_SHARD_BYTES = 200_000_000
_PACKAGE = Path(__file__).resolve().parent.parent


#: the distributions whose code shapes a result: where they are installed, every distribution's name
#: and version is held (so any upgrade there counts)
_DEPENDENCIES = ("yaml", "frontmatter", "pydantic", "pydantic_core", "jinja2", "regex", "twitter_text",
                 "markdown_it", "imagesize", "rapidfuzz", "zoneinfo", "tzdata")


@cache
def fingerprint() -> str:
    """The code a result came from: this package's files, the installed distributions, Python."""
    import importlib.util

    digest = hashlib.blake2b(f"{FORMAT}\0{sys.version}\0{unicodedata.unidata_version}".encode(), digest_size=16)
    folders = set()
    for name in _DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folders.add(os.path.dirname(os.path.dirname(spec.origin)))
    for folder in sorted(folders):
        try:
            names = sorted(name for name in os.listdir(folder) if name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        digest.update("\0".join(names).encode() + b"\1")
    for folder, folders_below, names in os.walk(_PACKAGE):
        folders_below[:] = sorted(name for name in folders_below if name != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, _PACKAGE).encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def file_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def tree_digest(root: Path, relative: str) -> str:
    """What is at `root/relative`: a file's bytes, a link's target, a folder's every name with what it is."""
    digest = hashlib.blake2b(digest_size=16)
    top = os.path.join(root, relative)
    if not os.path.lexists(top):
        return "absent"
    if not os.path.isdir(top) or os.path.islink(top):
        _add_entry(digest, top, "")
        return digest.hexdigest()
    for folder, folders, names in os.walk(top):
        folders.sort()
        for name in sorted(names + [name for name in folders if os.path.islink(os.path.join(folder, name))]):
            path = os.path.join(folder, name)
            _add_entry(digest, path, os.path.relpath(path, top))
    return digest.hexdigest()


def _add_entry(digest, path: str, name: str) -> None:
    digest.update(name.encode() + b"\0")
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        digest.update(b"link\0" + os.readlink(path).encode())
    elif stat.S_ISREG(info.st_mode):
        digest.update(b"file\0")
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except OSError as exc:
            digest.update(f"unreadable\0{exc.errno}".encode())
    else:
        digest.update(f"other\0{stat.S_IFMT(info.st_mode)}".encode())


def config_digest(root: Path, zone_key: str | None) -> str:
    """channels.yml's bytes and its time zone's rules: what reading a post depends on besides the post."""
    digest = hashlib.blake2b(tree_digest(root, "content/channels.yml").encode(), digest_size=16)
    if zone_key:
        digest.update(zone_rules(zone_key))
    return digest.hexdigest()


def _shard_of(file: str) -> int:
    return zlib.crc32(file.encode()) % SHARDS


class ValidationCache:
    """The records of `root`'s post files, by file (relative path); loaded at once, saved by shard."""

    def __init__(self, root: Path, *, enabled: bool = True, folder: str = FOLDER) -> None:
        """`enabled=False`: nothing is read or written (`social validate --no-cache`); `folder`: where under
        `root` the shards are (the site keeps its pages in another)."""
        self.root = Path(root)
        self.folder_name = folder
        self.folder = self.root / folder
        self.usable = enabled and self._usable()
        self._shards: list[dict[str, object]] = [{} for _ in range(SHARDS)]
        self._dirty: set[int] = set()
        if self.usable:
            self._load()

    def _usable(self) -> bool:
        """No link on the way, and folders where folders are (a pull request may commit anything)."""
        return cachedir.usable(self.root, self.folder_name)

    def _load(self) -> None:
        expected = fingerprint()
        for index in range(SHARDS):
            name = f"{self.folder_name}/{index:02d}.json"
            if not os.path.lexists(self.root / name):
                continue
            raw = cachedir.read(self.root, name, MAX_SHARD_BYTES)
            try:
                shard = json.loads(raw) if raw is not None else None
            except (ValueError, RecursionError):
                shard = None
            if (isinstance(shard, dict) and shard.get("format") == FORMAT and shard.get("fingerprint") == expected
                    and isinstance(shard.get("records"), dict)):
                self._shards[index] = shard["records"]
            else:  # corrupt, or from other code: never trusted, written anew
                self._dirty.add(index)

    def get(self, file: str) -> object:
        """The record kept for `file` (not checked: see content/stored.py), or None."""
        return self._shards[_shard_of(file)].get(file)

    def put(self, file: str, record: object) -> None:
        index = _shard_of(file)
        if self._shards[index].get(file) != record:
            self._shards[index][file] = record
            self._dirty.add(index)

    def save(self, present: set[str]) -> None:
        """Write the shards that changed, without the records of files no longer `present`."""
        if not self.usable:
            return
        for index, records in enumerate(self._shards):
            gone = [file for file in records if file not in present]
            for file in gone:
                del records[file]
            if gone:
                self._dirty.add(index)
        if not self._dirty:
            return
        with contextlib.suppress(OSError):  # a cache that cannot be written costs time next run, nothing else
            self._write()

    def _write(self) -> None:
        for index in sorted(self._dirty):
            text = json.dumps({"format": FORMAT, "fingerprint": fingerprint(), "records": self._shards[index]},
                              ensure_ascii=False, separators=(",", ":"))
            cachedir.write(self.root, self.folder_name, f"{index:02d}.json", text)
        self._dirty.clear()
