"""Checking the images a post attaches: inside content/, present, really images, described."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

from pipeline.content.model import Media
from pipeline.files import RegularFiles, UnsafeFile

#: the largest media file read at all; each network's own limit is checked after
MAX_MEDIA_BYTES = 200_000_000

_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def sniff_format(head: bytes) -> str | None:
    """The image format from the first bytes of a file, or None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


class MediaProblem(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MediaLibrary:
    """Looks up media files under content/, once per path."""

    def __init__(self, content_dir: Path, files: RegularFiles | None = None) -> None:
        self.content_dir = content_dir
        self.files = files or RegularFiles(content_dir.parent)
        self._cache: dict[str, Media | MediaProblem] = {}
        self._outcomes: dict[str, list] = {}

    def inspect(self, path: str, alt: str | None, index: int) -> Media:
        """Media for `path`; raises MediaProblem saying what is wrong and what to do."""
        found = self._cache.get(path)
        if found is None:
            try:
                found = self._inspect(path)
            except MediaProblem as problem:
                found = problem
            except (OSError, ValueError) as exc:
                # too long a name, no permission, a loop of links: say so, never crash
                reason = getattr(exc, "strerror", None) or str(exc)
                found = MediaProblem("media-unreadable", f"content/{path} cannot be read "
                                     f"({reason}); check the path and the file's permissions")
            self._cache[path] = found
        if isinstance(found, MediaProblem):
            raise found
        return Media(path=path, alt=alt, index=index, width=found.width, height=found.height,
                     format=found.format, bytes=found.bytes)

    def outcome(self, path: str) -> list:
        """What `path` turned out to be, as plain data: [width, height, format, bytes], or the
        problem's [code, message]."""
        found = self._outcomes.get(path)
        if found is None:
            try:
                media = self.inspect(path, None, 0)
            except MediaProblem as problem:
                found = [problem.code, problem.message]
            else:
                found = [media.width, media.height, media.format, media.bytes]
            self._outcomes[path] = found
        return found

    def signature(self, path: str) -> list | None:
        """The file's size, times, inode and device, as a cache record keeps them: while they stay the
        same, so does the file (see validation/cache.py for when they are trusted); None where
        there is no regular file (its outcome then says why, cheaply)."""
        try:
            info = os.lstat(self.content_dir / path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]

    def _inspect(self, path: str) -> Media:
        if not path.strip():
            raise MediaProblem("media-missing", "the media path is empty; write the image's "
                               "path relative to content/, e.g. path: media/photo.jpg")
        if any(ord(char) < 32 for char in path):
            raise MediaProblem("media-path-invalid", f"media path {path!r} holds a control "
                               "character (a line break, tab or NUL); write a plain path such "
                               "as media/photo.jpg")
        if os.path.isabs(path) or path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
            raise MediaProblem("media-outside-content", f"media path {path!r} is absolute; write "
                               "it relative to content/, e.g. media/photo.jpg")
        if ".." in Path(path).parts:
            raise MediaProblem("media-outside-content", f"media path {path!r} leads outside "
                               "content/; keep images in content/media/")
        try:
            handle = self.files.open(self.content_dir / path, MAX_MEDIA_BYTES, "media file")
        except UnsafeFile as problem:
            raise self._problem(path, problem) from None
        with handle:
            size = os.fstat(handle.fileno()).st_size
            image_format = sniff_format(handle.read(32))
            if image_format is None:
                raise MediaProblem("media-not-image", f"content/{path} is not a JPEG, PNG, GIF or "
                                   "WebP image (whatever its name says); export it as one of those")
            import imagesize  # only when a post has images

            handle.seek(0)
            # The open handle, never the path: the path could be followed anew.
            width, height = imagesize.get(handle)
        if width <= 0 or height <= 0:
            raise MediaProblem("media-not-image", f"content/{path} looks like {image_format} but "
                               "its size cannot be read, so the file seems cut off; export or "
                               "copy it again")
        return Media(path=path, alt=None, index=0, width=width, height=height,
                     format=image_format, bytes=size)

    def _problem(self, path: str, problem: UnsafeFile) -> MediaProblem:
        if problem.code == "file-is-link":
            return MediaProblem("media-is-link", problem.message.replace("the file itself",
                                                                         "the image itself"))
        if problem.code == "file-not-regular" and (self.content_dir / path).is_dir():
            return MediaProblem("media-missing", f"content/{path} is a folder, not an image; "
                                f"name the file, e.g. {path.rstrip('/')}/photo.jpg")
        if problem.code == "file-unreadable" and not (self.content_dir / path).exists():
            return MediaProblem("media-missing", f"media file content/{path} does not exist"
                                + self._hint(path))
        if problem.code == "file-too-large":
            return MediaProblem("media-too-large", problem.message)
        return MediaProblem("media-unreadable", problem.message)

    def _hint(self, path: str) -> str:
        folder = (self.content_dir / path).parent
        if not folder.is_dir():
            return "; put images in content/media/"
        names = [str(p.relative_to(self.content_dir).as_posix()) for p in folder.iterdir()]
        guess = difflib.get_close_matches(path, names, n=1)
        return f"; did you mean {guess[0]!r}?" if guess else ""
