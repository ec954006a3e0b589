"""`social inbox collect`: what others addressed to each channel, into state/inbox.jsonl.

Each channel whose network reads an inbox (`Capability.INBOX`) is asked for what
came since its last collected item (the cursor of its last line in the inbox), or,
the first time, for what was written in the last `first` days. What comes back is
appended in one write per channel, oldest first, leaving out what is there already;
a channel that fails writes nothing and is read again from the same place next time.
Networks that cannot read an inbox are skipped with their reason.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.errors import PipelineError
from pipeline.networks import network_class
from pipeline.networks.base import Capability, InboxItem
from pipeline.networks.delivery import Http
from pipeline.secrets import Secrets
from pipeline.state.inbox import Inbox, InboxRecord
from pipeline.times import utc_now

#: how far back the first collection of a channel reads
FIRST_COLLECTION = timedelta(days=14)


@dataclass
class ChannelCollection:
    """What one channel's collection did."""

    channel: str
    network: str
    #: items the network returned, and how many of them were new
    read: int = 0
    added: int = 0
    #: why the channel was not read (its network reads no inbox)
    skipped: str | None = None
    #: why reading failed, with what to do
    problem: str | None = None

    def as_dict(self) -> dict:
        return {"channel": self.channel, "network": self.network, "read": self.read, "added": self.added,
                "skipped": self.skipped, "problem": self.problem}


@dataclass
class Collection:
    at: datetime
    channels: list[ChannelCollection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.problem for c in self.channels)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "at": self.at.isoformat(), "added": sum(c.added for c in self.channels),
                "channels": [c.as_dict() for c in self.channels], "warnings": self.warnings}

    def as_text(self) -> str:
        width = max((len(c.channel) for c in self.channels), default=0)
        lines = []
        for found in self.channels:
            name = found.channel.ljust(width)
            if found.problem:
                lines.append(f"✗ {name}  {found.problem}")
            elif found.skipped:
                lines.append(f"- {name}  skipped: {found.skipped}")
            else:
                lines.append(f"✓ {name}  {found.added} new ({found.read} read)")
        added = sum(c.added for c in self.channels)
        lines.append(f"{added} new item{'s' * (added != 1)} in state/inbox.jsonl"
                     + ("; push them with `social state push`" if added else "") + ".")
        return "\n".join(lines)


def collect_inbox(root: Path, *, channel_id: str | None = None, env: Mapping[str, str] | None = None,
                  clock: Callable[[], datetime] | None = None, sleep: Callable[[float], None] | None = None,
                  first: timedelta = FIRST_COLLECTION) -> Collection:
    """Read each channel's inbox (or `channel_id`'s) and append what is new to state/inbox.jsonl."""
    clock = clock or utc_now
    workspace = Workspace(root, clock=clock)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    env = os.environ if env is None else env
    secrets = Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    inbox = Inbox.of(workspace.root)
    http = Http(secrets=secrets, sleep=sleep or time.sleep, clock=clock)
    now = clock()
    result = Collection(now)
    for channel in config.channels.values():
        if channel_id not in (None, channel.id):
            continue
        result.channels.append(_collect(channel, inbox, env, http, workspace.root, now - first, secrets))
    result.warnings = list(inbox.warnings)
    return result


def _collect(channel: Channel, inbox: Inbox, env: Mapping[str, str], http: Http, root: Path,
             oldest: datetime, secrets: Secrets) -> ChannelCollection:
    cls = network_class(channel.network)
    found = ChannelCollection(channel.id, channel.network)
    if not cls.can(Capability.INBOX, channel.options):
        found.skipped = cls.inbox_note or f"{cls.title or cls.name} reads no inbox"
        return found
    try:
        network = cls(channel, env=env, http=http, root=root)
        items = network.read_inbox(inbox.since(channel.id), oldest)
        found.read = len(items)
        found.added = inbox.add(_record(channel.id, item) for item in items)
    except PipelineError as exc:
        found.problem = secrets.mask(exc.message) + "; nothing of it was written, the next collection " \
                                                    "reads from the same place"
    except OSError as exc:
        found.problem = f"cannot write {inbox.path.name}: {exc.strerror or exc}"
    except Exception as exc:  # an adapter's bug: say so, and go on with the other channels
        found.problem = secrets.mask(f"unexpected error: {type(exc).__name__}: {exc}")
    return found


def _record(channel: str, item: InboxItem) -> InboxRecord:
    return InboxRecord(channel=channel, remote_id=item.remote_id, url=item.url, kind=str(item.kind), at=item.at,
                       author=item.author, text=item.text, in_reply_to=item.in_reply_to, cursor=item.cursor)
