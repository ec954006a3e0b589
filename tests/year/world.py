"""The year itself: the scheduled runs in time order, the person's visits, and the checks at the end.

Only the runs that matter are run: after a clean run (nothing failed, nothing left
for the next run) the year skips ahead to the next tick at or after the next thing
that can make a post due (a commit, a post's time, a person's word). A run that was
dropped, killed, cancelled or left work behind is followed by the next tick's run, as
the cron would; a run that keeps failing for eight hours (a retraction the network
refuses for good) stops holding the year at every tick.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.networks.delivery import Http
from pipeline.publish.result import NOT_STARTED
from pipeline.publish.status import Group, publishing_status
from pipeline.state.ledger import DELETED, FAILED, MISSED, PUBLISHED, UNCERTAIN, Ledger
from tests.fakes.clock import FakeClock
from tests.teamgit import Crash
from tests.year.accounts import Account, Item
from tests.year.calendar import READY, RETRACTED, Calendar, Post, Version, _daytime, make_calendar
from tests.year.schedule import Kill, Schedule, Trap, tick_at_or_after
from tests.year.team import Origin, Person, Runner

#: a run that keeps failing holds the year at every tick for this many runs at most
MAX_BUSY_RUNS = 32


@dataclass
class Run:
    """What one runner did in one scheduled run, for the log and for what comes next."""

    start: datetime
    runner: str
    kill: Kill | None = None
    #: the run's own time: when its publish step started (a racing run starts after the other's)
    now: datetime | None = None
    killed: bool = False
    report: object = None
    pushed: bool = False
    conflicts: int = 0

    @property
    def clean(self) -> bool:
        """Nothing for the next run to do: the run ended well and left nothing failed or not started."""
        if self.killed or not self.pushed or self.report is None or self.report.stopped:
            return False
        return not any(o.state == NOT_STARTED or (o.state == FAILED and o.part > 0)
                       for o in self.report.result.outcomes)


@dataclass
class Year:
    """A seeded year (or a slice of one) of scheduled runs against `accounts`."""

    seed: int
    root: object
    accounts: list[Account]
    clock: FakeClock
    start: datetime
    end: datetime
    per_week: float
    incidents: int
    trap: Trap
    log: list[str] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    #: (channel, serial, part) -> start of the run after which it was first seen online
    seen: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.by_channel = {account.channel: account for account in self.accounts}
        self.calendar: Calendar = make_calendar(self.rng, {a.channel: a.network for a in self.accounts},
                                                self.start, self.end, per_week=self.per_week)
        targets = {name: self.by_channel[channel].foreign_post(name.split("-")[0])
                   for name, channel in self.calendar.targets.items()}
        self.origin = Origin(self.root, {a.channel: a.settings() for a in self.accounts}, self.calendar, targets)
        self.runners = [Runner(self.origin, "runner-a"), Runner(self.origin, "runner-b")]
        self.person = Person(self.origin, "desk")
        self.env = {name: value for account in self.accounts for name, value in account.env().items()}
        self.schedule = Schedule(self.rng, self.start, self.end, incidents=self.incidents)
        self.person_due: datetime | None = None
        #: unpushed ledgers the workflow kept as artifacts; while there are any, publishing is disabled
        self.artifacts: list[str] = []
        self.events = self.calendar.event_times()

    # -- the year ------------------------------------------------------------------------

    def live(self) -> None:
        tick = tick_at_or_after(self.start)
        settled_at = self.start - timedelta(seconds=1)  # the start of the last run that left nothing to do
        busy = 0
        while tick < self.end:
            if self.person_due is not None and self.person_due <= tick:
                self.visit(self.person_due)
            if self.artifacts:  # the workflow is disabled until a person restores the ledger
                tick = tick_at_or_after(max(tick + timedelta(minutes=1), self.person_due or tick))
                continue
            if busy == 0:
                upcoming = self._next_event(settled_at)
                if upcoming is None or upcoming > tick:
                    later = min(t for t in (upcoming, self.person_due, self.end) if t is not None)
                    tick = tick_at_or_after(later)
                    continue
            start, why = self.schedule.start(tick)
            if start is None:
                self.stats["dropped"] += 1
                self.log.append(f"{tick:%m-%d %H:%M} {why}")
                busy = max(busy, 1)
                tick = tick_at_or_after(tick + timedelta(minutes=1))
                continue
            if start > self.end:
                break
            self.clock.now = max(self.clock.now, start)
            runs = self.scheduled_run(self.clock.now, why)
            if all(run.clean for run in runs) or busy >= MAX_BUSY_RUNS:
                settled_at, busy = runs[0].start, 0
            else:
                busy += 1
            tick = tick_at_or_after(max(tick, self.clock.now) + timedelta(minutes=1))

    def finish(self) -> None:
        """The end of the year: the person settles what waits for them, and two quiet runs catch up."""
        self.clock.now = max(self.clock.now, self.end)
        for _ in range(2):
            self.visit(self.clock.now)
            self.clock.now += timedelta(minutes=20)
            self.scheduled_run(self.clock.now, "the last run", calm=True)
        self.visit(self.clock.now)

    def _next_event(self, after: datetime) -> datetime | None:
        index = bisect.bisect_right(self.events, after)
        return self.events[index] if index < len(self.events) else None

    def _add_event(self, moment: datetime) -> None:
        bisect.insort(self.events, moment)

    # -- one scheduled run -----------------------------------------------------------------

    def scheduled_run(self, start: datetime, why: str, *, calm: bool = False) -> list[Run]:
        changed = self.origin.catch_up(start)
        if changed:
            self.log.append(f"{start:%m-%d %H:%M} commit: {'; '.join(changed)}")
        overlap = not calm and self.schedule.overlaps()
        runners = self.runners if overlap else self.runners[:1]
        for runner in runners:
            runner.checkout()
        faults = [] if calm else self.schedule.faults([a.channel for a in self.accounts])
        for channel, kind in faults:
            self.stats[f"fault {kind}"] += 1
            self.log.append(f"{start:%m-%d %H:%M}   fault {self.by_channel[channel].inject(kind, self.rng)}")
        runs = [Run(start, runner.folder.name, kill=None if calm else self.schedule.kill()) for runner in runners]
        self.stats["runs"] += len(runs)
        self.stats["overlapping runs"] += 2 if overlap else 0
        order = list(zip(runners, runs, strict=True))
        self.rng.shuffle(order)
        for runner, run in order:
            self._publish(runner, run)
        for account in self.accounts:
            account.calm()
        self.rng.shuffle(order)
        for runner, run in order:
            self._push(runner, run)
        for run in runs:
            self.log.append(f"{run.now:%m-%d %H:%M} {run.runner} ({why}){self._summary(run)}")
        return runs

    def _publish(self, runner: Runner, run: Run) -> None:
        stop = threading.Event()
        kill = run.kill if run.kill and run.kill.where != "push" else None
        run.now = self.clock.now
        self.trap.arm(kill, stop)
        try:
            run.report = runner.publish(self.clock, self.env, stop)
        except Crash:
            run.killed = True
            self.stats[f"killed {run.kill.where}"] += 1
        finally:
            self.trap.disarm()
        self._look_online(run.now)
        if run.kill and run.kill.where == "cancel" and stop.is_set():
            self.stats["cancelled"] += 1
        report = run.report
        if report is not None:
            for outcome in report.result.outcomes:
                self.stats[f"outcome {outcome.state}"] += 1
            if any(o.state in (UNCERTAIN, MISSED) for o in report.result.outcomes):
                self._call_person(run.start)

    def _push(self, runner: Runner, run: Run) -> None:
        """The workflow's push step: it runs after a cancelled or killed publish step too."""
        kill = run.kill if run.kill and run.kill.where == "push" else None
        self.trap.arm(kill)
        try:
            result = runner.push(self.clock, f"Publish run at {run.start:%m-%d %H:%M}")
            run.pushed = True
            run.conflicts = len(result.conflicts)
            if result.conflicts:
                self.stats["pushes that merged a conflict"] += 1
                self._call_person(run.start)
        except Crash:
            # The push step died after the commit: the workflow keeps the ledger as an artifact and
            # disables itself until a person puts it on the state branch (docs/setup.md).
            run.killed = True
            self.stats["killed push"] += 1
            self.artifacts.append(runner.ledger_text())
            self._call_person(run.start)
        finally:
            self.trap.disarm()

    def _summary(self, run: Run) -> str:
        parts = []
        if run.kill:
            parts.append(f"kill {run.kill}{'' if run.killed else ' (not reached)'}")
        if run.report is not None:
            states = Counter(o.state for o in run.report.result.outcomes)
            parts += [f"{count} {state}" for state, count in sorted(states.items())]
            parts += [f"{o.post}/{o.channel}/{o.part} {o.state}: {o.error}" for o in run.report.result.outcomes
                      if o.state not in (PUBLISHED, DELETED)]
        if run.conflicts:
            parts.append(f"{run.conflicts} conflicts")
        return ": " + ", ".join(parts) if parts else ""

    def _call_person(self, moment: datetime) -> None:
        due = moment + timedelta(minutes=self.rng.randint(60, 20 * 60))
        self.person_due = due if self.person_due is None else min(self.person_due, due)

    def _look_online(self, start: datetime) -> None:
        for account in self.accounts:
            for item in account.items():
                for serial, part in item.markers():
                    self.seen.setdefault((account.channel, serial, part), start)

    # -- the person --------------------------------------------------------------------------

    def visit(self, moment: datetime) -> None:
        self.clock.now = max(self.clock.now, moment)
        self.person_due = None
        for artifact in self.artifacts:
            self.person.restore(self.clock, artifact)
            self.log.append(f"{self.clock.now:%m-%d %H:%M} person: restored an unpushed ledger")
        self.artifacts = []
        said = self.person.settle(self.clock, self.by_channel, self.calendar)
        self.stats["settled by a person"] += len(said)
        self.log += [f"{self.clock.now:%m-%d %H:%M} person: {line}" for line in said]
        self._give_missed_posts_a_new_time()
        self._add_event(self.clock.now)

    def _give_missed_posts_a_new_time(self) -> None:
        """Some missed posts are worth sending still: the editor gives them a new time."""
        status = publishing_status(self.person.folder, clock=self.clock)
        missed = sorted({row.post for row in status.rows if row.group == Group.MISSED and row.needs_person})
        for post_id in missed:
            post = self._post(post_id)
            latest = post.versions[-1]
            if latest.status != READY or latest.at > self.clock.now or self.rng.random() > 0.3:
                continue
            # A few minutes to write it: never at the very moment of a run that already sent the post elsewhere.
            version = Version(self.clock.now + timedelta(minutes=5),
                              _daytime(self.rng, self.clock.now + timedelta(days=1)), wording=latest.wording)
            self.origin.add_change(post, version)
            self._add_event(version.at)
            self._add_event(version.publish_at)
            self.log.append(f"{self.clock.now:%m-%d %H:%M} person: {post_id} missed, new time "
                            f"{version.publish_at:%m-%d %H:%M}")

    def _post(self, post_id: str) -> Post:
        return next(post for post in self.calendar.posts if post.id == post_id)

    # -- the checks ----------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Every way the promise was broken, one line each (empty: kept)."""
        problems: list[str] = []
        self.person.checkout()
        ledger = Ledger(self.person.folder)
        online: dict[tuple[str, int, int], list[Item]] = defaultdict(list)
        for account in self.accounts:
            for item in account.items():
                markers = item.markers()
                if not markers:
                    continue
                for serial, part in markers:
                    online[(account.channel, serial, part)].append(item)
        posts = {post.serial: post for post in self.calendar.posts}
        for channel, serial, part in online:
            post = posts.get(serial)
            if post is None or channel not in post.channels or part > post.parts:
                problems.append(f"{channel} holds yr{serial}p{part}, which is no part of a post on it")
        for post in self.calendar.posts:
            for channel in post.channels:
                for part in range(1, post.parts + 1):
                    problems += self._check_part(ledger, online, post, channel, part)
        problems += self._check_lateness()
        for entry in ledger.latest():  # parts the calendar does not have (a channel or part count of its own)
            post = next((p for p in self.calendar.posts if p.id == entry.post), None)
            if (entry.state == PUBLISHED and post and not post.reposts
                    and not online.get((entry.channel, post.serial, entry.part))
                    and (entry.channel not in post.channels or entry.part > post.parts)):
                problems.append(f"{entry.post} part {entry.part} on {entry.channel}: the ledger says published "
                                f"({entry.url}), the account does not hold it")
        return problems

    def _check_part(self, ledger: Ledger, online, post: Post, channel: str, part: int) -> list[str]:
        name = f"{post.id} part {part} on {channel}"
        entry = ledger.current(post.id, channel, part)
        final = post.version(self.end)
        account = self.by_channel[channel]
        if post.reposts:
            key, target = post.engagement[0]
            out = account.engaged(self.origin.targets[target], key)
            if out != (entry is not None and entry.state == PUBLISHED):
                return [f"{name}: the ledger says {entry.state if entry else 'nothing'}, the account "
                        f"{'does' if out else 'does not'} {key} the post"]
            return []
        copies = online.get((channel, post.serial, part), [])
        state = entry.state if entry else None
        if len(copies) > 1:
            return [f"{name}: online {len(copies)} times: {[c.url for c in copies]}; ledger: {state}"]
        if copies:
            item = copies[0]
            if state != PUBLISHED:
                return [f"{name}: online ({item.url}) but the ledger says {state}"]
            if item.remote_id != entry.remote_id and item.url != entry.url:
                return [f"{name}: online as {item.url}, the ledger says {entry.url} ({entry.remote_id})"]
            if final is not None and final.status == RETRACTED and not entry.retraction_failed:
                return [f"{name}: retracted, still online, and the ledger does not say the deletion failed"]
            return self._check_thread(ledger, online, post, channel, part, item)
        if state == PUBLISHED:
            return [f"{name}: the ledger says published ({entry.url}), the account does not hold it"]
        if state == DELETED:
            return [] if final is not None and final.status == RETRACTED else [f"{name}: deleted, never retracted"]
        if state in (MISSED, FAILED, UNCERTAIN):
            return [] if entry.error else [f"{name}: {state} without a reason"]
        if state is not None:
            return [f"{name}: left {state}"]
        if self._was_due(post):
            return [f"{name}: due and never handled (no ledger line, not online)"]
        return []

    def _check_thread(self, ledger: Ledger, online, post: Post, channel: str, part: int, item: Item) -> list[str]:
        account = self.by_channel[channel]
        if part > 1:
            parent = online.get((channel, post.serial, part - 1), [])
            if not parent or item.parent != parent[0].remote_id:
                return [f"{post.id} part {part} on {channel} does not answer part {part - 1} ({item.parent})"]
        elif any(key == "reply_to" for key, _ in post.engagement):
            target = account.target_id(self.origin.targets[post.engagement[0][1]])
            if item.parent != target:
                return [f"{post.id} on {channel} went out, but not as a reply to {target} ({item.parent})"]
        return []

    def _was_due(self, post: Post) -> bool:
        """Whether some version, while it was the one on main, was ready and due before the year ended."""
        versions = [v for v in post.versions if v.at <= self.end]
        for index, version in enumerate(versions):
            until = versions[index + 1].at if index + 1 < len(versions) else self.end
            if version.status == READY and version.publish_at < until:
                return True
        return False

    def _check_lateness(self) -> list[str]:
        problems = []
        for (channel, serial, part), sent in sorted(self.seen.items()):
            post = next(p for p in self.calendar.posts if p.serial == serial)
            version = post.version(sent)
            lateness = self.by_channel[channel].max_lateness or timedelta(hours=6)
            if version is None or version.status != READY:
                problems.append(f"{post.id} part {part} on {channel} went out at {sent} while not ready")
            elif sent < version.publish_at:
                problems.append(f"{post.id} part {part} on {channel} went out at {sent}, before its time "
                                f"{version.publish_at}")
            elif sent - version.publish_at > lateness:
                problems.append(f"{post.id} part {part} on {channel} went out at {sent}, "
                                f"{sent - version.publish_at} after its time {version.publish_at} "
                                f"(max_lateness {lateness})")
        return problems


