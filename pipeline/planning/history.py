"""When each post file entered the repository's history: the queue's first-come order.

Ordering queued posts by file name would let a new post whose name sorts early
take the slot of an older one and push every later one back. Ordered by the
commit that added each file, a new post queues behind all the others, so adding
one never moves another.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import git

POSTS = "content/posts"


def added_order(root: Path) -> dict[str, tuple[int, str]]:
    """Post file (relative to `root`) -> (position of the commit that added it, its path then).

    Position 0 is the oldest commit; files added by one commit go by their paths
    at that time. Renames keep the original's place; a file deleted and added
    again counts from its new addition. Empty when `root` is not in a git
    repository or git is missing: then every post is simply "not committed yet".
    """
    try:
        commits = git.history(root, POSTS)
    except git.GitMissing:
        return {}
    order: dict[str, tuple[int, str]] = {}
    for position, commit in enumerate(commits):
        for change in commit.changes:
            if change.status in ("R", "C"):
                start = order.pop(change.old_path, (position, change.path)) if change.status == "R" \
                    else (position, change.path)
                order.setdefault(change.path, start)
            elif change.status == "A":
                order.setdefault(change.path, (position, change.path))
            elif change.status == "D":
                order.pop(change.path, None)
    return order
