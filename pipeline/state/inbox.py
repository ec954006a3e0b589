"""state/inbox.jsonl: what others addressed to each channel, as `social inbox collect` found it.

One line per post that mentioned, answered or quoted a channel, appended through a
`Journal` (one write per batch, fsynced; a torn last line is skipped with a warning,
and the next append ends it first). The same post collected twice (a second run, two
runners' files merged by `social state push`) is one item: the first line of a
(channel, remote_id) wins. Where the next collection goes on from is derived, not
stored apart: the `cursor` of the channel's last line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.state.journal import Journal
from pipeline.state.ledger import STATE_DIR

INBOX_FILE = "inbox.jsonl"


@dataclass(frozen=True)
class InboxRecord:
    """One line of the inbox: a post by someone else that addressed one of our channels."""

    channel: str
    #: the network's id of that post (Mastodon: the status id on our instance; Bluesky: its at:// URI)
    remote_id: str
    url: str | None
    #: mention, reply or quote (pipeline.networks.base.InboxKind)
    kind: str
    #: when it was written (UTC)
    at: datetime
    author: str
    text: str
    #: the remote id of our post it answers or quotes, where it does
    in_reply_to: str | None = None
    #: where the network's next read goes on from
    cursor: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.channel, self.remote_id

    def as_dict(self) -> dict[str, Any]:
        """The line as written: the keys of docs/inbox.md, empty optional ones left out."""
        line: dict[str, Any] = {"at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "channel": self.channel, "remote_id": self.remote_id, "url": self.url,
                                "kind": self.kind, "author": self.author, "text": self.text}
        if self.in_reply_to:
            line["in_reply_to"] = self.in_reply_to
        if self.cursor:
            line["cursor"] = self.cursor
        return line


class Inbox:
    """An inbox file: state/inbox.jsonl of a repository (`Inbox.of(root)`), or any other (a sample)."""

    def __init__(self, path: Path) -> None:
        self.journal = Journal.of_file(Path(path))
        self.warnings: list[str] = []

    @classmethod
    def of(cls, root: Path) -> Inbox:
        return cls(Path(root) / STATE_DIR / INBOX_FILE)

    @property
    def path(self) -> Path:
        return self.journal.path

    def exists(self) -> bool:
        return self.journal.path.is_file()

    def records(self) -> list[InboxRecord]:
        """Every item once (the first line of each channel and remote id), in the order written.

        A line that cannot be read, or lacks what an item needs, is skipped and named in `warnings`.
        """
        seen: set[tuple[str, str]] = set()
        found = []
        for record in self._lines():
            if record.key not in seen:
                seen.add(record.key)
                found.append(record)
        return found

    def since(self, channel: str) -> str | None:
        """The cursor the next collection of `channel` goes on from: that of its last line with one.

        After a merge of two runners' lines that may be an older one than the newest: the next
        collection then reads a few items again, which are known already. Never a newer one than
        anything stored: a collection writes its items oldest first, in one append.
        """
        cursor = None
        for record in self._lines():
            if record.channel == channel and record.cursor:
                cursor = record.cursor
        return cursor

    def add(self, records: Iterable[InboxRecord]) -> int:
        """Append the records not there yet (by channel and remote id), in one write; returns how many."""
        known = {record.key for record in self.records()}
        new = []
        for record in records:
            if record.key not in known:
                known.add(record.key)
                new.append(record)
        return self.journal.append(record.as_dict() for record in new)

    def _lines(self) -> Iterable[InboxRecord]:
        """Every line that is an item, duplicates too; the others named in `warnings` once."""
        self.journal.warnings.clear()
        lines = self.journal.records()
        warnings = list(self.journal.warnings)
        for line in lines:
            record = _record(line)
            if record is None:
                warnings.append(f"{self.path.name}: a line is not an inbox item (it needs channel, remote_id, "
                                "kind, author, text and an `at` time with its offset): skipped")
                continue
            yield record
        self.warnings = list(dict.fromkeys(warnings))


def _record(line: dict) -> InboxRecord | None:
    text = {key: line.get(key) for key in ("channel", "remote_id", "kind", "author", "text")}
    if not all(isinstance(value, str) for value in text.values()) or not (text["channel"] and text["remote_id"]):
        return None
    at = _utc(line.get("at"))
    if at is None:
        return None
    optional = {key: line.get(key) if isinstance(line.get(key), str) and line.get(key) else None
                for key in ("url", "in_reply_to", "cursor")}
    return InboxRecord(at=at, **text, **optional)


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None
