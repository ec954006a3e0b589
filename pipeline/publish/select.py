"""Which post files a publish run must read in full.

A scheduled run usually has nothing to do; reading and validating every post
of a five-year calendar would make each run cost seconds. A cheap look at the
top-level `publish_at`, `status` and `id` lines rules out the files that cannot
be due: future posts, drafts, and posts long past that the ledger already
knows. Anything unclear is read in full, so this never hides a due post.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.content.load import post_file_names
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


def files_to_read(root: Path, config: Config, ledger: Ledger, now: datetime) -> list[str]:
    current = list(ledger.latest())
    # Posts with a part still pending must be read: the run settles it, however late it is; so must
    # posts a person asked to send although they are late, and posts with a failed part: the run
    # tries again or, once too late, records it missed (a failed part is never left for ever).
    open_ = {entry.post for entry in current if entry.state in (PENDING, FAILED)}
    known = {post: channels for post, channels in _known_in_full(ledger, current).items() if post not in open_}
    published = {entry.post for entry in current if entry.state == PUBLISHED}
    oldest_sendable = now - max((c.max_lateness for c in config.channels.values()),
                                default=timedelta(hours=6))
    window = _Window(config, now, oldest_sendable)
    files = RegularFiles(root)
    return [name for name in post_file_names(root)
            if _must_read(name, files, config, known, published, window)]


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


class _Window:
    """`now` and the oldest sendable time, also as local `YYYY-MM-DD HH:MM` text with a day's margin.

    Most `publish_at` values are local times in that form: comparing the text is enough
    for those far from both edges, and parsing (zone, DST) is left for the rest.
    """

    def __init__(self, config: Config, now: datetime, oldest: datetime) -> None:
        self.now = now
        self.oldest = oldest
        margin = timedelta(days=1)
        self.future_text = (now + margin).astimezone(config.zone).strftime("%Y-%m-%d %H:%M")
        self.past_text = (oldest - margin).astimezone(config.zone).strftime("%Y-%m-%d %H:%M")


_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$")


def _must_read(path: str, files: RegularFiles, config: Config, known: Mapping[str, frozenset[str]],
               published: set[str], window: _Window) -> bool:
    try:
        with files.open(path, MAX_POST_BYTES) as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8")
    except (UnsafeFile, UnicodeDecodeError):
        return True  # read in full, which reports it
    if not head.startswith("---"):
        return True
    end = _BOUNDARY.search(head, 3)
    if end is None:
        return True
    front = head[3:end.start()]
    fields = peek(front, _KEYS)
    if not fields.sure:
        return True
    status = fields.get("status") or PostStatus.READY
    post_id = fields.get("id") or os.path.basename(path)[:-3]
    if status == PostStatus.DRAFT:
        return False
    if status == PostStatus.RETRACTED:
        return post_id in published
    if status != PostStatus.READY:
        return True
    value = fields.get("publish_at")
    if value is None:
        return False  # queued: nothing is due until `social schedule --write` gives it a time
    if _LOCAL.match(value):
        local = value[:10] + " " + value[11:16]
        if local > window.future_text:
            return False
        if local < window.past_text:
            return not _known_everywhere(front, known.get(post_id))
    try:
        when = parse_publish_at(value, config.zone)
    except TimeError:
        return True
    if when > window.now:
        return False
    return not (when < window.oldest and _known_everywhere(front, known.get(post_id)))


def _known_everywhere(front: str, known: frozenset[str] | None) -> bool:
    """Whether the ledger has a line for every part on every channel the post names (as far as its
    top settles the channels; when unsure, it is read in full)."""
    if not known:
        return False
    channels = peek_words(front, "channels")
    return channels is not None and set(channels) <= known
