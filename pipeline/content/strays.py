"""Files under content/ that look like posts but are never read as one, and images no post uses.

Posts are the files ending in `.md` under content/posts/; nothing else is read as a post.
A post saved as `offer.MD`, `offer.markdown` or `offer.txt`, or next to channels.yml,
would never be published, and nothing said so. Such a file is found by its name (a
Markdown or text extension, or none) and its first line (the `---` that opens front
matter), read without following links; channels.yml, hidden files and editor backups
are left alone, and so is any file without front matter (a README, notes).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from pathlib import Path

from pipeline.content.model import CONTENT_DIR, POSTS_DIR, Post
from pipeline.content.newpost import slugify
from pipeline.content.posts import POST_ID
from pipeline.errors import NOTICE, WARNING, Finding
from pipeline.files import RegularFiles, UnsafeFile

#: extensions people give Markdown and text files (compared in lower case); "" is none at all
POST_LIKE = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt", ".mdtext", ".txt",
                       ".text", ""})
CONFIG = f"{CONTENT_DIR}/channels.yml"
MEDIA_DIR = f"{CONTENT_DIR}/media"
_ANY_SIZE = 1 << 40  # only the first bytes are read
#: the opening line of front matter, after an optional byte-order mark
_OPENING = re.compile(rb"^(?:\xef\xbb\xbf)?-{3,}[ \t]*\r?$", re.MULTILINE)


def stray_findings(root: Path, other_files: Iterable[str]) -> list[Finding]:
    """A warning at each file (relative to `root`, not read as a post) that looks like a post."""
    files = RegularFiles(root)
    findings = []
    for path in other_files:
        folder, name = posixpath.split(path)
        stem, suffix = _split(name)
        if path == CONFIG or name.startswith(".") or name.endswith("~") or suffix.lower() not in POST_LIKE:
            continue
        in_posts = folder == POSTS_DIR or folder.startswith(POSTS_DIR + "/")
        # `.MD` in content/posts/ is meant as a post, front matter or not
        if not (in_posts and suffix.lower() == ".md") and not _opens_front_matter(files, path):
            continue
        message = "this looks like a post but is never read, so it would never be published: "
        if not in_posts:
            message += (f"posts are read only from {POSTS_DIR}/; move it there, e.g. to "
                        f"{POSTS_DIR}/YYYY/MM/{_usable(stem)}.md")
        elif _taken(root / folder / f"{_usable(stem)}.md", root / path):
            message += (f"only files ending in .md (lower case) are posts, and {_usable(stem)}.md is taken by "
                        "another post: rename it to a new name ending in .md")
        else:
            message += f"only files ending in .md (lower case) are posts; rename it to {_usable(stem)}.md"
        findings.append(Finding(path, 1, 1, WARNING, "file-not-read", message))
    return findings


def _split(name: str) -> tuple[str, str]:
    """(stem, extension), the stem without any further post-like extension: `offer.md.txt` -> offer."""
    stem, suffix = posixpath.splitext(name)
    while True:
        inner, more = posixpath.splitext(stem)
        if not more or more.lower() not in POST_LIKE:
            return stem, suffix
        stem = inner


def _usable(stem: str) -> str:
    """The name as it can be an id (the file name is the id of a post without `id:`)."""
    return stem if POST_ID.match(stem) else slugify(stem)


def _taken(target: Path, path: Path) -> bool:
    """Whether another file has the name (on a case-insensitive disk `offer.md` may be `offer.MD` itself)."""
    try:
        return target.exists() and not target.samefile(path)
    except OSError:
        return False


def _opens_front_matter(files: RegularFiles, path: str) -> bool:
    """Whether the file starts with a `---` line; a link, pipe or unreadable file is no post."""
    try:
        with files.open(path, _ANY_SIZE) as handle:
            head = handle.read(64)
    except UnsafeFile:
        return False
    return _OPENING.match(head) is not None


def unused_media(other_files: Iterable[str], posts: Iterable[Post], shown: Iterable[str] = ()) -> list[Finding]:
    """A notice at each file under content/media/ that no post names, nor `shown` (paths under content/:
    the pictures of profiles and link cards)."""
    used = {posixpath.normpath(f"{CONTENT_DIR}/{path}")
            for path in [*(path for post in posts for path in post.media_paths), *shown]}
    return [Finding(path, 1, 1, NOTICE, "media-unused", "no post uses this file: delete it if it is no longer "
                    "needed, or attach it to a post (media: - path: " + path.removeprefix(CONTENT_DIR + "/") + ")")
            for path in sorted(other_files)
            if path.startswith(MEDIA_DIR + "/") and path not in used and not posixpath.basename(path).startswith(".")]
