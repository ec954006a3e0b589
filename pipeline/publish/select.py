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
from pipeline.content.model import Config
from pipeline.content.times import TimeError, parse_publish_at
from pipeline.publish.ledger import PENDING, PUBLISHED, Ledger

_TOP_LEVEL = re.compile(r"^(publish_at|status|id)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_HEAD_BYTES = 16_384


def files_to_read(root: Path, config: Config, ledger: Ledger, now: datetime) -> list[str]:
    current = list(ledger.latest())
    # Posts with a part still pending must be read: the run settles it, however late it is.
    known = {entry.post for entry in current} - {entry.post for entry in current if entry.state == PENDING}
    published = {entry.post for entry in current if entry.state == PUBLISHED}
    oldest_sendable = now - max((c.max_lateness for c in config.channels.values()),
                                default=timedelta(hours=6))
    return [name for name in post_file_names(root) if _must_read(name, config, known, published, now, oldest_sendable)]


def _must_read(path: str, config: Config, known: set[str], published: set[str], now: datetime,
               oldest_sendable: datetime) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    if not head.startswith("---"):
        return True
    end = head.find("\n---", 3)
    if end < 0:
        return True
    fields = {key: _unquote(value) for key, value in _TOP_LEVEL.findall(head[3:end])}
    status = fields.get("status", "ready")
    post_id = fields.get("id") or os.path.basename(path)[:-3]
    if status == "draft":
        return False
    if status == "retracted":
        return post_id in published
    if status != "ready":
        return True
    if "publish_at" not in fields:
        return False  # queued: nothing is due until `social schedule --write` gives it a time
    try:
        when = parse_publish_at(fields["publish_at"], config.zone)
    except TimeError:
        return True
    if when > now:
        return False
    return not (when < oldest_sendable and post_id in known)


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
