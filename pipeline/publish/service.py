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
from pipeline.publish.plan import make_plan
from pipeline.publish.result import Progress, RunResult
from pipeline.publish.select import files_to_read
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, UNREADABLE, Conflict, Entry, MemoryLedger
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


@dataclass
class LedgerStatus:
    #: the current entry of every (post, channel, part), newest first
    entries: list[Entry]
    #: parts posted twice, or handled by two runs
    conflicts: list[Conflict]
    warnings: list[str]


def ledger_status(root: Path) -> LedgerStatus:
    """What the ledger says of every part, what racing runs left behind, and reading warnings."""
    ledger = Workspace(root).ledger
    entries = sorted(ledger.latest(), key=lambda e: (e.at, e.post, e.channel, e.part), reverse=True)
    return LedgerStatus(entries, ledger.conflicts, ledger.warnings)


def resolve(root: Path, post_id: str, channel_id: str, *, part: int | None, published_url: str | None,
            not_published: bool, clock: Clock = utc_now) -> list[Entry]:
    """Settle uncertain, pending or unreadable parts, or parts two runs handled, by a person's word.

    Returns the lines written; a person's line settles the part whatever came before it.
    """
    if bool(published_url) == bool(not_published):
        raise UsageError("say either --published URL or --not-published")
    workspace = Workspace(root, clock=clock)
    workspace.require_config()
    ledger = workspace.ledger
    written = []
    with ledger.locked():
        conflicting = {c.part for c in ledger.conflicts if (c.post, c.channel) == (post_id, channel_id)}
        open_parts = {n: e for n, e in ledger.parts(post_id, channel_id).items()
                      if (e.state in (UNCERTAIN, PENDING, UNREADABLE) or n in conflicting)
                      and (part is None or n == part)}
        if not open_parts:
            raise UsageError(f"nothing to resolve for {post_id} on {channel_id}: no uncertain, unreadable or "
                             "conflicting part (`social status` lists them)")
        if published_url and len(open_parts) > 1:
            raise UsageError("several parts are waiting: name one with --part N")
        for number, entry in sorted(open_parts.items()):
            if published_url:
                # A copy the ledger knows (one of a duplicate): keep what the network needs to delete it later.
                known = next((e for e in reversed(ledger.entries) if e.slot == entry.slot
                              and e.state == PUBLISHED and e.url == published_url and e.remote_id), None)
                new = Entry(post_id, channel_id, number, PUBLISHED, utc_iso(clock()), key=entry.key,
                            remote_id=known.remote_id if known else published_url.rstrip("/").rsplit("/", 1)[-1],
                            url=published_url, file=entry.file,
                            data={**(known.data if known else {}), "resolved_by": "person"})
            else:
                new = Entry(post_id, channel_id, number, FAILED, utc_iso(clock()), key=entry.key,
                            error="settled by a person: it did not go out; the next run sends it",
                            file=entry.file, data={"resolved_by": "person"})
            written.append(ledger.append(new))
    return written
