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
        place = git.place_of(root)
        log = git.run(root, "log", "--reverse", "-M", "-z", "--format=%x00%H", "--name-status",
                      "--", POSTS, check=True).stdout
    except (git.GitMissing, git.GitFailed):
        return {}
    if place is None:
        return {}
    base = place.prefix
    order: dict[str, tuple[int, str]] = {}
    tokens = log.decode("utf-8", "surrogateescape").split("\0")
    commit = -1
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "":  # "\0<hash>" starts a commit; a trailing "" ends the log
            commit += 1
            index += 2
            continue
        status = token.lstrip("\n")[:1]
        if status in ("R", "C"):
            old, new = tokens[index + 1], tokens[index + 2]
            start = order.pop(old, (commit, new)) if status == "R" else (commit, new)
            order.setdefault(new, start)
            index += 3
            continue
        path = tokens[index + 1]
        if status == "A":
            order.setdefault(path, (commit, path))
        elif status == "D":
            order.pop(path, None)
        index += 2
    return {path[len(base):]: position for path, position in order.items()
            if path.startswith(base)}
