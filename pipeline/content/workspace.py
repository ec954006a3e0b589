"""One content repository as a command sees it: its root, configuration, posts, ledger and now.

Every command starts the same way: read channels.yml (or say why it cannot be
used), pin the clock (`--now`, read in the configured time zone), read the posts,
read the ledger. `Workspace` does that once, lazily, so a command reads only what
it uses (a publish run with nothing due never reads the posts it can rule out).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.content.channels import CONFIG_FILE, load_config
from pipeline.content.identity import History, post_history
from pipeline.content.load import post_file_names, read_posts
from pipeline.content.model import Config, Content
from pipeline.errors import ConfigError, UsageError
from pipeline.state.inbox import Inbox
from pipeline.state.ledger import Ledger
from pipeline.times import parse_now, utc_now

Clock = Callable[[], datetime]


def find_root(start: Path, *, user: int | None = None) -> Path | None:
    """The repository a command run in `start` means, as git finds its top: the nearest folder,
    `start` or above, holding content/channels.yml. The search stops at the top of a git
    repository (a folder holding `.git`) and at the file system's root; None when none holds it.

    Like git, it refuses a repository above `start` that belongs to another user (`user`, by
    default the one running): someone else's content/channels.yml in a shared folder such as
    /tmp must not decide what a run publishes with this user's credentials."""
    return nearest_folder(start, lambda folder: (folder / CONFIG_FILE).is_file(), user=user)


def nearest_folder(start: Path, holds: Callable[[Path], bool], *, user: int | None = None) -> Path | None:
    """The nearest folder, `start` or above, for which `holds` is true, searched as `find_root` says."""
    folder = Path(start).resolve()
    for candidate in (folder, *folder.parents):
        if holds(candidate):
            if candidate != folder:
                _owned(candidate, user)
            return candidate
        if (candidate / ".git").exists():
            return None
    return None


def _owned(candidate: Path, user: int | None) -> None:
    """UsageError unless `candidate` and its channels.yml (if any) belong to `user` (POSIX only)."""
    if user is None:
        if not hasattr(os, "getuid"):
            return
        user = os.getuid()
    owners = {candidate.stat().st_uid}
    if (candidate / CONFIG_FILE).exists():
        owners.add((candidate / CONFIG_FILE).stat().st_uid)
    if owners != {user}:
        raise UsageError(f"found the repository at {candidate}, but it belongs to another user, so it is "
                         f"not used; give --root {candidate} if you trust it")


class Workspace:
    """The repository at `root`; `now_text` is the `--now` option (local time, or with an offset)."""

    def __init__(self, root: Path, *, now_text: str | None = None, clock: Clock = utc_now) -> None:
        self.root = Path(root).resolve()
        self.config, self.config_findings = load_config(self.root)
        self.clock = clock
        self.now = self._now(now_text)

    # -- configuration ------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        return self.config is not None

    def require_config(self) -> Config:
        """The configuration, or ConfigError (exit 2) naming its first problem."""
        if self.config is None:
            first = self.config_findings[0] if self.config_findings else None
            raise ConfigError(
                (first.message if first else "content/channels.yml cannot be used")
                + " (run `social validate` for every problem)",
                file=first.file if first else None, line=first.line if first else None,
                code=first.code if first else "config-invalid")
        return self.config

    @property
    def zone(self) -> ZoneInfo:
        return self.config.zone if self.config else ZoneInfo("UTC")

    def require_channel(self, channel_id: str | None) -> None:
        """UsageError unless `channel_id` (when given) is a configured channel."""
        config = self.require_config()
        if channel_id and channel_id not in config.channels:
            raise UsageError(f"unknown channel {channel_id!r}; channels: {', '.join(config.channels)}")

    # -- posts and the ledger --------------------------------------------------------------

    @cached_property
    def content(self) -> Content:
        """Every post, read once, each under the id it went out with; the configuration's findings first."""
        others: list[str] = []
        content = read_posts(self.root, self.config, list(self.config_findings), post_file_names(self.root, others),
                             self.history)
        content.other_files = others
        return content

    def content_of(self, files: Iterable[str]) -> Content:
        """Only these post files (paths under the root): for a run that can rule out the rest."""
        files = list(files)
        # No file, no identity to check: the ledger's record of every id is not needed then.
        return read_posts(self.root, self.config, [], files, self.history if files else None, every_post=False)

    @cached_property
    def history(self) -> History:
        """What the ledger and git say about which post each file is (see identity.py)."""
        return History(self.ledger.entries, lambda: post_history(self.root))

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.root)

    @cached_property
    def inbox(self) -> Inbox:
        """state/inbox.jsonl: what others addressed to the channels (`social inbox collect`)."""
        return Inbox.of(self.root)

    def published_times(self) -> dict[tuple[str, str], datetime]:
        """(post, channel) -> when it went out, for cadence."""
        return self.ledger.published_times()

    # -- the clock -------------------------------------------------------------------------

    def _now(self, text: str | None) -> datetime:
        return parse_now(text, self.zone, self.clock)
