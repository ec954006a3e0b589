"""The `state` branch: where the publish workflow keeps the ledger, outside a protected main.

`checkout_state` puts the branch into `state/` as a git worktree (creating the
orphan branch on first use). `push_state` commits the bot's append-only files
and pushes them, taking in what another writer pushed meanwhile: `git pull
--rebase`, and when the rebase conflicts (both sides appended to the same file,
which is the usual case) it aborts the rebase and unions the lines instead:
the remote's lines first, then ours that it lacks, in order. Both sides only
ever append, so nothing is lost and nothing is reordered that anyone has read.
Lines are split at "\n" only: JSON may hold other line breaks raw (U+2028,
U+2029, U+0085) inside a string, and splitting there would break a line in two.

In GitHub Actions the checkout keeps no credentials: the commands that talk to
the remote are given the job's token (`git.TokenAuth`), which reaches only the git
processes that fetch and push, and no other step of the job.

What the merged lines mean is the ledger's business (`pipeline.state.meaning`):
a racing run's lines never undo a publication, and a part two runs published is
a duplicate. The push reports such conflicts when its merge brought them.
"""

from __future__ import annotations

import functools
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import git
from pipeline.errors import PipelineError
from pipeline.state.ledger import Conflict, MemoryLedger
from pipeline.state.reading import LedgerError, end_line, parse_text

#: the files the bot writes; only these are ever committed to the state branch
STATE_FILES = ("ledger.jsonl", "metrics.jsonl", "profiles.jsonl", "inbox.jsonl")
LEDGER = "ledger.jsonl"
BRANCH = "state"
REMOTE = "origin"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"

Sleeper = Callable[[float], None]


class StateBranchError(PipelineError):
    """The state branch could not be checked out or pushed."""


@dataclass
class PushResult:
    """What `push_state` did: whether there was anything new, and how it got to the remote."""

    committed: bool = False
    pushed: bool = False
    attempts: int = 0
    merged_files: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    #: what the merge of the ledger brought that neither side had: parts posted twice, or handled by two runs
    conflicts: list[Conflict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"committed": self.committed, "pushed": self.pushed, "attempts": self.attempts,
                "merged_files": self.merged_files, "log": self.log,
                "conflicts": [conflict.as_dict() for conflict in self.conflicts]}

    def as_text(self) -> str:
        if not self.committed:
            return "Nothing new in the state files: nothing to push."
        how = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        merged = f" (lines merged with the remote's in {', '.join(self.merged_files)})" if self.merged_files else ""
        lines = [f"Pushed the state{how}{merged}."]
        if self.conflicts:
            lines += ["", "Another run wrote about the same parts (`social status` shows them until settled):",
                      *(f"  {conflict.message()}" for conflict in self.conflicts)]
        return "\n".join(lines)


