"""Which posts each check looks at: one problem in a file never hides the checks that do not need it.

A post file with an error is still checked wherever the error does not matter: a
missing alt text does not stop its length or its cadence being checked, nor a wrong
`status:` its id. Otherwise each fix would bring the next error, a review round each.
A check leaves a post out only when a value it reads cannot be used: a key a schema
error left unread (`Post.unread`), a `publish_at` that is no time, an id in doubt.
A notice at the post then says which checks were left out and until what is fixed,
and so does one at a file that could not be read at all.

Publishing is not decided here: a post with any error is never published (see
`Content.broken_files` and publish/plan.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.content.identity import IDENTITY_CODES
from pipeline.content.model import POSTS_DIR, Content, Post
from pipeline.content.schema import ENGAGEMENT_KEYS
from pipeline.errors import ERROR, NOTICE, Finding
from pipeline.times import PUBLISH_AT_CODES

RENDER = "rendering and length"
CADENCE = "cadence"
SAME_TEXT = "the same text nearby"
LATENESS = "whether its time has passed"
#: checks made while reading the file (posts.py, load.py): they need only keys it could read
IDS = "its id against other posts and the ledger"
CHANNELS = "its channels against channels.yml"
IMAGES = "its images and their alt text"
SCHEDULE = "whether it has a time"
READING = frozenset({IDS, CHANNELS, IMAGES, SCHEDULE})

#: what each check reads of a post: front-matter keys ("id": the post's identity)
NEEDS: dict[str, frozenset[str]] = {
    RENDER: frozenset({"channels", "overrides", "thread", "tags", "link", "title", "content_warning", "media",
                       "language", *ENGAGEMENT_KEYS}),
    CADENCE: frozenset({"id", "channels", "publish_at", "queue", "status", "tags", "overrides"}),
    SAME_TEXT: frozenset({"id", "channels", "publish_at", "status", "overrides"}),
    LATENESS: frozenset({"id", "channels", "publish_at", "status"}),
    IDS: frozenset({"id"}),
    CHANNELS: frozenset({"channels"}),
    IMAGES: frozenset({"media"}),
    SCHEDULE: frozenset({"status", "publish_at", "queue"}),
}

#: the check group of `social validate --checks` each check belongs to
GROUPS = {RENDER: "render", CADENCE: "cadence", SAME_TEXT: "content", LATENESS: "ledger",
          IDS: "content", CHANNELS: "content", IMAGES: "content", SCHEDULE: "content"}

#: findings that leave a readable key unusable: a publish_at that is no time, an id that is not the post's own
_DOUBTS = {**{code: "publish_at" for code in PUBLISH_AT_CODES},
           **{code: "id" for code in IDENTITY_CODES | {"id-duplicate"}}}


@dataclass
class Coverage:
    """The posts each check looks at, and the notices for those it leaves out."""

    posts: dict[str, list[Post]] = field(default_factory=dict)
    notices: list[Finding] = field(default_factory=list)


def coverage(content: Content, groups: Iterable[str], findings: list[Finding]) -> Coverage:
    """Every post (read in full or in part) for each check of `groups` that can look at it;
    `findings` are the reading's, as reported (they may leave a value in doubt)."""
    groups = set(groups)
    if content.config is None:  # no check that needs the channels runs at all: channels.yml says why
        groups -= {"render", "cadence", "ledger"}
    checks = [check for check, group in GROUPS.items() if group in groups]
    doubts: dict[str, set[str]] = {}
    errors: dict[str, list[tuple[int, int]]] = {}
    for finding in findings:
        if finding.code in _DOUBTS:
            doubts.setdefault(finding.file, set()).add(_DOUBTS[finding.code])
        if finding.level == ERROR:
            errors.setdefault(finding.file, []).append((finding.line, finding.column))
    found = Coverage({check: [] for check in NEEDS if check not in READING})
    every = [found.posts[check] for check in checks if check not in READING]
    for post in sorted(content.posts + content.partial, key=lambda p: p.file) if content.partial else content.posts:
        unusable = post.unread | doubts[post.file] if post.file in doubts else post.unread
        if not unusable:  # nearly every post: each check looks at it
            for posts in every:
                posts.append(post)
            continue
        left_out: dict[str, list[str]] = {}
        for check in checks:
            # the reading's own checks left out only what it could not read; a doubt came from them
            blocked = (post.unread if check in READING else unusable) & _needs(check, post)
            if blocked:
                left_out.setdefault(_until(blocked, post), []).append(check)
            elif check not in READING:
                found.posts[check].append(post)
        for until, names in left_out.items():
            keys = unusable & set().union(*map(NEEDS.get, names))
            line, column = min(_place(post, key, errors.get(post.file, [])) for key in keys)
            found.notices.append(Finding(post.file, line, column, NOTICE, "not-checked",
                                         f"not checked until {until}: {', '.join(names)}"))
    found.notices += _unread_files(content, checks, findings)
    return found


def _place(post: Post, key: str, errors: list[tuple[int, int]]) -> tuple[int, int]:
    """The first error at or after the key (the one that explains the notice, which then follows
    it), else the key's value."""
    at = post.lines((key,)) if post.lines else (1, 1)
    return min((error for error in errors if error >= at),
               default=post.lines((key, "<value>")) if post.lines else at)


def _needs(check: str, post: Post) -> frozenset[str]:
    # A link carries the post's id in its campaign parameters (utm_campaign), and so in its length.
    if check == RENDER and post.link:
        return NEEDS[check] | {"id"}
    return NEEDS[check]


def _until(blocked: set[str], post: Post) -> str:
    """`publish_at can be read`; an id that was read but is in doubt waits to be settled instead."""
    doubted_id = "id" in blocked and "id" not in post.unread
    keys = sorted(blocked - {"id"} if doubted_id else blocked)
    waits = [f"{' and '.join(keys)} can be read"] if keys else []
    return " and ".join(waits + ["its id is settled (see the error about it)"] * doubted_id)


def _unread_files(content: Content, checks: list[str], findings: list[Finding]) -> list[Finding]:
    """A notice at each post file that could not be read at all: no check looked at it."""
    read = {post.file for post in content.posts} | {post.file for post in content.partial}
    first_errors: dict[str, Finding] = {}
    for finding in findings:
        if finding.level == ERROR and finding.file.startswith(POSTS_DIR + "/") and finding.file not in read:
            first_errors[finding.file] = min(finding, first_errors.get(finding.file, finding))
    return [Finding(file, error.line, error.column, NOTICE, "not-checked",
                    f"not checked until the front matter can be read: {', '.join(checks)}")
            for file, error in sorted(first_errors.items())]
