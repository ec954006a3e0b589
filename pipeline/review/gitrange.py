"""The git side of a preview: which files a range changes, and the repository as it is at a ref."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline import git
from pipeline.errors import UsageError

ADDED, CHANGED, RENAMED, REMOVED = "added", "changed", "renamed", "removed"
_STATUS = {"A": ADDED, "M": CHANGED, "T": CHANGED, "R": RENAMED, "C": ADDED, "D": REMOVED}
#: what a preview reads at each ref; templates/ may be missing (then the defaults apply)
TREES = ("content", "templates")


@dataclass(frozen=True)
class FileChange:
    """One file the range touches; paths relative to the content root, `old_path` for renames."""

    status: str
    path: str
    old_path: str | None = None


@dataclass(frozen=True)
class Range:
    """BASE..HEAD resolved to commits, with the content root's place in the repository."""

    text: str
    base: str
    head: str
    top: Path
    prefix: str


def resolve_range(root: Path, text: str) -> Range:
    """`BASE..HEAD` (the two trees) or `BASE...HEAD` (from where HEAD left BASE) as commits."""
    three = "..." in text
    base, sep, head = text.partition("..." if three else "..")
    if not sep or not base or not head:
        raise UsageError(f"--changed {text!r}: give BASE..HEAD, e.g. origin/main..HEAD")
    try:
        place = git.place_of(root)
        if place is None:
            raise UsageError(f"--changed {text}: {root} is not in a git repository")
        commits = []
        for ref in (base, head):
            commit = git.commit_of(root, ref)
            if commit is None:
                raise UsageError(f"--changed {text}: {ref!r} is no commit, branch or tag here; fetch it "
                                 "first (in CI: fetch-depth: 0)")
            commits.append(commit)
        if three:
            found = git.run(root, "merge-base", *commits, text=True)
            if found.returncode:
                raise UsageError(f"--changed {text}: the two have no common history")
            commits[0] = found.stdout.strip()
    except git.GitMissing:
        raise UsageError("--changed needs git, and git is not installed") from None
    return Range(text, commits[0], commits[1], place.top, place.prefix)


def changed_files(span: Range) -> list[FileChange]:
    """Files under content/ and templates/ that differ between the two commits (renames followed)."""
    paths = [f"{span.prefix}{tree}" for tree in TREES]
    done = git.run(span.top, "diff", "--name-status", "-z", "-M", "--no-ext-diff", span.base, span.head,
                   "--", *paths)
    if done.returncode:
        raise UsageError(f"git diff {span.text} failed: {done.stderr.decode(errors='replace').strip()}")
    fields = done.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    changes, i = [], 0
    while i < len(fields) - 1:
        code = fields[i][:1]
        if code in ("R", "C"):
            old, new = fields[i + 1], fields[i + 2]
            i += 3
        else:
            old, new = None, fields[i + 1]
            i += 2
        status = _STATUS.get(code, CHANGED)
        changes.append(FileChange(status, _inside(new, span.prefix),
                                  _inside(old, span.prefix) if old and code == "R" else None))
    return changes


def _inside(path: str, prefix: str) -> str:
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def extract_tree(span: Range, commit: str, target: Path) -> None:
    """content/ and templates/ of the content root at `commit`, written into `target`.

    No content/ at that commit: nothing is written, and everything is new.
    """
    git.extract_tree(git.Place(span.top, span.prefix), commit, TREES, target)
