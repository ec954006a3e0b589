"""Loading the whole content repository and checking what spans several posts."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pipeline.content.channels import load_config
from pipeline.content.identity import History, resolve_identities
from pipeline.content.model import CONTENT_DIR, POSTS_DIR, Content, Post
from pipeline.content.posts import PostReader
from pipeline.errors import ERROR, Finding


def post_files(root: Path) -> list[Path]:
    """Every post file, in a stable order."""
    return [Path(name) for name in post_file_names(root)]


def post_file_stats(root: Path) -> list[tuple[str, os.stat_result | None]]:
    """Every post file as `post_file_names(root)` lists it, with what lstat says of it (None if it
    cannot be asked), sorted: a publish run tells an unchanged file from its size, times and inode."""
    top = os.path.join(root, POSTS_DIR)
    if os.path.islink(top) or os.path.islink(os.path.join(root, CONTENT_DIR)):
        return [(top, _lstat(top))]
    found: list[tuple[str, os.stat_result | None]] = []
    _scan(top, found)
    found.sort(key=lambda item: item[0])
    return found


def _scan(folder: str, found: list[tuple[str, os.stat_result | None]]) -> None:
    """What os.walk (as post_file_names uses it) finds below `folder`, with each file's lstat."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return  # as os.walk: a folder that cannot be listed holds nothing
    append = found.append
    for entry in entries:
        try:
            is_dir = entry.is_dir()  # from the listing: no system call on most file systems
        except OSError:
            is_dir = False
        if is_dir and not entry.is_symlink():
            _scan(entry.path, found)
        elif is_dir or entry.name.endswith(".md"):
            try:
                append((entry.path, entry.stat(follow_symlinks=False)))
            except OSError:
                append((entry.path, None))


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def post_file_names(root: Path, others: list[str] | None = None) -> list[str]:
    """Every post file as a path string, sorted (os.walk: pathlib's rglob costs more than the parse).

    A link to a folder is listed too, though it holds no post: links are not followed,
    and reading it reports so, where a silent skip would lose the posts behind it.
    With `others`, the same walk covers all of content/ and adds every other file there
    to it (paths relative to `root`): validation looks for posts saved where none is read.
    """
    content_dir = os.path.join(root, CONTENT_DIR)
    top = os.path.join(root, POSTS_DIR)
    if os.path.islink(top) or os.path.islink(content_dir):
        return [top]
    found: list[str] = []
    prefix = len(os.path.join(root, "")) if others is not None else 0
    in_posts = top + os.sep
    for folder, folders, names in os.walk(top if others is None else content_dir):
        if others is not None and folder != top and not folder.startswith(in_posts):
            others.extend(os.path.join(folder, name)[prefix:].replace(os.sep, "/") for name in names)
            continue
        for name in names:
            if name.endswith(".md"):
                found.append(os.path.join(folder, name))
            elif others is not None:
                others.append(os.path.join(folder, name)[prefix:].replace(os.sep, "/"))
        found.extend(os.path.join(folder, name) for name in folders
                     if os.path.islink(os.path.join(folder, name)))
    found.sort()
    if others is not None:
        others.sort()
    return found


def load_content(root: Path, history: History | None = None) -> Content:
    """Read channels.yml and every post; a problem in one file never hides another's.

    With `history`, each post is held against the ledger (see identity.py).
    """
    root = Path(root).resolve()
    config, findings = load_config(root)
    others: list[str] = []
    content = read_posts(root, config, findings, post_file_names(root, others), history)
    content.other_files = others
    return content


def read_posts(root: Path, config, findings: list[Finding], files: list[Path] | list[str],
               history: History | None = None, every_post: bool = True) -> Content:
    """Content from the given post files (paths under the resolved `root`).

    With `history` (the ledger's and git's), each post gets the id it went out under
    (see identity.py); `every_post` says whether `files` are all the posts there are.
    """
    reader = PostReader(root, config)
    return assemble(root, config, findings, (reader.read(path) for path in files), history, every_post)


def assemble(root: Path, config, findings: list[Finding], readings: Iterable[tuple[Post | None, list[Finding]]],
             history: History | None = None, every_post: bool = True) -> Content:
    """Content from each post file's reading (its Post, or None, and its findings, in file order),
    with the checks across posts: ids against each other and, with `history`, the ledger."""
    posts: list[Post] = []
    partial: list[Post] = []
    for post, post_findings in readings:
        findings.extend(post_findings)
        if post is not None:
            (partial if post.unread else posts).append(post)
    # A post read in part still has its id, unless that is what cannot be read: it takes part
    # in the checks of ids, so that fixing its other keys brings no new error.
    with_ids = sorted(posts + [post for post in partial if "id" not in post.unread], key=lambda p: p.file) \
        if partial else posts
    if history is not None:
        all_ids = {post.id for post in with_ids} if every_post else None
        findings.extend(resolve_identities(with_ids, history, root, all_ids))
    findings.extend(duplicate_ids(with_ids))
    return Content(root=root, config=config, posts=posts, findings=findings, partial=partial)


def duplicate_ids(posts: list[Post]) -> list[Finding]:
    first: dict[str, Post] = {}
    findings = []
    for post in posts:
        if post.id in first:
            other = first[post.id]
            findings.append(Finding(post.file, post.line_of("id") if post.lines else 1, 1, ERROR,
                                    "id-duplicate", f"id {post.id!r} is also used by {other.file}; "
                                    "every post needs its own id (set id: or rename the file)"))
        else:
            first[post.id] = post
    return findings