def _state_errors(function: Callable) -> Callable:
    """Report git's failures as StateBranchError, the one error the state commands raise."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (git.GitMissing, git.GitFailed) as error:
            raise StateBranchError(error.message) from None
    return wrapper


def _identity(folder: Path) -> list[str]:
    """The committer: the repository's own if configured, else GitHub's Actions bot."""
    args = []
    if not git.run(folder, "config", "user.name", text=True).stdout.strip():
        args += ["-c", f"user.name={BOT_NAME}"]
    if not git.run(folder, "config", "user.email", text=True).stdout.strip():
        args += ["-c", f"user.email={BOT_EMAIL}"]
    return args


@_state_errors
def checkout_state(root: Path, *, folder: str = "state", remote: str = REMOTE, branch: str = BRANCH,
                   auth: git.TokenAuth | None = None) -> str:
    """Check out `branch` of `remote` into `root/folder` as a worktree; start it empty if it is new.

    Returns "existing", "created" or "present" (the folder already holds a checkout).
    `auth`: the token to fetch with (a private repository's remote asks for one).
    """
    root = Path(root).resolve()
    target = root / folder
    if (target / ".git").exists():
        return "present"
    if target.exists() and any(target.iterdir()):
        raise StateBranchError(f"{folder}/ exists and is not a checkout of the {branch} branch")
    found = git.run(root, "ls-remote", "--exit-code", "--heads", remote, branch, text=True, auth=auth)
    if found.returncode == 0:
        git.run(root, "fetch", "--quiet", "--no-tags", remote,
                f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}", check=True, text=True, auth=auth)
        git.run(root, "worktree", "add", "--quiet", "-B", branch, str(target), f"{remote}/{branch}",
                check=True, text=True)
        return "existing"
    if found.returncode != 2:  # 2: the remote answered and has no such branch
        raise StateBranchError(f"cannot ask {remote} for the {branch} branch: {git.last_line(found)}")
    git.run(root, "worktree", "add", "--quiet", "--detach", str(target), check=True, text=True)
    git.run(target, "checkout", "--quiet", "--orphan", branch, check=True, text=True)
    git.run(target, "rm", "-r", "-f", "--quiet", "--ignore-unmatch", ".", check=True, text=True)
    return "created"


def union_lines(base: str, ours: str, theirs: str, *, end_last: Callable[[str], str] | None = None) -> str:
    """Theirs, then the lines we appended since `base` that theirs does not hold, in order.

    Lines end at "\n" only. Every line ends with one, so a torn last line never glues
    onto the next; `end_last` ends such a line (the ledger marks a torn one, as its
    own next append would).
    """
    def lines(text: str) -> list[str]:
        pieces = text.split("\n")
        last = pieces.pop()
        return [piece + "\n" for piece in pieces] + ([(end_last or _newline)(last)] if last else [])

    base_lines, our_lines, their_lines = lines(base), lines(ours), lines(theirs)
    if our_lines[:len(base_lines)] == base_lines:
        added = our_lines[len(base_lines):]
    else:  # not a pure append (should not happen): keep every line base does not have
        known = set(base_lines)
        added = [line for line in our_lines if line not in known]
    present = set(their_lines)
    return "".join(their_lines + [line for line in added if line not in present])


def _newline(line: str) -> str:
    return line + "\n"


@_state_errors
def push_state(state: Path, *, remote: str = REMOTE, branch: str = BRANCH, message: str = "Publish run",
               attempts: int = 5, backoff: float = 2.0, sleep: Sleeper = time.sleep,
               auth: git.TokenAuth | None = None) -> PushResult:
    """Commit the state files if they changed and push them, retrying a rejected push.

    On rejection: `git pull --rebase`; if that conflicts, `git rebase --abort` and
    union-merge the append-only files onto the remote's commit. Waits `backoff`,
    then twice as long, ... between attempts; fails after `attempts` pushes.
    `auth`: the token to fetch and push with.
    """
    state = Path(state).resolve()
    if git.run(state, "rev-parse", "--is-inside-work-tree", text=True).returncode:
        raise StateBranchError(f"{state} is not a git checkout (run `social state checkout` first)")
    result = PushResult()
    present = [name for name in STATE_FILES if (state / name).is_file()]
    if present:
        git.run(state, "add", "--", *present, check=True, text=True)
    staged = git.run(state, "diff", "--cached", "--quiet", text=True).returncode == 1
    if staged:
        git.run(state, *_identity(state), "commit", "--quiet", "-m", message, check=True, text=True)
        result.committed = True
    elif not _unpushed(state, remote, branch, auth):
        return result
    else:
        result.committed = True
    for attempt in range(1, attempts + 1):
        result.attempts = attempt
        pushed = git.run(state, "push", "--quiet", remote, f"HEAD:refs/heads/{branch}", text=True, auth=auth)
        if pushed.returncode == 0:
            result.pushed = True
            result.log.append(f"attempt {attempt}: pushed")
            return result
        result.log.append(f"attempt {attempt}: push rejected: {_reason(pushed)}")
        if _refused(pushed):  # a hook, a protected branch or a missing permission: retrying cannot help
            raise StateBranchError(f"{remote} refuses pushes to {branch}: {_reason(pushed)}")
        if attempt == attempts:
            break
        sleep(backoff * 2 ** (attempt - 1))
        try:
            _catch_up(state, remote, branch, message, result, auth)
        except StateBranchError as error:
            result.log.append(f"attempt {attempt}: {error}")
    raise StateBranchError(f"could not push {state.name}/ to {remote} {branch} after {attempts} attempts: "
                           + "; ".join(result.log))


@dataclass
class RestoreResult:
    """What `restore_state` did: the lines each file brought that the branch lacked, and the push."""

    added: dict[str, int] = field(default_factory=dict)
    push: PushResult = field(default_factory=PushResult)

    def as_dict(self) -> dict:
        return {"added": self.added, **self.push.as_dict()}

    def as_text(self) -> str:
        added = ", ".join(f"{count} line{'s' if count != 1 else ''} of {name}" for name, count in self.added.items())
        return f"Added {added} that the state branch lacked.\n{self.push.as_text()}"


@_state_errors
def restore_state(state: Path, files: list[Path], *, remote: str = REMOTE, branch: str = BRANCH,
                  message: str = "Restore an unpushed ledger", attempts: int = 5, backoff: float = 2.0,
                  sleep: Sleeper = time.sleep, auth: git.TokenAuth | None = None) -> RestoreResult:
    """Put state files kept from a run whose push failed (the `unpushed-ledger` artifact) on the branch.

    Each file's lines that the checked-out file lacks are appended in their order, after the
    branch's own: what other writers pushed meanwhile stays (copying the file over would drop
    it). Then `push_state`. Each file must be named as the state file it restores.
    """
    state = Path(state).resolve()
    result = RestoreResult()
    texts = {}
    for path in files:
        path = Path(path)
        if path.name not in STATE_FILES:
            raise StateBranchError(f"{path}: not a state file; restore {', '.join(STATE_FILES)} (as named in "
                                   "the unpushed-ledger artifact)")
        try:
            texts[path.name] = path.read_bytes().decode("utf-8", errors="surrogateescape")
        except OSError as error:
            raise StateBranchError(f"{path}: cannot be read ({error.strerror})") from None
    if git.run(state, "rev-parse", "--is-inside-work-tree", text=True).returncode:
        raise StateBranchError(f"{state} is not a git checkout (run `social state checkout` first)")
    for name, kept in texts.items():
        target = state / name
        current = target.read_bytes().decode("utf-8", errors="surrogateescape") if target.is_file() else ""
        merged = union_lines("", kept, current, end_last=end_line if name == LEDGER else None)
        result.added[name] = merged.count("\n") - union_lines("", "", current).count("\n")
        target.write_bytes(merged.encode("utf-8", errors="surrogateescape"))
    result.push = push_state(state, remote=remote, branch=branch, message=message, attempts=attempts,
                             backoff=backoff, sleep=sleep, auth=auth)
    return result


def _reason(done: subprocess.CompletedProcess) -> str:
    """The line of git's answer that says why, e.g. `! [rejected] HEAD -> state (fetch first)`."""
    lines = (done.stderr or "").strip().splitlines()
    telling = [line.strip() for line in lines if "rejected" in line or "denied" in line or "fatal" in line]
    return telling[0] if telling else git.last_line(done)


