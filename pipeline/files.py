"""Reading a repository's files as a pull request may have left them.

A file in a pull request can be a symbolic link (to /proc/self/environ, to
.git/config, to /dev/zero, to a file outside the repository), a named pipe or a
device, or simply huge. Everything the tool reads from the repository goes through
here: only regular files, never through a link (neither the file itself nor any
folder between the repository and it), and never more than the file's limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# O_NONBLOCK: opening a named pipe must not wait for a writer (for a regular file it
# changes nothing); O_NOFOLLOW: the last step of the path is never a link.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


class UnsafeFile(Exception):
    """A file the tool will not read; `code` and `message` make the finding."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RegularFiles:
    """Reads files under `root` safely; remembers the folders it has checked.

    `root` itself may be reached through links (it is where the user keeps the
    checkout); below it, nothing is.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = os.path.realpath(root)
        self._given = os.path.abspath(root)
        self._checked_folders: dict[str, UnsafeFile | None] = {self.root: None}

    def _absolute(self, path: Path | str) -> str:
        """`path` under the real root, also when it was built from the root as given."""
        path = os.path.normpath(os.path.join(self._given, os.fspath(path)))
        if self._given != self.root and (path + os.sep).startswith(self._given + os.sep):
            path = self.root + path[len(self._given):]
        return path

    def name_of(self, path: str) -> str:
        """`path` as the user knows it: relative to the repository, with slashes."""
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def open(self, path: Path | str, limit: int, what: str = "file"):
        """A binary handle on the regular file at `path` (absolute, or relative to the root).

        Raises UnsafeFile for a link, anything but a regular file, a file larger
        than `limit` bytes, or a path outside the root; OSError never escapes.
        """
        path = self._absolute(path)
        self._check_folders(os.path.dirname(path))
        descriptor = self._descriptor(path)
        try:
            self._check(path, os.fstat(descriptor), limit, what)
        except BaseException:
            os.close(descriptor)
            raise
        return os.fdopen(descriptor, "rb")

    def read(self, path: Path | str, limit: int, what: str = "file") -> bytes:
        """The bytes of the regular file at `path`, at most `limit` (UnsafeFile as for open).

        Straight from the descriptor, with one fstat: validation reads thousands of posts."""
        path = self._absolute(path)
        self._check_folders(os.path.dirname(path))
        descriptor = self._descriptor(path)
        try:
            # The size from fstat first: reading up to the limit would allocate the whole limit.
            wanted = self._check(path, os.fstat(descriptor), limit, what).st_size + 1
            chunks = []
            while wanted > 0 and (chunk := os.read(descriptor, wanted)):
                chunks.append(chunk)
                wanted -= len(chunk)
        except OSError as exc:
            raise UnsafeFile("file-unreadable", f"{self.name_of(path)} cannot be read ({exc.strerror}); "
                             "check that it exists and may be read") from None
        finally:
            os.close(descriptor)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if len(data) > limit:  # it grew while we read
            raise _too_large(self.name_of(path), len(data), limit, what)
        return data

    def _check(self, path: str, info: os.stat_result, limit: int, what: str) -> os.stat_result:
        if stat.S_ISDIR(info.st_mode):
            raise UnsafeFile("file-not-regular", f"{self.name_of(path)} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile("file-not-regular", f"{self.name_of(path)} is {_kind(info.st_mode)}, "
                             f"not a regular file; replace it with the {what} itself")
        if info.st_size > limit:
            raise _too_large(self.name_of(path), info.st_size, limit, what)
        return info

    def link_problem(self, path: Path | str) -> UnsafeFile | None:
        """Why `path` (a file or folder) cannot be used because of a link, if it cannot."""
        path = self._absolute(path)
        try:
            self._check_folders(os.path.dirname(path))
            if os.path.islink(path):
                return _link(self.name_of(path), os.path.isdir(path))
        except UnsafeFile as problem:
            return problem
        return None

    def _descriptor(self, path: str) -> int:
        try:
            return os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            if os.path.islink(path):  # ELOOP from O_NOFOLLOW
                raise _link(self.name_of(path), os.path.isdir(path)) from None
            raise UnsafeFile("file-unreadable", f"{self.name_of(path)} cannot be read "
                             f"({exc.strerror}); check that it exists and may be read") from None

    def _check_folders(self, folder: str) -> None:
        """Every folder from the root down to `folder` is a real folder, not a link."""
        known = self._checked_folders.get(folder, False)
        if known is None:
            return
        if known:
            raise known
        problem: UnsafeFile | None = None
        if folder == os.path.dirname(folder) or not (folder + os.sep).startswith(self.root + os.sep):
            problem = UnsafeFile("file-outside", f"{folder} is outside the repository; "
                                 "keep every file inside it")
        else:
            self._check_folders(os.path.dirname(folder))
            if os.path.islink(folder):
                problem = _link(self.name_of(folder), True)
        self._checked_folders[folder] = problem
        if problem:
            raise problem


def _link(name: str, folder: bool) -> UnsafeFile:
    if folder:
        return UnsafeFile("file-is-link", f"{name} is a symbolic link to a folder; links are not "
                          "followed: make it a real folder holding the files themselves")
    return UnsafeFile("file-is-link", f"{name} is a symbolic link; links are not followed: "
                      "put the file itself here")


def _too_large(name: str, size: int, limit: int, what: str) -> UnsafeFile:
    return UnsafeFile("file-too-large", f"{name} is {_size(size)}; a {what} is at most "
                      f"{_size(limit)}")


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1e6:.1f} MB"
    return f"{count / 1000:.0f} kB" if count >= 1000 else f"{count} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
