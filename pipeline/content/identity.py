"""Which post a file is: its identity across renames, moves and reused names.

A post's id is its `id:`, or else its file name, and the ledger knows every post by
id. Files are renamed and moved, names are reused, ids are edited: each of those
could make a post that went out look new (it would go out twice) or a new post look
old (it would never go out). So before anything uses the ids, each post file is
held against the ledger's record of every id (the files it went out from, the text
it had) and against git's renames:

- a file renamed or moved keeps its post: an id taken from the file name follows
  the file's history (git's rename detection, or the same text as a post whose
  file is gone), so the post keeps the id it went out under;
- a new post under an id that already went out from another file is an error
  (`id-reused`), naming both files;
- a post whose `id:` changed after it went out is an error (`id-changed`);
- where the history is not clear (a renamed file whose text changed since it went
  out), an error asks a person to say which post it is (`id-unclear`).

A post with such an error is never published; the others go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline import git
from pipeline.content.model import POSTS_DIR, Post
from pipeline.errors import ERROR, WARNING, Finding

#: the findings of this module: each keeps its post from going out, whatever the ledger says of its id
IDENTITY_CODES = frozenset({"id-changed", "id-reused", "id-unclear"})


def body_digest(body: str) -> str:
    """A short fingerprint of a post's text, recorded in the ledger when it goes out."""
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()[:16]


@dataclass
class Record:
    """What the ledger holds of one post id: the files it went out from, its texts, when."""

    post: str
    files: set[str] = field(default_factory=set)
    digests: set[str] = field(default_factory=set)
    first_at: str = ""


@dataclass
class FileHistory:
    """What git knows of the post files: the paths each had before, and when each was added again."""

    #: file -> its earlier paths, nearest first (renames)
    earlier: dict[str, list[str]] = field(default_factory=dict)
    #: file -> when it was added again after being deleted (ISO 8601 commit times)
    readded: dict[str, list[str]] = field(default_factory=dict)


class History:
    """The ledger's records by id and by file, and git's file history (asked only when needed)."""

    def __init__(self, entries: Iterable, files: Callable[[], FileHistory]) -> None:
        self.by_id: dict[str, Record] = {}
        self.by_file: dict[str, set[str]] = {}
        for entry in entries:
            record = self.by_id.get(entry.post)
            if record is None:
                record = self.by_id[entry.post] = Record(entry.post, first_at=entry.at)
            if entry.file:
                record.files.add(entry.file)
                self.by_file.setdefault(entry.file, set()).add(entry.post)
            digest = getattr(entry, "digest", None)
            if digest:
                record.digests.add(digest)
        self._files = files
        self._history: FileHistory | None = None
        self._gone: bool | None = None

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def _git(self) -> FileHistory:
        if self._history is None:
            self._history = self._files()
        return self._history

    def ancestors(self, file: str, root: Path) -> list[str]:
        """The paths `file` had before, by git's renames (nearest first).

        git is asked only when a file the ledger knows is gone: otherwise no post that
        went out can have been renamed.
        """
        if self._gone is None:
            self._gone = any(not (root / known).is_file() for known in self.by_file)
        return self._git().earlier.get(file, []) if self._gone else []

    def readded_since(self, file: str, since: str) -> bool:
        """Whether `file` was deleted and added again after `since` (a ledger time)."""
        after = _moment(since)
        return after is not None and any(
            (moment := _moment(when)) is not None and moment > after for when in self._git().readded.get(file, ()))


def post_history(root: Path, rev: str | None = None) -> FileHistory:
    """What git knows of the post files up to `rev` (default: HEAD, and what is staged: `git mv`)."""
    try:
        commits = git.history(root, POSTS_DIR, rev or "HEAD")
        if rev is None:
            commits.append(git.Commit(datetime.now(UTC).isoformat(), git.staged_changes(root, POSTS_DIR)))
    except git.GitMissing:
        return FileHistory()
    return file_history(commits)


def file_history(commits: Iterable[git.Commit]) -> FileHistory:
    """Renames and re-additions, from git's commits in time order."""
    history = FileHistory()
    deleted: set[str] = set()
    for commit in commits:
        for change in commit.changes:
            if change.status == "R" and change.old_path:
                history.earlier[change.path] = [change.old_path, *history.earlier.pop(change.old_path, [])]
            elif change.status == "D":
                history.earlier.pop(change.path, None)
                deleted.add(change.path)
            elif change.status == "A":
                history.earlier.pop(change.path, None)
                if change.path in deleted:
                    history.readded.setdefault(change.path, []).append(commit.when)
    return history


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def resolve_identities(posts: list[Post], history: History, root: Path,
                       all_ids: set[str] | None = None) -> list[Finding]:
    """Give each post the id it went out under; findings for what is unclear or reused.

    `all_ids`: the ids of every post in the repository, when all were read (validation);
    None when only some were (a publish run), and then an id that changed is refused
    rather than guessed at.
    """
    if not history:
        return []
    findings: list[Finding] = []
    for post in posts:
        findings.extend(_resolve(post, history, root, all_ids))
    return findings