def install(monkeypatch, trap: Trap, seed: int) -> None:
    """The hooks a kill needs, one channel at a time, and seeded jitter: a seed replays its year."""
    import functools

    import pipeline.git
    from pipeline.publish.run import Runner as Engine
    from pipeline.state.ledger import Ledger as FileLedger

    monkeypatch.setattr(Engine, "__init__", functools.partialmethod(Engine.__init__, parallel=False))
    jitter = random.Random(seed)
    original_http = Http.__init__
    monkeypatch.setattr(Http, "__init__", lambda self, **kw: original_http(self, **{"rng": jitter, **kw}))

    request = Http.request

    def hooked_request(self, method, url, **kwargs):
        trap.before("request")
        answer = request(self, method, url, **kwargs)
        trap.after("request")
        return answer

    append = FileLedger.append

    def hooked_append(self, entry):
        trap.before("line", entry)
        written = append(self, entry)
        trap.after("line")
        return written

    run = pipeline.git.run

    def hooked_git(folder, *args, **kwargs):
        if args and args[0] == "push":
            trap.before("push")
        return run(folder, *args, **kwargs)

    monkeypatch.setattr(Http, "request", hooked_request)
    monkeypatch.setattr(FileLedger, "append", hooked_append)
    monkeypatch.setattr(pipeline.git, "run", hooked_git)
