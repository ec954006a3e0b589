"""`social stats collect`: follower counts and each recent part's counts, into state/metrics.jsonl.

Which parts: those the ledger holds as published within `window` (60 days by
default) of now, so a daily run makes a bounded number of calls however long the
history grows; older posts keep the counts they had when they left the window.
Each network reads its own way (`Network.read_metrics`); a network that declares
no `Capability.METRICS` is skipped with a note. Calls go through `Http`, so rate
limits are waited out (or the channel is reported and read again tomorrow).

What is written: one `account` line per channel and reading, and one `post` line
per part whose counts changed since its last line (or that has none yet), all of
a channel in one append. A thread's parts reply to each other, and the networks
count those replies: each part's count leaves out the reply that is its own next
part. `Journal` makes the append crash-safe as the ledger's: a run killed mid-write
leaves at most a torn last line, which readers skip and the next append ends.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.errors import PipelineError
from pipeline.growth.history import ACCOUNT, COUNTS, METRICS_FILE, POST
from pipeline.networks import network_class
from pipeline.networks.base import Capability, Metrics, PostCounts
from pipeline.networks.delivery import Http
from pipeline.networks.parts import SentPart
from pipeline.secrets import Secrets
from pipeline.state.entry import PUBLISHED, Entry
from pipeline.state.journal import Journal
from pipeline.times import utc_iso, utc_now

#: how far back published parts are read again on each run
WINDOW = timedelta(days=60)


@dataclass
class ChannelReading:
    """What one channel's reading gave."""

    channel: str
    network: str
    followers: int | None = None
    #: parts asked about, parts the network counted, and lines written for them
    parts: int = 0
    counted: int = 0
    written: int = 0
    notes: list[str] = field(default_factory=list)
    #: why nothing could be read, with what to do; None when it went well
    problem: str | None = None
    skipped: bool = False
    #: what the network answered (not part of the report's JSON)
    metrics: Metrics = field(default_factory=Metrics)

    def as_dict(self) -> dict:
        return {"channel": self.channel, "network": self.network, "ok": self.problem is None,
                "skipped": self.skipped, "followers": self.followers, "parts": self.parts,
                "counted": self.counted, "written": self.written, "notes": self.notes, "problem": self.problem}


@dataclass
class CollectReport:
    at: datetime
    window: timedelta
    readings: list[ChannelReading]
    file: str
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(reading.problem is None for reading in self.readings)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "at": utc_iso(self.at), "window_days": self.window / timedelta(days=1),
                "file": self.file, "channels": [r.as_dict() for r in self.readings], "warnings": self.warnings}

    def as_text(self) -> str:
        lines = []
        width = max((len(r.channel) for r in self.readings), default=0)
        for reading in self.readings:
            name = reading.channel.ljust(width)
            if reading.skipped:
                lines.append(f"- {name}  skipped: {reading.notes[0]}")
                continue
            if reading.problem:
                lines.append(f"✗ {name}  {reading.problem}")
                continue
            followers = "followers not told" if reading.followers is None else f"{reading.followers:,} followers"
            lines.append(f"✓ {name}  {followers}; {reading.counted} of {reading.parts} recent part(s) counted, "
                         f"{reading.written} changed")
            lines.extend(f"    {note}" for note in reading.notes)
        if not self.readings:
            lines.append("No channels to read.")
        lines.append(f"Readings appended to {self.file} (push them with `social state push`).")
        return "\n".join(lines)


def collect(root: Path, *, channel_id: str | None = None, window: timedelta = WINDOW,
            env: Mapping[str, str] | None = None, clock: Callable[[], datetime] | None = None,
            sleep: Callable[[float], None] | None = None) -> CollectReport:
    """Read every channel (or `channel_id`) and append what changed to state/metrics.jsonl."""
    clock = clock or utc_now
    workspace = Workspace(root, clock=clock)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    env = os.environ if env is None else env
    secrets = Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    journal = Journal(workspace.root, METRICS_FILE)
    known = last_counts(journal.records())
    since = clock() - window
    recent = recent_parts(workspace.ledger.latest(), since)
    report = CollectReport(clock(), window, [], f"state/{METRICS_FILE}",
                           warnings=list(journal.warnings) + list(workspace.ledger.warnings))
    for channel in config.channels.values():
        if channel_id not in (None, channel.id):
            continue
        http = Http(secrets=secrets, sleep=sleep or time.sleep, clock=clock)
        reading = _read(channel, recent.get(channel.id, []), env, http, workspace.root, secrets)
        report.readings.append(reading)
        if reading.problem is None and not reading.skipped:
            records = reading_records(channel.id, clock(), reading.metrics, recent.get(channel.id, []), known)
            reading.written = sum(1 for record in records if record["kind"] == POST)
            journal.append(records)
    return report


