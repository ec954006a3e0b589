"""Running a plan: channels in parallel, parts in order, every step in the ledger first.

For each part: append `pending` (with the key) -> call the network -> append
`published` or `failed`. A `pending` found at start-up is reconciled by the
network, never re-sent blindly; an ambiguous failure is reconciled or retried
with the same key, or becomes `uncertain` for a person to settle.

A part is `uncertain` only when a request that is not safe to repeat may have
reached the network; anything that fails before that (a missing credential, an
unknown host, a refused connection, a network that cannot publish) is `failed`,
and the next run sends it.

A run can be asked to stop (`stop`, set by SIGTERM or SIGINT in `social publish`):
it finishes and records the parts in flight and starts no other, on any channel;
the parts it did not start are reported as not started and written nowhere, so
they stay due. A ledger line that cannot be written stops the whole run at once:
nothing more can be recorded, so nothing more may be sent.

Retraction deletes a thread from its last part back to its first and stops at the
first part that stays online, so a reply never outlives the post it answers.

A dry run is this same runner with every network replaced by an outbox writer
and the ledger kept in memory (`pipeline.publish.service`).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.content.identity import body_digest
from pipeline.content.model import Channel
from pipeline.errors import PipelineError
from pipeline.networks.base import DELETE_BY_HAND, Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.publish.plan import SEND_LATE, Job, JobAction, Plan, asked_to_send_late, settled
from pipeline.publish.result import DRY_RUN, NOT_STARTED, Outcome, Progress, RunResult
from pipeline.state.ledger import (
    DELETED,
    FAILED,
    MISSED,
    NEEDS_PERSON,
    PARTS,
    PENDING,
    PUBLISHED,
    UNCERTAIN,
    Entry,
    Ledger,
    LedgerState,
    LedgerWriteError,
)
from pipeline.state.meaning import TAKES_OVER
from pipeline.times import utc_iso

#: the network that publishes for a channel (a real one, or the outbox of a dry run)
NetworkFor = Callable[[Channel], Network]

STOPPED_BEFORE_SENDING = "the run was stopped before sending it; the next run sends it"
STOPPED_BEFORE_DELETING = "the run was stopped before deleting it; the next run deletes it"


class LedgerUnwritable(PipelineError):
    """A ledger line could not be written (a full disk): the run stopped at once."""


class Runner:
    """Carries out a plan against the networks `network_for` gives each channel."""

    def __init__(self, root: Path, ledger: Ledger, *, network_for: NetworkFor, clock: Callable[[], datetime],
                 progress: Progress | None = None, parallel: bool = True, dry_run: bool = False,
                 stop: threading.Event | None = None, run_id: str | None = None) -> None:
        self.root = root
        self.ledger = ledger
        self.network_for = network_for
        self.clock = clock
        self.progress = progress or (lambda outcome: None)
        self.parallel = parallel
        self.dry_run = dry_run
        self._claimed: dict[str, set[str]] = {}
        #: set from outside (a signal): finish the parts in flight, start no other
        self.stop = stop or threading.Event()
        #: written on every ledger line this run appends
        self.run_id = run_id
        #: set when a ledger line could not be written: every channel stops
        self._unwritable = threading.Event()

    def run(self, plan: Plan) -> RunResult:
        result = RunResult()
        for post, channel, numbers in plan.missed:
            for number in numbers:
                # A dry run at a later time calls missed only what was too late already by the clock.
                late = utc_iso(plan.runs_since or plan.now)
                self._record_outcome(result.outcomes, Entry(
                    post.id, channel.id, number, MISSED, late, file=post.file,
                    data={PARTS: max(numbers)} if max(numbers) > 1 else {},  # the rest, if this run dies
                    error=f"due {utc_iso(post.publish_at)}, more than {channel.max_lateness} late at {late}"))
        for post, channel in plan.uncertain:
            for number, entry in sorted(self.ledger.parts(post.id, channel.id).items()):
                if entry.state in NEEDS_PERSON:
                    result.outcomes.append(Outcome(post.id, channel.id, number, UNCERTAIN,
                                                   error=f"waiting for `social resolve` ({entry.state})"))
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
        result.stopped = self.stop.is_set()
        return result

    def _halted(self) -> bool:
        """Whether to start nothing more: the run was asked to stop, or the ledger cannot be written."""
        return self.stop.is_set() or self._unwritable.is_set()

    # -- one channel ------------------------------------------------------------------

    def _channel(self, jobs: list[Job]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        if self._halted():
            for job in jobs:
                self._not_started(job, self._open_parts(job), outcomes)
            return outcomes
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
                if self._halted():  # signing in was cut short by the stop, not refused
                    self._not_started(job, self._open_parts(job), outcomes)
                else:
                    self._record_unready(job, mask(exc.message))
                    self._fail_job(job, mask(exc.message), outcomes)
            return outcomes
        for index, job in enumerate(jobs):
            if self._halted():
                for later in jobs[index:]:
                    self._not_started(later, self._open_parts(later), outcomes)
                break
            try:
                if job.action == JobAction.RETRACT:
                    self._retract(network, job, outcomes)
                elif self._publish(network, job, outcomes):
                    for later in jobs[index + 1:]:
                        self._fail_job(later, "waiting: the channel is rate limited", outcomes)
                    break
            except LedgerUnwritable:
                raise
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
            if self._halted():
                self._not_started(job, [n for n in self._open_parts(job) if n >= number], outcomes)
                return False
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
        taken: dict = {}
        if current and current.state == PENDING:
            # A previous run stopped between sending and recording: ask the network first. What this
            # run writes about the part says whose attempt it takes over, so that a merge of racing
            # runs' lines can tell a takeover from a race (pipeline/state/meaning.py).
            taken = {TAKES_OVER: current.run} if current.run and current.run != self.run_id else {}
            try:
                found = network.reconcile(request, _time(current.at))
            except Uncertain as exc:
                return self._record_outcome(outcomes, self._entry(request, UNCERTAIN, job,
                                                                  error=mask(exc.message), data=taken))
            except DeliveryError as exc:
                # The network cannot be asked now: the part stays pending and the next run asks again.
                return self._unsettled(outcomes, request,
                                       f"could not check the earlier attempt: {mask(exc.message)}")
            except Exception as exc:  # an adapter's bug: the earlier attempt may still have gone out
                return self._record_outcome(outcomes, self._entry(
                    request, UNCERTAIN, job, error=f"could not check the earlier attempt: {_bug(exc, mask)}",
                    data=taken))
            if found is not None:
                return self._record_outcome(outcomes, self._published(request, found, job, taken))
            if job.late:
                if not network.can(Capability.RECONCILE, network.options):
                    return self._record_outcome(outcomes, self._entry(
                        request, UNCERTAIN, job, error=f"an earlier attempt may have gone out and it is "
                                                       f"now too late to send again ({self._late(job)})",
                        data=taken))
                return self._record_outcome(outcomes, self._entry(request, MISSED, job, error=self._late(job),
                                                                  data=taken))
        # What an earlier attempt recorded goes on the new pending line too, so that a run killed
        # again still leaves it to the next one.
        self._append(self._entry(request, PENDING, job, data={**request.progress, **taken}))
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
        """Delete the published parts from the last back to the first; stop at the first that stays.

        A failed delete is written on its part (still `published`, marked `retracting`),
        the parts before it stay online so the thread stays whole, and the next run goes
        on from there. A network that cannot delete, or refuses a delete for good (a message too
        old to delete: DELETE_BY_HAND), is told once per part, not every run: later runs leave the
        part, and the parts before it, to a person.
        """
        mask = network.http.secrets.mask
        parts = self.ledger.parts(job.post.id, job.channel.id)
        numbers = sorted((n for n, e in parts.items() if e.state == PUBLISHED), reverse=True)
        if not network.can(Capability.DELETE, network.options):
            for number in numbers:
                if not _told_cannot_delete(parts[number]):
                    self._retraction_failed(parts[number], job, outcomes, "cannot delete: remove it by hand "
                                            f"({network.title or network.name} cannot delete posts)")
            return
        for index, number in enumerate(numbers):
            if self._halted():
                self._not_started(job, numbers[index:], outcomes)
                return
            entry = parts[number]
            if _told_cannot_delete(entry):
                return  # a person deletes it by hand; the parts before it stay, so the thread stays whole
            try:
                network.delete(sent_part(entry))
            except Exception as exc:  # refused, unreachable, or an adapter's bug: the part is still online
                reason = mask(exc.message) if isinstance(exc, PipelineError) else \
                    f"unexpected error: {_bug(exc, mask)}"
                for_good = isinstance(exc, PipelineError) and exc.code in DELETE_BY_HAND
                self._retraction_failed(entry, job, outcomes, f"cannot delete: remove it by hand ({reason})"
                                        if for_good else f"delete failed: {reason}; the next run tries again")
                kept = f"kept online until part {number} is deleted (a thread is deleted from its last part)"
                for earlier in numbers[index + 1:]:
                    if for_good:  # no run deletes part `number`: the rest of the thread is a person's too
                        self._retraction_failed(parts[earlier], job, outcomes,
                                                f"cannot delete: remove it by hand ({kept})")
                    else:
                        self._report(outcomes, Outcome(entry.post, entry.channel, earlier, NOT_STARTED,
                                                       parts[earlier].url, kept))
                return
            self._record_outcome(outcomes, Entry(entry.post, entry.channel, number, DELETED,
                                                 utc_iso(self.clock()), key=entry.key,
                                                 remote_id=entry.remote_id, url=entry.url,
                                                 file=job.post.file))

    def _retraction_failed(self, entry: Entry, job: Job, outcomes: list[Outcome], error: str) -> None:
        """The part stays online: say so on its own line, which keeps what a later delete needs."""
        self._append(replace(entry, at=utc_iso(self.clock()), error=error, file=job.post.file,
                             data={**(entry.data or {}), "retracting": True}))
        self._report(outcomes, Outcome(entry.post, entry.channel, entry.part, FAILED, entry.url, error))

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
            progress=_progress(current),
            record_progress=lambda data: self._record_progress(job, post.id, number, data),
        )

    def _record_progress(self, job: Job, post_id: str, number: int, data: Mapping[str, Any]) -> None:
        """A network's step that the next attempt must know of: on a new pending line, merged."""
        current = self.ledger.current(post_id, job.channel.id, number)
        if current is None or current.state != PENDING:
            raise RuntimeError("progress can only be recorded while the part is pending")
        self._append(replace(current, at=utc_iso(self.clock()), data={**(current.data or {}), **data}))

    def _entry(self, request: PartRequest, state: LedgerState, job: Job, *, error: str | None = None,
               data: dict | None = None) -> Entry:
        # A thread's lines say how many parts it has: a run that comes too late for the rest still
        # reads the post and records the rest missed (pipeline/publish/select.py).
        whole = {PARTS: request.total} if request.total > 1 else {}
        return Entry(request.post_id, request.channel_id, request.number, state,
                     utc_iso(self.clock()), key=request.key, error=error, data={**(data or {}), **whole},
                     file=job.post.file, digest=body_digest(job.post.body))

    def _published(self, request: PartRequest, published: Published, job: Job, taken: dict | None = None
                   ) -> Entry:
        return Entry(request.post_id, request.channel_id, request.number, PUBLISHED,
                     utc_iso(self.clock()), key=request.key, remote_id=published.remote_id,
                     url=published.url, data={**published.data, **(taken or {})}, file=job.post.file,
                     digest=body_digest(job.post.body))

    def _unsettled(self, outcomes: list[Outcome], request: PartRequest, message: str) -> None:
        """Leave the part pending (nothing is written): reported as failed, checked again next run."""
        self._report(outcomes, Outcome(request.post_id, request.channel_id, request.number, FAILED,
                                       error=f"{message}; it stays pending and the next run checks again"))

    def _append(self, entry: Entry) -> Entry:
        """Write one ledger line, stamped with the run's id; if it cannot be written, stop every channel.

        The one place that turns the ledger's write error into LedgerUnwritable, which says
        what became of the part.
        """
        try:
            return self.ledger.append(replace(entry, run=self.run_id))
        except LedgerWriteError as exc:
            self._unwritable.set()
            raise LedgerUnwritable(_unwritable_message(entry, exc.reason),
                                   file=_shown(self.ledger.path, self.root), code="ledger-unwritable") from exc

    def _record_outcome(self, outcomes: list[Outcome], entry: Entry) -> Entry:
        entry = self._append(entry)
        if entry.remote_id and entry.channel in self._claimed:
            self._claimed[entry.channel].add(entry.remote_id)
        state = DRY_RUN if self.dry_run and entry.state in (PUBLISHED, DELETED) else entry.state
        self._report(outcomes, Outcome(entry.post, entry.channel, entry.part, state, entry.url, entry.error))
        return entry

    def _report(self, outcomes: list[Outcome], outcome: Outcome) -> None:
        outcomes.append(outcome)
        self.progress(outcome)

    def _fail_job(self, job: Job, message: str, outcomes: list[Outcome]) -> None:
        """Nothing of the job was tried: each part it has still to do is reported failed."""
        for number in self._open_parts(job) or [0]:
            self._report(outcomes, Outcome(job.post.id, job.channel.id, number, FAILED, error=message))

    def _record_unready(self, job: Job, message: str) -> None:
        """The channel failed before sending (a missing credential): say why in the ledger, where
        `social status` reads it, on each part still to send; once, while the reason stays the same.

        A part left pending keeps its line: it may be out, and only the network can tell.
        """
        if job.action != JobAction.PUBLISH or job.late:
            return
        post = job.post
        for number in self._open_parts(job):
            current = self.ledger.current(post.id, job.channel.id, number)
            if current is None or (current.state in (FAILED, MISSED) and current.error != message):
                # A person's wish to send it although late stays, as does a key already chosen.
                data = {SEND_LATE: True} if asked_to_send_late(current) else {}
                self._append(Entry(post.id, job.channel.id, number, FAILED, utc_iso(self.clock()), error=message,
                                   key=current.key if current else None, data=data, file=post.file,
                                   digest=body_digest(post.body)))

    def _open_parts(self, job: Job) -> list[int]:
        """The parts a job has still to do: to delete (last first), or to send (or settle)."""
        parts = self.ledger.parts(job.post.id, job.channel.id)
        if job.action == JobAction.RETRACT:
            return sorted((n for n, e in parts.items() if e.state == PUBLISHED), reverse=True)
        total = len(job.rendering.parts) if job.rendering and job.rendering.parts else 1
        return [n for n in range(1, total + 1) if not settled(parts.get(n), job.post)]

    def _not_started(self, job: Job, numbers: list[int], outcomes: list[Outcome]) -> None:
        """Parts the run was stopped before: reported, written nowhere, so they stay due."""
        message = STOPPED_BEFORE_DELETING if job.action == JobAction.RETRACT else STOPPED_BEFORE_SENDING
        for number in numbers:
            self._report(outcomes, Outcome(job.post.id, job.channel.id, number, NOT_STARTED, error=message))

    def _settle_open_parts(self, job: Job, message: str, outcomes: list[Outcome]) -> None:
        """After an error nobody expected, outside sending: a part left pending may be out."""
        for entry in self.ledger.parts(job.post.id, job.channel.id).values():
            if entry.state == PENDING:
                self._record_outcome(outcomes, replace(entry, state=UNCERTAIN, at=utc_iso(self.clock()),
                                                       error=message, data={}, file=job.post.file))
                return
        self._fail_job(job, message, outcomes)