def _resolve(post: Post, history: History, root: Path, all_ids: set[str] | None) -> list[Finding]:
    record = history.by_id.get(post.id)
    if record is not None:
        if post.file in record.files:
            return _same_file(post, record, history)
        if not record.files or _same_post(post, record, history, root):
            return []  # (a ledger that never recorded files cannot contradict the id)
        if not record.digests and not post.id_from_file:
            return []  # an id written out, in a ledger older than its texts: the id says which post
        if any((root / file).is_file() for file in record.files):
            return []  # the other file is still there: `id-duplicate` or `id-changed` tells
        return [_finding(post, "id-reused", f"id {post.id!r} already went out ({_when(record)}) from "
                         f"{_files(record)}, which is gone; this file is another post under the same id, "
                         f"so it would never go out. Give it its own id (id: {post.id}-2), or, if it is "
                         "that same post moved here, restore the text it went out with")]
    places = [post.file, *history.ancestors(post.file, root)]
    earlier = {old for place in places for old in history.by_file.get(place, ()) if old != post.id}
    if not post.id_from_file:
        changed = [old for old in earlier if all_ids is None or old not in all_ids]
        if changed:
            return [_finding(post, "id-changed", f"this post went out as {changed[0]!r} "
                             f"(state/ledger.jsonl); its id is now {post.id!r}, so it would go out "
                             f"again: set id: {changed[0]}")]
        return []
    if not earlier:
        earlier = _same_text_elsewhere(post, history, root)
    if not earlier:
        return []
    if len(earlier) > 1:
        return [_finding(post, "id-unclear", f"this file's history leads to several posts that went out "
                         f"({', '.join(sorted(earlier))}): set `id:` to the one it is, or to a new id")]
    old = next(iter(earlier))
    record = history.by_id[old]
    digest = body_digest(post.body)
    if record.digests and digest not in record.digests:
        return [_finding(post, "id-unclear", f"this file was {_files(record)}, which went out as {old!r} "
                         f"({_when(record)}), but its text changed since: set id: {old} if it is that "
                         "post (it will not go out again), or give it a new id to post it as new")]
    post.id = old  # the same post, renamed or moved: it keeps the id it went out under
    return []


def _same_file(post: Post, record: Record, history: History) -> list[Finding]:
    """The file the id went out from: the same post, unless the file was replaced since."""
    if not record.digests or body_digest(post.body) in record.digests:
        return []
    if history.readded_since(post.file, record.first_at):
        return [_finding(post, "id-reused", f"id {post.id!r} went out ({_when(record)}) from this file, "
                         "which was deleted since and added again with another text: this is another "
                         f"post under the same id, so it would never go out. Give it its own id (id: "
                         f"{post.id}-2)")]
    return [Finding(post.file, post.body_line, 1, WARNING, "published-edited",
                    f"{post.id} went out ({_when(record)}) with another text: edits after that do not go out. "
                    f"If this is a new post, give it its own id (id: {post.id}-2)")]


def _same_post(post: Post, record: Record, history: History, root: Path) -> bool:
    """Whether the post is the one the record went out from, moved: by git, or by its text."""
    if any(old in record.files for old in history.ancestors(post.file, root)):
        return True
    return bool(record.digests) and body_digest(post.body) in record.digests


def _same_text_elsewhere(post: Post, history: History, root: Path) -> set[str]:
    """Ids that went out with exactly this text from files that are gone: this post, moved."""
    digest = body_digest(post.body)
    return {record.post for record in history.by_id.values()
            if digest in record.digests and not any((root / f).is_file() for f in record.files)}


def _finding(post: Post, code: str, message: str) -> Finding:
    line = post.line_of("id") if post.lines and not post.id_from_file else 1
    return Finding(post.file, line, 1, ERROR, code, message)


def _files(record: Record) -> str:
    return " and ".join(sorted(record.files)) or "an unknown file"


def _when(record: Record) -> str:
    return f"first recorded {record.first_at[:10]}" if record.first_at else "recorded in the ledger"
