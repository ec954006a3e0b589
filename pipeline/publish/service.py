"""`social publish`, `social status` and `social resolve`: the library functions behind them."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.errors import UsageError
from pipeline.networks import network_class
from pipeline.networks.base import Network
from pipeline.networks.delivery import Clock, Http, Secrets, Sleep
from pipeline.publish.plan import SEND_LATE, make_plan
from pipeline.publish.result import Progress, RunResult
from pipeline.publish.select import files_to_read
from pipeline.state.ledger import FAILED, MISSED, PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger, MemoryLedger
from pipeline.times import utc_iso, utc_now


@dataclass
class PublishReport:
    now: datetime
    zone: object
    dry_run: bool
    result: RunResult = field(default_factory=RunResult)
    ledger_warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.ok


def publish(root: Path, *, now_text: str | None = None, dry_run: bool = False,
            channel_id: str | None = None, post_id: str | None = None,
            env: Mapping[str, str] | None = None, sleep: Sleep = time.sleep, clock: Clock = utc_now,
            progress: Progress | None = None, secrets: Secrets | None = None) -> PublishReport:
    """Publish every due part (or, with dry_run, write what would be sent to outbox/).

    A dry run is the same run with every channel's network replaced by an outbox
    writer and the ledger kept in memory: it sends nothing and writes no ledger.
    """
    workspace = Workspace(root, now_text=now_text, clock=clock)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    env = os.environ if env is None else env
    secrets = secrets or Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    ledger = workspace.ledger
    report = PublishReport(now=workspace.now, zone=config.zone, dry_run=dry_run,
                           ledger_warnings=list(ledger.warnings))

    def network_for(channel: Channel) -> Network:
        http = Http(secrets=secrets, sleep=sleep, clock=clock)
        if dry_run:
            from pipeline.networks.outbox import OutboxNetwork

            return OutboxNetwork.dry_run(channel, channel.network, env=env, http=http, root=workspace.root)
        return network_class(channel.network)(channel, env=env, http=http, root=workspace.root)

    run_ledger = MemoryLedger(ledger.entries) if dry_run else ledger
    with ledger.locked() if not dry_run else nullcontext():
        content = workspace.content_of(files_to_read(workspace.root, config, ledger, workspace.now))
        plan = make_plan(content, run_ledger, workspace.now, channel_id=channel_id, post_id=post_id)
        if plan.empty:
            return report
        from pipeline.publish.run import Runner  # the networks' code: only when something is due

        runner = Runner(workspace.root, run_ledger, network_for=network_for, clock=clock, progress=progress,
                        dry_run=dry_run)
        report.result = runner.run(plan)
    return report


# -- status and resolve ---------------------------------------------------------------


def ledger_status(root: Path) -> tuple[list[Entry], list[str]]:
    """The current entry of every (post, channel, part), newest first, and reading warnings."""
    ledger = Workspace(root).ledger
    entries = sorted(ledger.latest(), key=lambda e: (e.at, e.post, e.channel, e.part), reverse=True)
    return entries, ledger.warnings


def resolve(root: Path, post_id: str, channel_id: str, *, part: int | None, published_url: str | None,
            not_published: bool, send_late: bool = False, clock: Clock = utc_now) -> list[Entry]:
    """Settle uncertain (or pending) parts by a person's word, or send missed ones on purpose;
    returns the lines written."""
    if [bool(published_url), not_published, send_late].count(True) != 1:
        raise UsageError("say one of --published URL, --not-published or --send")
    workspace = Workspace(root, clock=clock)
    workspace.require_config()
    ledger = workspace.ledger
    if send_late:
        return _send_late(ledger, post_id, channel_id, part, clock)
    written = []
    with ledger.locked():
        open_parts = {n: e for n, e in ledger.parts(post_id, channel_id).items()
                      if e.state in (UNCERTAIN, PENDING) and (part is None or n == part)}
        if not open_parts:
            raise UsageError(f"nothing to resolve for {post_id} on {channel_id}: no uncertain part "
                             "(`social status` lists them)")
        if published_url and len(open_parts) > 1:
            raise UsageError("several parts are uncertain: name one with --part N")
        for number, entry in sorted(open_parts.items()):
            if published_url:
                new = Entry(post_id, channel_id, number, PUBLISHED, utc_iso(clock()), key=entry.key,
                            remote_id=published_url.rstrip("/").rsplit("/", 1)[-1], url=published_url,
                            file=entry.file, data={"resolved_by": "person"})
            else:
                new = Entry(post_id, channel_id, number, FAILED, utc_iso(clock()), key=entry.key,
                            error="settled by a person: it did not go out; the next run sends it",
                            file=entry.file)
            written.append(ledger.append(new))
    return written


def _send_late(ledger: Ledger, post_id: str, channel_id: str, part: int | None, clock: Clock) -> list[Entry]:
    """Missed parts go out with the next run after all: a person decided they are still worth it."""
    with ledger.locked():
        missed = {n: e for n, e in ledger.parts(post_id, channel_id).items()
                  if e.state == MISSED and (part is None or n == part)}
        if not missed:
            raise UsageError(f"nothing missed for {post_id} on {channel_id} (`social status` lists what "
                             "was missed); to send a post at another time, give it a new publish_at")
        return [ledger.append(Entry(post_id, channel_id, number, FAILED, utc_iso(clock()), key=entry.key,
                                    error="a person asked to send it although it is late; the next run "
                                          "sends it", file=entry.file, data={SEND_LATE: True}))
                for number, entry in sorted(missed.items())]
