"""Running a plan: channels in parallel, parts in order, every step in the ledger first.

For each part: append `pending` (with the key) -> call the network -> append
`published` or `failed`. A `pending` found at start-up is reconciled by the
network, never re-sent blindly; an ambiguous failure is reconciled or retried
with the same key, or becomes `uncertain` for a person to settle.

A part is `uncertain` only when a request that is not safe to repeat may have
reached the network; anything that fails before that (a missing credential, an
unknown host, a refused connection, a network that cannot publish) is `failed`,
and the next run sends it.

A dry run is this same runner with every network replaced by an outbox writer
and the ledger kept in memory (`pipeline.publish.service`).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from pipeline.content.identity import body_digest
from pipeline.content.model import Channel
from pipeline.errors import PipelineError
from pipeline.networks.base import Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.publish.plan import Job, JobAction, Plan, settled
from pipeline.publish.result import DRY_RUN, Outcome, Progress, RunResult
from pipeline.state.ledger import (
    DELETED,
    FAILED,
    MISSED,
    PENDING,
    PUBLISHED,
    UNCERTAIN,
    Entry,
    Ledger,
    LedgerState,
)
from pipeline.times import utc_iso

#: the network that publishes for a channel (a real one, or the outbox of a dry run)
NetworkFor = Callable[[Channel], Network]


class Runner:
    """Carries out a plan against the networks `network_for` gives each channel."""

    def __init__(self, root: Path, ledger: Ledger, *, network_for: NetworkFor, clock: Callable[[], datetime],
                 progress: Progress | None = None, parallel: bool = True, dry_run: bool = False) -> None:
        self.root = root
        self.ledger = ledger
        self.network_for = network_for
        self.clock = clock
        self.progress = progress or (lambda outcome: None)
        self.parallel = parallel
        self.dry_run = dry_run
        self._claimed: dict[str, set[str]] = {}

    def run(self, plan: Plan) -> RunResult:
        result = RunResult()
        for post, channel, numbers in plan.missed:
            for number in numbers:
                late = utc_iso(plan.now)
                self._record_outcome(result.outcomes, Entry(
                    post.id, channel.id, number, MISSED, late, file=post.file,
                    error=f"due {utc_iso(post.publish_at)}, more than {channel.max_lateness} late at {late}"))
        for post, channel in plan.uncertain:
            result.outcomes.append(Outcome(post.id, channel.id, 0, UNCERTAIN,
                                           error="waiting for `social resolve`"))
        for post, channel, reason in plan.invalid:
            result.outcomes.append(Outcome(post.id, channel.id, 0, FAILED, error=reason))
        for entry in plan.orphaned:
            self._record_outcome(result.outcomes, replace(
                entry, state=UNCERTAIN, at=utc_iso(plan.now), data={},
                error=f"its post is gone ({entry.file or 'its file'} was deleted or now holds another post) "
                      "while this part was being sent, so it may be online: look at the account, then run "
                      f"`social resolve {entry.post} --channel {entry.channel} --part {entry.part}` with "
                      "--published URL or --not-published"))
        channels = list(plan.jobs.values())
        if self.parallel and len(channels) > 1:
            with ThreadPoolExecutor(max_workers=min(8, len(channels))) as pool:
                for outcomes in pool.map(self._channel, channels):
                    result.outcomes.extend(outcomes)
        else:
            for jobs in channels:
                result.outcomes.extend(self._channel(jobs))
        return result

    # -- one channel ------------------------------------------------------------------

    def _channel(self, jobs: list[Job]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        channel_id = jobs[0].channel.id
        # What the channel's parts already went out as; grows as this run publishes.
        self._claimed[channel_id] = {e.remote_id for e in self.ledger.latest()
                                     if e.channel == channel_id and e.remote_id}
        network = self.network_for(jobs[0].channel)
        mask = network.http.secrets.mask
        try:
            network.check_ready()
        except PipelineError as exc:  # nothing was sent: every job of the channel fails
            for job in jobs:
                self._fail_job(job, mask(exc.message), outcomes)
            return outcomes
        for index, job in enumerate(jobs):
            try:
                if job.action == JobAction.RETRACT:
                    self._retract(network, job, outcomes)
                elif self._publish(network, job, outcomes):
                    for later in jobs[index + 1:]:
                        self._fail_job(later, "waiting: the channel is rate limited", outcomes)
                    break
            except Exception as exc:  # a bug in an adapter must not stop the other channels
                self._settle_open_parts(job, f"unexpected error: {_bug(exc, mask)}", outcomes)
        return outcomes

    def _publish(self, network: Network, job: Job, outcomes: list[Outcome]) -> bool:
        """Send the job's parts in order; True when the whole channel must wait (rate limit)."""
        post, channel = job.post, job.channel
        parts = job.rendering.parts if job.rendering and job.rendering.parts else []
        total = max(1, len(parts))
        root: SentPart | None = None
        parent: SentPart | None = None
        for number in range(1, total + 1):
            current = self.ledger.current(post.id, channel.id, number)
            if settled(current, post):
                if current.state != PUBLISHED:
                    return False
                parent = sent_part(current)
                root = root or parent
                continue
            request = self._request(job, number, total, parts, root, parent, network, current)
            if job.late and not (current and current.state == PENDING):
                self._record_outcome(outcomes, self._entry(request, MISSED, job, error=self._late(job)))
                continue
            entry = self._send(network, request, current, job, outcomes)
            if entry is None:
                return False
            if entry.state == FAILED:
                return bool(entry.data.get("retry_later"))
            if entry.state != PUBLISHED:
                return False
            parent = sent_part(entry)
            root = root or parent
        return False

    def _send(self, network: Network, request: PartRequest, current: Entry | None, job: Job,
              outcomes: list[Outcome]) -> Entry | None:
        mask = network.http.secrets.mask
        if current and current.state == PENDING:
            # A previous run stopped between sending and recording: ask the network first.
            try:
                found = network.reconcile(request, _time(current.at))
            except Uncertain as exc:
                return self._record_outcome(outcomes, self._entry(request, UNCERTAIN, job,
                                                                  error=mask(exc.message)))
            except DeliveryError as exc:
                # The network cannot be asked now: the part stays pending and the next run asks again.
                return self._unsettled(outcomes, request,
                                       f"could not check the earlier attempt: {mask(exc.message)}")
            except Exception as exc:  # an adapter's bug: the earlier attempt may still have gone out
                return self._record_outcome(outcomes, self._entry(
                    request, UNCERTAIN, job, error=f"could not check the earlier attempt: {_bug(exc, mask)}"))
            if found is not None:
                return self._record_outcome(outcomes, self._published(request, found, job))
            if job.late:
                if not network.can(Capability.RECONCILE):
                    return self._record_outcome(outcomes, self._entry(
                        request, UNCERTAIN, job, error=f"an earlier attempt may have gone out and it is "
                                                       f"now too late to send again ({self._late(job)})"))
                return self._record_outcome(outcomes, self._entry(request, MISSED, job, error=self._late(job)))
        self.ledger.append(self._entry(request, PENDING, job))
        unsafe_before = network.http.unsafe_sent
        try:
            published = network.publish(request)
        except DeliveryError as exc:
            if not exc.ambiguous:
                data = {"retry_later": True} if exc.retry_later else {}
                return self._record_outcome(outcomes, self._entry(request, FAILED, job,
                                                                  error=mask(exc.message), data=data))
            return self._settle_ambiguous(network, request, job, outcomes, mask(exc.message))
        except Uncertain as exc:
            return self._record_outcome(outcomes, self._entry(request, UNCERTAIN, job, error=mask(exc.message)))
        except PipelineError as exc:
            return self._record_outcome(outcomes, self._entry(request, FAILED, job, error=mask(exc.message)))
        except Exception as exc:  # an adapter's bug: uncertain only if a request may have reached it
            state = UNCERTAIN if network.http.unsafe_sent != unsafe_before else FAILED
            return self._record_outcome(outcomes, self._entry(request, state, job,
                                                              error=f"unexpected error: {_bug(exc, mask)}"))
        return self._record_outcome(outcomes, self._published(request, published, job))

    def _settle_ambiguous(self, network: Network, request: PartRequest, job: Job, outcomes: list[Outcome],
                          message: str) -> Entry | None:
        """The network may have acted: look, then retry once with the same key, else uncertain."""
        mask = network.http.secrets.mask
        pending = self.ledger.current(request.post_id, request.channel_id, request.number)
        try:
            found = network.reconcile(request, _time(pending.at) if pending else None)
        except DeliveryError as exc:
            return self._unsettled(outcomes, request, f"{message}; could not check: {mask(exc.message)}")
        except PipelineError as exc:
            return self._record_outcome(outcomes, self._entry(
                request, UNCERTAIN, job, error=f"{message}; then: {mask(exc.message)}"))
        try:
            if found is None:
                found = network.publish(request)  # same key: the network drops a duplicate
        except DeliveryError as exc:
            if exc.ambiguous or exc.retry_later:
                return self._unsettled(outcomes, request, f"{message}; sent again: {mask(exc.message)}")
            return self._record_outcome(outcomes, self._entry(request, FAILED, job,
                                                              error=f"{message}; then: {mask(exc.message)}"))
        except PipelineError as exc:
            return self._record_outcome(outcomes, self._entry(
                request, UNCERTAIN, job, error=f"{message}; then: {mask(exc.message)}"))
        return self._record_outcome(outcomes, self._published(request, found, job))

    def _retract(self, network: Network, job: Job, outcomes: list[Outcome]) -> None:
        mask = network.http.secrets.mask
        parts = self.ledger.parts(job.post.id, job.channel.id)
        for number in sorted(parts, reverse=True):  # replies first, the thread's root last
            entry = parts[number]
            if entry.state != PUBLISHED:
                continue
            if not network.can(Capability.DELETE):
                outcomes.append(Outcome(entry.post, entry.channel, number, FAILED,
                                        error=f"{network.name} cannot delete; remove it by hand"))
                continue
            try:
                network.delete(sent_part(entry))
            except PipelineError as exc:
                # Nothing is written: the part is still out there, and the next run tries again.
                outcome = Outcome(entry.post, entry.channel, number, FAILED, entry.url,
                                  f"delete failed: {mask(exc.message)}")
                outcomes.append(outcome)
                self.progress(outcome)
                continue
            self._record_outcome(outcomes, Entry(entry.post, entry.channel, number, DELETED,
                                                 utc_iso(self.clock()), key=entry.key,
                                                 remote_id=entry.remote_id, url=entry.url,
                                                 file=job.post.file))

    # -- helpers ------------------------------------------------------------------------

    def _late(self, job: Job) -> str:
        return (f"due {utc_iso(job.post.publish_at)}, more than {job.channel.max_lateness} late at "
                f"{utc_iso(self.clock())}")

    def _request(self, job: Job, number: int, total: int, parts, root: SentPart | None,
                 parent: SentPart | None, network: Network, current: Entry | None) -> PartRequest:
        post, rendering = job.post, job.rendering
        part = parts[number - 1] if parts else None
        key = current.key if current and current.key else network.new_key(post.id, number)
        media = ()
        if part and part.media:
            content = self.root / "content"
            media = tuple(MediaFile(content / m.path, m.alt or "", m.width, m.height, m.format)
                          for m in part.media)
        return PartRequest(
            post_id=post.id, channel_id=job.channel.id, number=number, total=total,
            text=part.text if part else "", key=key, media=media, root=root, parent=parent,
            title=post.title, link=rendering.link if rendering else post.link, language=post.language,
            content_warning=rendering.content_warning if rendering else None,
            engagement=post.engagement if number == 1 else {},
            facets=part.count.facets if part else (),
            claimed=self._claimed.get(job.channel.id, frozenset()),
        )

    def _entry(self, request: PartRequest, state: LedgerState, job: Job, *, error: str | None = None,
               data: dict | None = None) -> Entry:
        return Entry(request.post_id, request.channel_id, request.number, state,
                     utc_iso(self.clock()), key=request.key, error=error, data=data or {},
                     file=job.post.file, digest=body_digest(job.post.body))

    def _published(self, request: PartRequest, published: Published, job: Job) -> Entry:
        return Entry(request.post_id, request.channel_id, request.number, PUBLISHED,
                     utc_iso(self.clock()), key=request.key, remote_id=published.remote_id,
                     url=published.url, data=dict(published.data), file=job.post.file,
                     digest=body_digest(job.post.body))

    def _unsettled(self, outcomes: list[Outcome], request: PartRequest, message: str) -> None:
        """Leave the part pending (nothing is written): reported as failed, checked again next run."""
        outcome = Outcome(request.post_id, request.channel_id, request.number, FAILED,
                          error=f"{message}; it stays pending and the next run checks again")
        outcomes.append(outcome)
        self.progress(outcome)

    def _record_outcome(self, outcomes: list[Outcome], entry: Entry) -> Entry:
        self.ledger.append(entry)
        if entry.remote_id and entry.channel in self._claimed:
            self._claimed[entry.channel].add(entry.remote_id)
        state = DRY_RUN if self.dry_run and entry.state in (PUBLISHED, DELETED) else entry.state
        outcome = Outcome(entry.post, entry.channel, entry.part, state, entry.url, entry.error)
        outcomes.append(outcome)
        self.progress(outcome)
        return entry

    def _fail_job(self, job: Job, message: str, outcomes: list[Outcome]) -> None:
        outcome = Outcome(job.post.id, job.channel.id, 0, FAILED, error=message)
        outcomes.append(outcome)
        self.progress(outcome)

    def _settle_open_parts(self, job: Job, message: str, outcomes: list[Outcome]) -> None:
        """After an error nobody expected, outside sending: a part left pending may be out."""
        for entry in self.ledger.parts(job.post.id, job.channel.id).values():
            if entry.state == PENDING:
                self._record_outcome(outcomes, replace(entry, state=UNCERTAIN, at=utc_iso(self.clock()),
                                                       error=message, data={}, file=job.post.file))
                return
        outcomes.append(Outcome(job.post.id, job.channel.id, 0, FAILED, error=message))


def sent_part(entry: Entry) -> SentPart:
    """What a network needs to know of a part that went out, without the ledger."""
    return SentPart(entry.post, entry.channel, entry.part, entry.key, entry.remote_id, entry.url,
                    dict(entry.data or {}))


def _bug(exc: Exception, mask: Callable[[str], str]) -> str:
    return mask("".join(traceback.format_exception_only(exc)).strip())


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
