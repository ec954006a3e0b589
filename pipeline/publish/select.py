"""Which post files a publish run must read in full.

A scheduled run usually has nothing to do; reading and validating every post
of a five-year calendar would make each run cost seconds. A cheap look at the
top-level `publish_at`, `status` and `id` lines rules out the files that cannot
be due: future posts, drafts, and posts long past that the ledger already
knows. Anything unclear is read in full, so this never hides a due post.

What the top of a file says (its `Head`) depends on its bytes alone, and what the
ledger says (`LedgerFacts`) on the ledger's alone: publish/index.py keeps both between
runs, so that a run with nothing due reads neither the posts nor the ledger when they
did not change. The verdict on each file is made here, from them, in every run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.content.load import post_file_stats
from pipeline.content.model import Config, PostStatus
from pipeline.content.peek import peek, peek_words
from pipeline.content.posts import MAX_POST_BYTES
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.state.ledger import FAILED, PARTS, PENDING, PUBLISHED, Entry, Ledger
from pipeline.times import TimeError, parse_publish_at

_KEYS = frozenset({"publish_at", "status", "id"})
#: the line that closes the front matter, as the full reader finds it
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
_HEAD_BYTES = 16_384

#: What the top of a post file says, as far as the selection needs it, as JSON data:
#: [READ] (unclear, or not a file to peek at: read it in full), [SKIP] (a draft, or a ready
#: post with no time: queued), [RETRACTED, id], or [READY, id, publish_at as written,
#: its channels (None when its top does not settle them)].
Head = list
READ, SKIP, RETRACTED, READY = "read", "skip", "retracted", "ready"


@dataclass
class LedgerFacts:
    """What the selection needs of the ledger (see `of`)."""

    #: posts with a part pending or failed: read whatever their time
    open_posts: frozenset[str] = frozenset()
    #: post -> the channels on which the ledger has a line for every part of it (open posts left out)
    known: dict[str, frozenset[str]] = field(default_factory=dict)
    #: posts with a part out
    published: frozenset[str] = frozenset()
    #: whether any part is pending: a run settles it, even when no post file is read
    pending: bool = False
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, ledger: Ledger) -> LedgerFacts:
        current = list(ledger.latest())
        # Posts with a part still pending must be read: the run settles it, however late it is; so must
        # posts a person asked to send although they are late, and posts with a failed part: the run
        # tries again or, once too late, records it missed (a failed part is never left for ever).
        open_ = frozenset(entry.post for entry in current if entry.state in (PENDING, FAILED))
        known = {post: channels for post, channels in _known_in_full(ledger, current).items() if post not in open_}
        return cls(open_, known, frozenset(entry.post for entry in current if entry.state == PUBLISHED),
                   any(entry.state == PENDING for entry in current), list(ledger.warnings))


@dataclass
class Selection:
    """The post files a run must read in full, and until when that holds for a later run with
    the same files and ledger (None: for any later time)."""

    files: list[str]
    until: datetime | None = None


def files_to_read(root: Path, config: Config, ledger: Ledger, now: datetime) -> list[str]:
    """The post files a run at `now` must read in full (every file looked at afresh)."""
    return select(root, config, LedgerFacts.of(ledger), now).files


def select(root: Path, config: Config, facts: LedgerFacts, now: datetime,
           entries: list[tuple[str, os.stat_result | None]] | None = None,
           head_of: Callable[[str, os.stat_result | None], Head] | None = None) -> Selection:
    """The files to read (of `entries`, by default every post file) and how long that holds.

    `head_of(path, lstat)` gives a file's Head (publish/index.py: from what it kept, where
    the file did not change); by default each file's top is read.
    """
    window = _Window(config, now)
    if head_of is None:
        files = RegularFiles(root)
        head_of = lambda path, _: head(path, files)  # noqa: E731 - the plain reading
    chosen: list[str] = []
    until: datetime | None = None
    for path, info in post_file_stats(root) if entries is None else entries:
        read, changes = verdict(head_of(path, info), config, facts, window)
        if read:
            chosen.append(path)
        elif changes is not None and (until is None or changes < until):
            until = changes
    return Selection(chosen, until)


def _known_in_full(ledger: Ledger, current: list[Entry]) -> dict[str, frozenset[str]]:
    """post -> the channels on which the ledger has a line for every part of it.

    The lines a run writes about a thread say how many parts it has (`PARTS`): a run stopped
    after the first part, or a part that waited for a person, leaves the rest without a line.
    Older ledgers say nothing of it: there the highest part with a line counts as the last.
    """
    total: dict[tuple[str, str], int] = {}
    for entry in ledger.entries:
        parts = entry.data.get(PARTS) if entry.data else None
        if type(parts) is int and parts > total.get((entry.post, entry.channel), 0):
            total[(entry.post, entry.channel)] = parts
    numbers: dict[tuple[str, str], set[int]] = {}
    for entry in current:
        numbers.setdefault((entry.post, entry.channel), set()).add(entry.part)
    known: dict[str, set[str]] = {}
    for (post, channel), have in numbers.items():
        channels = known.setdefault(post, set())
        if len(have) >= max(total.get((post, channel), 0), max(have)):  # parts 1..N, each with a line
            channels.add(channel)
    return {post: frozenset(channels) for post, channels in known.items()}


def max_lateness(config: Config) -> timedelta:
    """The longest a part may be late on any channel: older posts the ledger knows need no look."""
    return max((c.max_lateness for c in config.channels.values()), default=timedelta(hours=6))


class _Window:
    """`now` and the oldest sendable time, also as local `YYYY-MM-DD HH:MM` text with a day's margin.

    Most `publish_at` values are local times in that form: comparing the text is enough
    for those far from both edges, and parsing (zone, DST) is left for the rest.
    """

    def __init__(self, config: Config, now: datetime, oldest: datetime | None = None) -> None:
        self.zone = config.zone
        self.now = now
        self.oldest = now - max_lateness(config) if oldest is None else oldest
        margin = timedelta(days=1)
        self.future_text = (now + margin).astimezone(config.zone).strftime("%Y-%m-%d %H:%M")
        self.past_text = (self.oldest - margin).astimezone(config.zone).strftime("%Y-%m-%d %H:%M")


_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$")


def head(path: str, files: RegularFiles) -> Head:
    """What the top of the file at `path` says (see Head); [READ] where it does not settle it."""
    try:
        with files.open(path, MAX_POST_BYTES) as handle:
            top = handle.read(_HEAD_BYTES).decode("utf-8")
    except (UnsafeFile, UnicodeDecodeError):
        return [READ]  # read in full, which reports it
    if not top.startswith("---"):
        return [READ]
    end = _BOUNDARY.search(top, 3)
    if end is None:
        return [READ]
    front = top[3:end.start()]
    fields = peek(front, _KEYS)
    if not fields.sure:
        return [READ]
    status = fields.get("status") or PostStatus.READY
    post_id = fields.get("id") or os.path.basename(path)[:-3]
    if status == PostStatus.DRAFT:
        return [SKIP]
    if status == PostStatus.RETRACTED:
        return [RETRACTED, post_id]
    if status != PostStatus.READY:
        return [READ]
    value = fields.get("publish_at")
    if value is None:
        return [SKIP]  # queued: nothing is due until `social schedule --write` gives it a time
    return [READY, post_id, value, peek_words(front, "channels")]


def verdict(found: Head, config: Config, facts: LedgerFacts, window: _Window) -> tuple[bool, datetime | None]:
    """Whether a file whose top says `found` must be read, and, where it need not, the first time at
    which that may change (None: not while the file and the ledger stay as they are)."""
    kind = found[0]
    if kind == SKIP:
        return False, None
    if kind == RETRACTED:
        return found[1] in facts.published, None
    if kind != READY:
        return True, None
    post_id, value, channels = found[1], found[2], found[3]
    if _LOCAL.match(value):
        local = value[:10] + " " + value[11:16]
        if local > window.future_text:
            try:
                return False, parse_publish_at(value, config.zone)
            except TimeError:
                return False, window.now  # looked at again by the next run
        if local < window.past_text:
            return not _known_everywhere(channels, facts.known.get(post_id)), None
    try:
        when = parse_publish_at(value, config.zone)
    except TimeError:
        return True, None
    if when > window.now:
        return False, when
    return not (when < window.oldest and _known_everywhere(channels, facts.known.get(post_id))), None


def _must_read(path: str, files: RegularFiles, config: Config, known: dict[str, frozenset[str]],
               published: set[str], window: _Window) -> bool:
    """The verdict on one file read afresh (what tests/test_peek.py holds to the full reader)."""
    return verdict(head(path, files), config, LedgerFacts(known=known, published=frozenset(published)),
                   window)[0]


def _known_everywhere(channels: list[str] | None, known: frozenset[str] | None) -> bool:
    """Whether the ledger has a line for every part on every channel the post names (as far as its
    top settles the channels; when unsure, it is read in full)."""
    if not known:
        return False
    return channels is not None and set(channels) <= known