def sent_part(entry: Entry) -> SentPart:
    """What a network needs to know of a part that went out, without the ledger."""
    return SentPart(entry.post, entry.channel, entry.part, entry.key, entry.remote_id, entry.url,
                    dict(entry.data or {}))


def _progress(current: Entry | None) -> dict:
    """What the network recorded on a pending part (the engine's own `takes_over` and `parts` left out)."""
    if current is None or current.state != PENDING:
        return {}
    return {key: value for key, value in (current.data or {}).items() if key not in (TAKES_OVER, PARTS)}


def _told_cannot_delete(entry: Entry) -> bool:
    return bool(entry.data and entry.data.get("retracting")) and (entry.error or "").startswith("cannot delete")


def _shown(path: Path | None, root: Path) -> str | None:
    """A path as people see it: relative to the repository when it is inside."""
    if path is None:
        return None
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _unwritable_message(entry: Entry, reason: str) -> str:
    part = f"part {entry.part} of {entry.post} on {entry.channel}"
    if entry.state == PENDING:
        consequence = f"{part} was not sent"
    elif entry.state in (PUBLISHED, FAILED, UNCERTAIN) and not (entry.data or {}).get("retracting"):
        consequence = (f"{part} was sent but its outcome could not be recorded: it stays pending, and the "
                       "next run asks the network before sending anything")
    else:
        consequence = f"its `{entry.state}` line for {part} is not recorded; the next run writes it again"
    return (f"cannot write to the ledger ({reason}): the run stopped, on every channel; "
            f"{consequence}. Free the disk, then run again.")


def _bug(exc: Exception, mask: Callable[[str], str]) -> str:
    return mask("".join(traceback.format_exception_only(exc)).strip())


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
