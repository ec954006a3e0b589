"""Who last changed each post file and when, from one `git log` call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline import git

_RECORD = "\x1e"
_FIELD = "\x1f"


@dataclass(frozen=True)
class Change:
    """The last commit that touched a file."""

    author: str
    at: datetime
    commit: str
    subject: str


def last_changes(root: Path, folder: str = "content") -> dict[str, Change]:
    """File (relative to `root`) -> its last commit, for every file under `folder`.

    One `git log` over the folder, newest first, so the first time a file shows up is
    its last change: one process instead of one per file. Without git, outside a
    repository or on any git error the answer is empty: the site shows "not committed".
    """
    try:
        done = git.run(root, "-c", "core.quotepath=off", "log", "--relative", "--no-renames", "--name-only",
                       f"--format={_RECORD}%H{_FIELD}%an{_FIELD}%aI{_FIELD}%s", "--", folder,
                       text=True, timeout=120)
    except (git.GitMissing, git.GitFailed):
        return {}
    if done.returncode != 0:
        return {}
    return parse_log(done.stdout)


def parse_log(text: str) -> dict[str, Change]:
    """The output of `last_changes`' git log, parsed."""
    changes: dict[str, Change] = {}
    for record in text.split(_RECORD):
        header, _, names = record.partition("\n")
        fields = header.split(_FIELD)
        if len(fields) != 4:
            continue
        commit, author, at, subject = fields
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            continue
        change = None
        for name in names.splitlines():
            name = name.strip()
            if name and name not in changes:
                change = change or Change(author, moment, commit, subject)
                changes[name] = change
    return changes
