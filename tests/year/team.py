"""The git side of the year: the origin, the editor's commits, the runners, and the person.

The origin is a bare repository with `main` (the content) and the `state` branch (the
ledger). The editor commits the calendar's changes to main as their times come. A
runner is what the publish workflow is on a fresh machine: main as the origin has it,
the state branch checked out into state/ (`checkout_state`), `social publish`, then
`social state push` (`push_state`), which also runs after a cancelled or killed
publish step. A runner's folder is reused from run to run, but brought back to the
origin's state before each (main reset, state/ checked out anew), so nothing of an
earlier run survives on it but the clone's objects. The person works from a folder of
their own: `social status`, a look at the accounts, `social resolve`, `social state push`.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
from datetime import datetime
from pathlib import Path

import yaml
from PIL import Image

from pipeline.publish.service import PublishReport, publish, resolve
from pipeline.publish.status import Group, publishing_status
from pipeline.state.branch import PushResult, checkout_state, push_state, restore_state
from pipeline.state.ledger import Ledger
from tests.teamgit import git
from tests.year.accounts import Account
from tests.year.calendar import GONE, Calendar, Post


class Origin:
    """The bare origin and the editor's clone, which commits the calendar's changes as their times come."""

    def __init__(self, root: Path, channels: dict[str, dict], calendar: Calendar, targets: dict[str, str]) -> None:
        self.root = root
        self.bare = root / "origin.git"
        self.editor = root / "editor"
        self.calendar = calendar
        self.targets = targets
        self.pending = calendar.changes()
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "--bare", "-b", "main", str(self.bare))
        self.editor.mkdir()
        git(self.editor, "init", "-q", "-b", "main")
        (self.editor / ".gitignore").write_text("/state/\n/outbox/\n")
        self.write("content/channels.yml", yaml.safe_dump({"timezone": "Europe/Berlin", "channels": channels},
                                                          sort_keys=False))
        git(self.editor, "remote", "add", "origin", str(self.bare))
        self.commit("The channels")

    def write(self, relative: str, text: str) -> None:
        path = self.editor / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> None:
        git(self.editor, "add", "-A")
        with contextlib.suppress(subprocess.CalledProcessError):  # nothing to commit
            git(self.editor, "commit", "-q", "-m", message)
        git(self.editor, "push", "-q", "origin", "main")

    def catch_up(self, now: datetime) -> list[str]:
        """Commit every change of the calendar due by `now`, as one commit; what changed, for the log."""
        done = []
        while self.pending and self.pending[0][0] <= now:
            _, post, version = self.pending.pop(0)
            self._write_post(post, version)
            done.append(f"{post.id}: {version.status} at {version.publish_at:%m-%d %H:%M} w{version.wording}")
        if done:
            self.commit("; ".join(done))
        return done

    def add_change(self, post: Post, version) -> None:
        """A change a person decides on during the year (a missed post given a new time)."""
        post.versions.append(version)
        self.pending.append((version.at, post, version))
        self.pending.sort(key=lambda change: (change[0], change[1].serial))

    def _write_post(self, post: Post, version) -> None:
        path = self.editor / post.file
        if version.status == GONE:
            path.unlink(missing_ok=True)
            return
        for n in range(1, post.images + 1):
            image = self.editor / "content/media" / f"{post.id}-{n}.png"
            if not image.exists():
                image.parent.mkdir(parents=True, exist_ok=True)
                Image.new("RGB", (64 + n, 48), ((post.serial * 37) % 256, (n * 90) % 256, 120)).save(image)
        self.write(post.file, post.file_text(version, self.targets))


class Runner:
    """One runner of the publish workflow: checkout, publish, push."""

    def __init__(self, origin: Origin, name: str) -> None:
        self.origin = origin
        self.folder = origin.root / name
        git(origin.root, "clone", "-q", str(origin.bare), str(self.folder))

    def checkout(self) -> None:
        """What a fresh machine starts from: main as on the origin, and the state branch in state/."""
        shutil.rmtree(self.folder / "state", ignore_errors=True)
        shutil.rmtree(self.folder / "outbox", ignore_errors=True)
        git(self.folder, "worktree", "prune")
        git(self.folder, "fetch", "-q", "origin", "main")
        git(self.folder, "reset", "-q", "--hard", "FETCH_HEAD")
        checkout_state(self.folder)

    def publish(self, clock, env: dict[str, str], stop: threading.Event | None = None) -> PublishReport:
        return publish(self.folder, env=env, sleep=clock.sleep, clock=clock, stop=stop)

    def push(self, clock, message: str) -> PushResult:
        return push_state(self.folder / "state", message=message, sleep=clock.sleep, attempts=10)

    def ledger_text(self) -> str:
        path = self.folder / "state" / "ledger.jsonl"
        return path.read_text(encoding="utf-8") if path.exists() else ""


class Person(Runner):
    """The one who reads the issue: restores an unpushed ledger, settles what only a person can."""

    def restore(self, clock, artifact: str) -> None:
        """docs/setup.md, "When the ledger cannot be pushed": `social state restore` the artifact's ledger."""
        self.checkout()
        kept = self.origin.root / "unpushed-ledger" / "ledger.jsonl"
        kept.parent.mkdir(exist_ok=True)
        kept.write_text(artifact, encoding="utf-8")
        restore_state(self.folder / "state", [kept], sleep=clock.sleep, attempts=10)

    def settle(self, clock, accounts: dict[str, Account], calendar: Calendar) -> list[str]:
        """Look at each account for every part that waits for a person, and say what is online."""
        self.checkout()
        status = publishing_status(self.folder, clock=clock)
        said = []
        for row in status.rows:
            if row.group in (Group.UNCERTAIN, Group.UNREADABLE):
                said.append(self._settle_part(clock, accounts[row.channel], calendar, row.post, row.part))
        for conflict in status.conflicts:
            if conflict.needs_person:
                said.append(self._settle_part(clock, accounts[conflict.channel], calendar, conflict.post,
                                              conflict.part, keep=(conflict.keep or conflict.kept[0]).remote_id))
        if said:
            self.push(clock, "Settled by a person")
        return said

    def _settle_part(self, clock, account: Account, calendar: Calendar, post_id: str, part: int, *,
                     keep: str | None = None) -> str:
        post = next(p for p in calendar.posts if p.id == post_id)
        label = f"{post_id} part {part} on {account.channel}"
        if post.reposts:
            key, name = post.engagement[0]
            url = self.origin.targets[name]
            out = account.engaged(url, key)
            resolve(self.folder, post_id, account.channel, part=part, published_url=url if out else None,
                    not_published=not out, clock=clock)
            return f"{label}: {'published' if out else 'not published'} (engagement)"
        copies = [item for item in account.items() if (post.serial, part) in item.markers()]
        if not copies:
            resolve(self.folder, post_id, account.channel, part=part, published_url=None, not_published=True,
                    clock=clock)
            return f"{label}: not published"
        kept = next((item for item in copies if item.remote_id == keep), copies[0])
        for item in copies:
            if item is not kept:
                account.remove_by_hand(item)
        resolve(self.folder, post_id, account.channel, part=part, published_url=kept.url, not_published=False,
                clock=clock)
        return f"{label}: published {kept.url}" + (f", removed {len(copies) - 1} copies" if len(copies) > 1 else "")


def final_ledger(runner: Runner) -> Ledger:
    runner.checkout()
    return Ledger(runner.folder)
