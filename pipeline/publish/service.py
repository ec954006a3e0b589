"""`social publish`, `social status` and `social resolve`: the library functions behind them."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.content.channels import load_config
from pipeline.content.load import read_posts
from pipeline.content.model import Config
from pipeline.errors import ConfigError, UsageError
from pipeline.networks.delivery import Clock, Secrets, Sleep, utc_now
from pipeline.publish.plan import Plan, make_plan
from pipeline.publish.result import Outcome, Progress, RunResult
from pipeline.publish.select import files_to_read
from pipeline.state.ledger import FAILED, PUBLISHED, UNCERTAIN, Entry, Ledger
from pipeline.times import parse_now, utc_iso

DRY_RUN = "dry-run"


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


def config_or_fail(root: Path) -> Config:
    config, findings = load_config(root)
    if config is None:
        first = findings[0]
        raise ConfigError(f"{first.message} (run `social validate` for every problem)",
                          file=first.file, line=first.line, code=first.code)
    return config


def publish(root: Path, *, now_text: str | None = None, dry_run: bool = False,
            channel_id: str | None = None, post_id: str | None = None,
            env: Mapping[str, str] | None = None, sleep: Sleep = time.sleep, clock: Clock = utc_now,
            progress: Progress | None = None, secrets: Secrets | None = None) -> PublishReport:
    """Publish every due part (or, with dry_run, write what would be sent to outbox/)."""
    root = Path(root).resolve()
    env = os.environ if env is None else env
    config = config_or_fail(root)
    if channel_id and channel_id not in config.channels:
        raise UsageError(f"unknown channel {channel_id!r}; channels: {', '.join(config.channels)}")
    try:
        now = parse_now(now_text, config.zone) if now_text else clock()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    secrets = secrets or Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    ledger = Ledger(root)
    report = PublishReport(now=now, zone=config.zone, dry_run=dry_run,
                           ledger_warnings=list(ledger.warnings))
    if dry_run:
        plan = _plan(root, config, ledger, now, channel_id, post_id)
        report.result = _dry_run(root, plan, progress)
        return report
    with ledger.locked():
        plan = _plan(root, config, ledger, now, channel_id, post_id)
        if plan.empty:
            return report

        from pipeline.networks.delivery import Http
        from pipeline.publish.run import Runner

        def http_for(_channel: str) -> Http:
            return Http(secrets=secrets, sleep=sleep, clock=clock)

        runner = Runner(root, ledger, env=env, http_for=http_for, clock=clock, progress=progress)
        report.result = runner.run(plan)
    return report


def _plan(root: Path, config: Config, ledger: Ledger, now: datetime, channel_id: str | None,
          post_id: str | None) -> Plan:
    files = files_to_read(root, config, ledger, now)
    content = read_posts(root, config, [], files)
    return make_plan(content, ledger, now, channel_id=channel_id, post_id=post_id)


def _dry_run(root: Path, plan: Plan, progress: Progress | None) -> RunResult:
    """Write each due part as the outbox would, for every channel; no network, no ledger."""
    from pipeline.networks.base import PartRequest
    from pipeline.networks.outbox import part_document, write_atomically

    result = RunResult()
    for jobs in plan.jobs.values():
        for job in jobs:
            if job.action != "publish":
                outcome = Outcome(job.post.id, job.channel.id, 0, DRY_RUN, error="would retract")
                result.outcomes.append(outcome)
                continue
            parts = job.rendering.parts
            for part in parts:
                request = PartRequest(
                    post_id=job.post.id, channel_id=job.channel.id, number=part.number,
                    total=len(parts), text=part.text, key="dry-run", title=job.post.title,
                    link=job.post.link, language=job.post.language,
                    content_warning=job.rendering.content_warning,
                    engagement=job.post.engagement if part.number == 1 else {},
                    facets=part.count.facets)
                path = root / "outbox" / job.channel.id / f"{job.post.id}.{part.number}.json"
                document = part_document(request, job.channel.network)
                document["media"] = [{"path": m.path, "alt": m.alt} for m in part.media]
                write_atomically(path, document)
                outcome = Outcome(job.post.id, job.channel.id, part.number, DRY_RUN,
                                  url=path.relative_to(root).as_posix())
                result.outcomes.append(outcome)
                if progress:
                    progress(outcome)
    for post, channel, numbers in plan.missed:
        result.outcomes.extend(Outcome(post.id, channel.id, n, "missed",
                                       error="too late: would be recorded as missed") for n in numbers)
    for post, channel in plan.uncertain:
        result.outcomes.append(Outcome(post.id, channel.id, 0, UNCERTAIN, error="waiting for `social resolve`"))
    for post, channel, reason in plan.invalid:
        result.outcomes.append(Outcome(post.id, channel.id, 0, FAILED, error=reason))
    return result


# -- status and resolve ---------------------------------------------------------------


def ledger_status(root: Path) -> tuple[list[Entry], list[str]]:
    """The current entry of every (post, channel, part), newest first, and reading warnings."""
    ledger = Ledger(Path(root))
    entries = sorted(ledger.latest(), key=lambda e: (e.at, e.post, e.channel, e.part), reverse=True)
    return entries, ledger.warnings


def resolve(root: Path, post_id: str, channel_id: str, *, part: int | None, published_url: str | None,
            not_published: bool, clock: Clock = utc_now) -> list[Entry]:
    """Settle uncertain (or pending) parts by a person's word; returns the lines written."""
    if bool(published_url) == bool(not_published):
        raise UsageError("say either --published URL or --not-published")
    root = Path(root).resolve()
    config_or_fail(root)
    ledger = Ledger(root)
    written = []
    with ledger.locked():
        open_parts = {n: e for n, e in ledger.parts(post_id, channel_id).items()
                      if e.state in (UNCERTAIN, "pending") and (part is None or n == part)}
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
