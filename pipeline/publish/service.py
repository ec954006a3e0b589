"""`social publish` and `social resolve`: the library functions behind them (`social status`: status.py)."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.content.load import post_file_stats
from pipeline.content.model import Channel, Config
from pipeline.content.workspace import Workspace
from pipeline.errors import UsageError
from pipeline.networks import network_class
from pipeline.networks.base import Network
from pipeline.networks.delivery import Clock, DeliveryError, Http, Secrets, Sleep
from pipeline.publish.index import PublishIndex, stamp_of, tree_digest
from pipeline.publish.plan import SEND_LATE, make_plan
from pipeline.publish.result import Progress, RunResult
from pipeline.publish.select import LedgerFacts, Selection, select
from pipeline.state.ledger import (
    FAILED,
    MISSED,
    PENDING,
    PUBLISHED,
    STATE_DIR,
    UNCERTAIN,
    UNREADABLE,
    Entry,
    Ledger,
    MemoryLedger,
    lock,
)
from pipeline.times import format_local, utc_iso, utc_now

#: how far a real run's --now may be from the clock: enough to round it, not to travel in time
NOW_TOLERANCE = timedelta(minutes=5)


@dataclass
class PublishReport:
    now: datetime
    zone: object
    dry_run: bool
    result: RunResult = field(default_factory=RunResult)
    ledger_warnings: list[str] = field(default_factory=list)
    #: this run's short random id, written on every ledger line it appends
    run: str = ""
    #: a dry run at a later time than the clock: the clock, from which earlier runs are taken as done
    clock: datetime | None = None
    #: what those runs are taken to have sent: {"post", "channel", "parts", "publish_at"}
    assumed_sent: list[dict] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        """The run was asked to stop (a signal) before it was done."""
        return self.result.stopped

    @property
    def ok(self) -> bool:
        return self.result.ok


def publish(root: Path, *, now_text: str | None = None, dry_run: bool = False,
            channel_id: str | None = None, post_id: str | None = None,
            env: Mapping[str, str] | None = None, sleep: Sleep | None = None, clock: Clock | None = None,
            progress: Progress | None = None, secrets: Secrets | None = None,
            stop: threading.Event | None = None) -> PublishReport:
    """Publish every due part (or, with dry_run, write what would be sent to outbox/).

    A dry run is the same run with every channel's network replaced by an outbox
    writer and the ledger kept in memory: it sends nothing and writes no ledger. A dry
    run at a time later than the clock takes the scheduled runs in between as done: what
    they would have sent on time is listed in `assumed_sent`, not sent again or called missed.
    A real run happens at the clock's time: `now_text` may only round it (NOW_TOLERANCE).
    Setting `stop` (`social publish` does on SIGTERM and SIGINT) ends the run after the
    parts in flight; a wait between retries ends at once.
    """
    stop = stop or threading.Event()
    clock = clock or utc_now
    workspace = Workspace(root, now_text=now_text, clock=clock)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    real = clock()
    now = workspace.now if dry_run else real_now(workspace.now, real, config.zone)
    runs_since = real if dry_run and now > real else None
    env = os.environ if env is None else env
    secrets = secrets or Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    run_id = os.urandom(4).hex()
    report = PublishReport(now=now, zone=config.zone, dry_run=dry_run, run=run_id, clock=runs_since)

    def pause(seconds: float) -> None:
        """Wait as the delivery layer asks, unless the run is asked to stop: then the wait ends it."""
        if sleep is None:
            stop.wait(seconds)
        else:
            sleep(seconds)
        if stop.is_set():
            raise DeliveryError("the run was stopped while waiting to try again; the next run goes on",
                                code="run-stopped")

    def network_for(channel: Channel) -> Network:
        http = Http(secrets=secrets, sleep=pause, clock=clock)
        if dry_run:
            from pipeline.networks.outbox import OutboxNetwork

            return OutboxNetwork.dry_run(channel, network_class(channel.network), env=env, http=http,
                                         root=workspace.root)
        return network_class(channel.network)(channel, env=env, http=http, root=workspace.root)

    with lock(workspace.root / STATE_DIR) if not dry_run else nullcontext():
        selection, warnings = _select(workspace, config, now, look_whole=post_id is not None)
        if selection is None:  # nothing to read and nothing pending: nothing is due
            report.ledger_warnings = warnings
            report.result.stopped = stop.is_set()
            return report
        ledger = workspace.ledger
        report.ledger_warnings = list(ledger.warnings)
        run_ledger = MemoryLedger(ledger.entries) if dry_run else ledger
        content = workspace.content_of(selection.files)
        plan = make_plan(content, run_ledger, now, channel_id=channel_id, post_id=post_id, runs_since=runs_since)
        report.assumed_sent = [{"post": post.id, "channel": channel.id, "parts": parts,
                                "publish_at": format_local(post.publish_at, config.zone)}
                               for post, channel, parts in plan.assumed]
        if plan.empty:
            if post_id is not None:
                workspace.content.require_post(post_id)  # a mistyped id is an error, not "nothing due"
            report.result.stopped = stop.is_set()
            return report
        from pipeline.publish.run import Runner  # the networks' code: only when something is due

        runner = Runner(workspace.root, run_ledger, network_for=network_for, clock=clock, progress=progress,
                        dry_run=dry_run, stop=stop, run_id=run_id)
        report.result = runner.run(plan)
    return report


def _select(workspace: Workspace, config: Config, now: datetime,
            look_whole: bool) -> tuple[Selection | None, list[str]]:
    """The post files to read in full; None (and the ledger's warnings) when there are none and no part
    is pending, so nothing can be due. What the files and the ledger said is kept (publish/index.py):
    a run where neither changed since one that found nothing to read looks at their times only.
    `look_whole`: the run needs the ledger and the posts whatever the files say (`--post`)."""
    # A lstat by the hundred thousand, and as many records: the collector's passes over them find
    # nothing and cost a tenth of a run with nothing due (as in validation, docs/benchmarks.md).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _select_files(workspace, config, now, look_whole)
    finally:
        if collecting:
            gc.enable()


def _select_files(workspace: Workspace, config: Config, now: datetime,
                  look_whole: bool) -> tuple[Selection | None, list[str]]:
    kept = PublishIndex(workspace.root)
    stamp = kept.ledger_stamp()
    entries = post_file_stats(workspace.root)
    key = kept.idle_key(tree_digest(entries), stamp, config)
    warnings = None if look_whole else kept.idle(key, now)
    if warnings is not None:
        return None, warnings
    facts = kept.ledger_facts(stamp)
    steady = facts is not None
    if facts is None:
        facts = LedgerFacts.of(workspace.ledger)
        after = kept.ledger_stamp()
        kept.keep_ledger_facts(stamp, after, facts)
        steady = stamp == after
    selection = select(workspace.root, config, facts, now, entries, kept.head_of)
    kept.save()
    if selection.files or facts.pending or look_whole:
        return selection, []
    if steady and (stamp is None or kept.settled(stamp)) and all(kept.settled(stamp_of(info)) for _, info in entries):
        kept.keep_idle(key, now, selection.until, facts.warnings)
    return None, facts.warnings


def real_now(asked: datetime, clock: datetime, zone: ZoneInfo) -> datetime:
    """A real run's now: `--now` may round the clock, never move it; nor may it run ahead of it.

    A --now far from the clock would send posts before their time, or mark posts missed
    that are not late yet: it is refused. Within NOW_TOLERANCE it is taken, but no later
    than the clock, so nothing is due or missed in the clock's future.
    """
    if abs(asked - clock) > NOW_TOLERANCE:
        raise UsageError(f"--now {format_local(asked, zone)} is not the time: the clock says "
                         f"{format_local(clock, zone)}, and a real run publishes at the real time (--now may "
                         f"differ from the clock by {NOW_TOLERANCE.seconds // 60} minutes at most); leave out "
                         "--now, or use --dry-run to look at another time", code="now-not-the-clock")
    return min(asked, clock)


# -- resolve ---------------------------------------------------------------


def resolve(root: Path, post_id: str, channel_id: str, *, part: int | None, published_url: str | None,
            not_published: bool, send_late: bool = False, clock: Clock = utc_now) -> list[Entry]:
    """Settle uncertain, pending or unreadable parts, or parts two runs handled, by a person's word;
    or send missed parts on purpose.

    Returns the lines written; a person's line settles the part whatever came before it.
    """
    if [bool(published_url), not_published, send_late].count(True) != 1:
        raise UsageError("say one of --published URL, --not-published or --send")
    workspace = Workspace(root, clock=clock)
    workspace.require_config()
    ledger = workspace.ledger
    if send_late:
        return _send_late(ledger, post_id, channel_id, part, clock)
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