def recent_parts(entries: Iterable[Entry], since: datetime) -> dict[str, list[tuple[SentPart, str]]]:
    """channel -> [(part, when it was published)] for parts whose current state is published since `since`."""
    found: dict[str, list[tuple[SentPart, str]]] = {}
    for entry in entries:
        if entry.state != PUBLISHED or entry.data.get("retracting"):
            continue
        try:
            at = datetime.fromisoformat(entry.at)
        except (TypeError, ValueError):
            continue
        if at.tzinfo is None or at < since:
            continue
        part = SentPart(entry.post, entry.channel, entry.part, entry.key, entry.remote_id, entry.url,
                        dict(entry.data or {}))
        found.setdefault(entry.channel, []).append((part, utc_iso(at)))
    for parts in found.values():
        parts.sort(key=lambda item: (item[1], item[0].post_id, item[0].number))
    return found


def last_counts(records: Sequence[dict]) -> dict[tuple[str, str, int], tuple]:
    """(channel, post, part) -> the counts of its last line, to write only what changed."""
    found: dict[tuple[str, str, int], tuple] = {}
    for record in records:
        if record.get("kind") == POST:
            found[(record.get("channel"), record.get("post"), record.get("part"))] = _counts_of(record)
    return found


def reading_records(channel: str, at: datetime, metrics: Metrics, parts: Sequence[tuple[SentPart, str]],
                    known: dict[tuple[str, str, int], tuple]) -> list[dict]:
    """The lines one reading adds: the account's, then each part whose counts changed."""
    when = utc_iso(at)
    records: list[dict] = []
    if metrics.followers is not None:
        records.append({"at": when, "channel": channel, "kind": ACCOUNT, "followers": metrics.followers})
    numbers = {(part.post_id, part.number) for part, _ in parts}
    for part, published in parts:
        counts = metrics.posts.get((part.post_id, part.number))
        if counts is None:
            continue
        if counts.replies and (part.post_id, part.number + 1) in numbers:
            # the thread's next part is a reply to this one: ours, not engagement
            counts = replace(counts, replies=counts.replies - 1)
        record = {"at": when, "channel": channel, "kind": POST, "post": part.post_id, "part": part.number,
                  "remote_id": part.remote_id, "url": part.url, "published": published, **_present(counts)}
        record = {key: value for key, value in record.items() if value is not None}
        slot = (channel, part.post_id, part.number)
        if known.get(slot) == _counts_of(record):
            continue
        known[slot] = _counts_of(record)
        records.append(record)
    return records


def _present(counts: PostCounts) -> dict:
    return {key: getattr(counts, key) for key in COUNTS if getattr(counts, key) is not None}


def _counts_of(record: dict) -> tuple:
    return tuple(record.get(key) for key in COUNTS)


def _read(channel: Channel, parts: list[tuple[SentPart, str]], env: Mapping[str, str], http: Http, root: Path,
          secrets: Secrets) -> ChannelReading:
    cls = network_class(channel.network)
    reading = ChannelReading(channel.id, channel.network, parts=len(parts))
    if not cls.can(Capability.METRICS, channel.options):
        reading.skipped = True
        reading.notes.append(f"{cls.title or cls.name} metrics are not read (docs/growth.md says which "
                             "networks are)")
        return reading
    try:
        network = cls(channel, env=env, http=http, root=root)
        metrics = network.read_metrics([part for part, _ in parts])
    except PipelineError as exc:
        reading.problem = secrets.mask(exc.message) + "; the next run reads again"
        return reading
    except Exception as exc:  # an adapter's bug: say so, and go on with the other channels
        reading.problem = secrets.mask(f"unexpected error: {type(exc).__name__}: {exc}")
        return reading
    reading.metrics = metrics
    reading.followers = metrics.followers
    reading.counted = len(metrics.posts)
    reading.notes = [secrets.mask(note) for note in metrics.notes]
    return reading