def _refused(done: subprocess.CompletedProcess) -> bool:
    """Whether the remote refused the push itself, rather than us being behind or unreachable."""
    text = done.stderr or ""
    return "[remote rejected]" in text or "denied" in text.lower() or "error: 403" in text


def _unpushed(state: Path, remote: str, branch: str, auth: git.TokenAuth | None) -> bool:
    """Whether HEAD may hold commits the remote branch lacks (an earlier push failed)."""
    head = git.run(state, "rev-parse", "--verify", "--quiet", "HEAD", text=True).stdout.strip()
    if not head:
        return False
    listed = git.run(state, "ls-remote", "--heads", remote, branch, text=True, auth=auth)
    remote_head = listed.stdout.split()[0] if listed.returncode == 0 and listed.stdout.strip() else ""
    if head == remote_head:
        return False
    return not remote_head or git.run(state, "merge-base", "--is-ancestor", head, remote_head,
                                      text=True).returncode != 0


def _catch_up(state: Path, remote: str, branch: str, message: str, result: PushResult,
              auth: git.TokenAuth | None) -> None:
    """Put our commit on top of the remote's: rebase, or on conflict abort and union the lines."""
    # `git pull --rebase`, in its two steps so a failed fetch is told apart from a conflict
    fetched = git.run(state, "fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}", text=True,
                      auth=auth)
    if fetched.returncode:
        raise StateBranchError(f"fetch from {remote} failed: {git.last_line(fetched)}")
    theirs = git.run(state, "rev-parse", "FETCH_HEAD", check=True, text=True).stdout.strip()
    rebased = git.run(state, *_identity(state), "rebase", "--quiet", "--no-autostash", theirs, text=True)
    if rebased.returncode == 0:
        result.log.append("rebased onto the remote")
        return
    if _rebasing(state):
        git.run(state, "rebase", "--abort", check=True, text=True)
    result.log.append(f"rebase failed ({git.last_line(rebased)}): aborted, merging lines instead")
    base = git.run(state, "merge-base", "HEAD", theirs, text=True).stdout.strip()
    merged = {}
    for name in STATE_FILES:
        ours = _show(state, "HEAD", name)
        if ours is None:
            continue
        before = (_show(state, base, name) or "") if base else ""
        their_text = _show(state, theirs, name) or ""
        merged[name] = union_lines(before, ours, their_text, end_last=end_line if name == LEDGER else None)
        if name == LEDGER:
            _note_conflicts(result, ours, their_text, merged[name])
    git.run(state, "reset", "--quiet", "--hard", theirs, check=True, text=True)
    for name, text in merged.items():
        (state / name).write_bytes(text.encode("utf-8", errors="surrogateescape"))
    git.run(state, "add", "--", *merged, check=True, text=True)
    if git.run(state, "diff", "--cached", "--quiet", text=True).returncode == 1:
        git.run(state, *_identity(state), "commit", "--quiet", "-m", message, check=True, text=True)
    result.merged_files = sorted(set(result.merged_files) | set(merged))


