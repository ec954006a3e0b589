"""`.social-cache/`: what commands keep between runs (never committed), and how it is read and written.

A pull request may commit anything, here too: a folder on the way that is a link makes
the cache unusable (neither read nor written), a file is read only when it is a regular
file within its limit, and each file is written whole (a fresh file renamed over the
old), so a reader never sees half of one. What a file holds is each command's to check.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from pipeline.files import RegularFiles, UnsafeFile

CACHE_DIR = ".social-cache"
_GITIGNORE = "# what social keeps between runs (docs/validation.md, publishing.md, site.md): never committed\n*\n"


def usable(root: Path, folder: str) -> bool:
    """No link on the way to `root/folder`, and folders where folders are (or nothing yet)."""
    for path in (Path(root) / CACHE_DIR, Path(root) / folder):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            return False
    return True


def read(root: Path, name: str, limit: int) -> bytes | None:
    """The bytes of `root/name`, or None when it is absent or not a regular file within `limit`."""
    if not os.path.lexists(Path(root) / name):
        return None
    try:
        return RegularFiles(root).read(name, limit, "cache file")
    except UnsafeFile:
        return None


def write(root: Path, folder: str, name: str, text: str) -> None:
    """Write `root/folder/name` whole, creating the folders (OSError when it cannot)."""
    top = Path(root) / CACHE_DIR
    if not os.path.isdir(top):
        os.mkdir(top)
        with open(top / ".gitignore", "x", encoding="utf-8") as handle:
            handle.write(_GITIGNORE)
    target = Path(root) / folder
    if not os.path.isdir(target):
        os.mkdir(target)
    if not usable(root, folder):
        return
    handle, temporary = tempfile.mkstemp(dir=target, prefix=".write-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target / name)
    except BaseException:
        os.unlink(temporary)
        raise
