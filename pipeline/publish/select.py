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
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.content.load import post_file_names
from pipeline.content.model import Config, PostStatus
from pipeline.content.peek import peek
from pipeline.content.posts import MAX_POST_BYTES
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, Ledger
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
    known = {entry.post for entry in current} - open_
    published = {entry.post for entry in current if entry.state == PUBLISHED}
    oldest_sendable = now - max((c.max_lateness for c in config.channels.values()),
                                default=timedelta(hours=6))
    window = _Window(config, now, oldest_sendable)
    files = RegularFiles(root)
    return [name for name in post_file_names(root)
            if _must_read(name, files, config, known, published, window)]


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


def _must_read(path: str, files: RegularFiles, config: Config, known: set[str], published: set[str],
               window: _Window) -> bool:
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
    fields = peek(head[3:end.start()], _KEYS)
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
            return post_id not in known
    try:
        when = parse_publish_at(value, config.zone)
    except TimeError:
        return True
    if when > window.now:
        return False
    return not (when < window.oldest and post_id in known)