def _rebasing(state: Path) -> bool:
    for name in ("rebase-merge", "rebase-apply"):
        path = git.run(state, "rev-parse", "--git-path", name, check=True, text=True).stdout.strip()
        if (state / path).exists():
            return True
    return False


def _show(state: Path, commit: str, name: str) -> str | None:
    """A file at a commit; bytes that are not UTF-8 kept as they are (written back unchanged)."""
    done = git.run(state, "show", f"{commit}:{name}")
    return done.stdout.decode("utf-8", errors="surrogateescape") if done.returncode == 0 else None


def _note_conflicts(result: PushResult, ours: str, theirs: str, merged: str) -> None:
    """Add to `result` the conflicts in the merged ledger that neither side had on its own."""
    def conflicts(text: str) -> list[Conflict]:
        entries = parse_text(text.encode("utf-8", errors="surrogateescape"), LEDGER).entries
        return MemoryLedger(entries).conflicts

    try:
        known = {(c.kind, c.slot) for c in conflicts(ours) + conflicts(theirs)}
        known |= {(c.kind, c.slot) for c in result.conflicts}
        result.conflicts += [c for c in conflicts(merged) if (c.kind, c.slot) not in known]
    except LedgerError as error:  # the lines are pushed as they are; reading them is for `social status`
        result.log.append(f"the merged {LEDGER} cannot be read: {error}")


def write_output(name: str, value: str) -> None:
    """Set a step output when running in GitHub Actions ($GITHUB_OUTPUT)."""
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(f"{name}={value}\n")


@_state_errors
def checkout_state_read_only(root: Path, *, folder: str = "state", remote: str = REMOTE,
                             branch: str = BRANCH) -> str:
    """The state branch as the last fetch saw it, checked out detached into `root/folder`: to read.

    For the pull-request check, which validates against the ledger but must never push
    it (and holds no token that could): no fetch, no branch of its own. Returns "present",
    "read-only", or "missing" (no such branch was fetched: the ledger is empty, and `root/folder`
    is left as an empty folder that says so).
    """
    root = Path(root).resolve()
    target = root / folder
    if (target / ".git").exists():
        return "present"
    if target.exists() and any(target.iterdir()):
        raise StateBranchError(f"{folder}/ exists and is not a checkout of the {branch} branch")
    ref = f"refs/remotes/{remote}/{branch}"
    if git.run(root, "rev-parse", "--verify", "--quiet", ref).returncode:
        # An empty state/ says "nothing went out yet", where no state/ says "the ledger is not here":
        # validation then holds past posts against the empty ledger (see validation/lateness.py).
        target.mkdir(exist_ok=True)
        return "missing"
    git.run(root, "worktree", "add", "--quiet", "--detach", str(target), ref, check=True)
    return "read-only"
