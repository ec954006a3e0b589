"""Every call to git, in one place: running it, reading a tree at a commit, where a folder sits.

The callers decide what a failure means for them (a usage error for `--changed`,
"not committed" on the site, a failed push for the state branch); this module only
says what git answered, and raises `GitMissing` when there is no git at all.

A command that talks to the remote may carry a `TokenAuth`: the token reaches that
one git process through its environment, as actions/checkout's extra header, and is
masked out of what git answers. It is never written to .git/config (where any later
step, or an uploaded artifact, could read it) nor put on a command line (which every
process on the machine can read).
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.secrets import Secrets


class GitMissing(PipelineError):
    """git is not installed (or not on PATH)."""


class GitFailed(PipelineError):
    """A git command that had to succeed did not; the message ends with git's own last line."""


@dataclass(frozen=True)
class TokenAuth:
    """A token that git sends to one server over HTTPS (`server`, e.g. https://github.com), and nowhere else."""

    token: str
    server: str = "https://github.com"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> TokenAuth | None:
        """GITHUB_TOKEN for GITHUB_SERVER_URL (GitHub Actions sets it; default github.com), if set."""
        token = environ.get("GITHUB_TOKEN")
        return cls(token, environ.get("GITHUB_SERVER_URL") or cls.server) if token else None

    def header(self) -> str:
        """The header actions/checkout sends: basic auth as `x-access-token`."""
        basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode("ascii")
        return f"AUTHORIZATION: basic {basic}"

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` plus the header as git configuration for this process only (GIT_CONFIG_COUNT, git >= 2.31)."""
        env = dict(base)
        count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
        key = f"http.{self.server.rstrip('/')}/.extraheader"
        # an empty value first drops any header a checkout left in .git/config: one Authorization only
        for offset, value in enumerate(("", self.header())):
            env[f"GIT_CONFIG_KEY_{count + offset}"] = key
            env[f"GIT_CONFIG_VALUE_{count + offset}"] = value
        env["GIT_CONFIG_COUNT"] = str(count + 2)
        env["GIT_TERMINAL_PROMPT"] = "0"  # a refused token fails; it never waits for a password
        return env

    def secrets(self) -> Secrets:
        """The token and the header made of it, to mask."""
        return Secrets([self.token, self.header().rsplit(" ", 1)[1]])


def run(folder: Path, *args: str, check: bool = False, text: bool = False,
        timeout: float | None = None, auth: TokenAuth | None = None) -> subprocess.CompletedProcess:
    """`git -C folder args...`, output captured (bytes unless `text`).

    `check`: raise GitFailed on a non-zero exit. Text output is decoded as UTF-8,
    undecodable bytes replaced, so a strange file name never stops a command.
    `auth`: send this token to its server (for fetch, push, ls-remote); it is masked
    in the output.
    """
    extra = {"text": True, "encoding": "utf-8", "errors": "replace"} if text else {}
    env = auth.environment(os.environ) if auth else None
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=False,
                              timeout=timeout, env=env, **extra)
    except FileNotFoundError:
        raise GitMissing("git is not installed", code="git-missing") from None
    except subprocess.TimeoutExpired:
        raise GitFailed(f"git {' '.join(args)} took longer than {timeout} s", code="git-failed") from None
    if auth:
        done = _masked(done, auth.secrets())
    if check and done.returncode:
        raise GitFailed(f"git {' '.join(args)} failed: {last_line(done)}", code="git-failed")
    return done


def _masked(done: subprocess.CompletedProcess, secrets: Secrets) -> subprocess.CompletedProcess:
    def mask(out):
        if isinstance(out, bytes):
            return secrets.mask(out.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return secrets.mask(out)

    return subprocess.CompletedProcess(done.args, done.returncode, mask(done.stdout), mask(done.stderr))


def output(folder: Path, *args: str) -> str:
    """The stripped text output of a git command that must succeed."""
    return run(folder, *args, check=True, text=True).stdout.strip()


def last_line(done: subprocess.CompletedProcess) -> str:
    """The last line git printed (stderr first), or the exit code."""
    out = done.stderr or done.stdout or ""
    if isinstance(out, bytes):
        out = out.decode("utf-8", errors="replace")
    out = out.strip()
    return out.splitlines()[-1] if out else f"exit {done.returncode}"


@dataclass(frozen=True)
class Place:
    """Where a folder sits in its repository: the top and the folder's prefix (`a/b/` or '')."""

    top: Path
    prefix: str


def place_of(folder: Path) -> Place | None:
    """The repository holding `folder`, or None when it is not in one."""
    done = run(folder, "rev-parse", "--show-toplevel", "--show-prefix", text=True)
    if done.returncode:
        return None
    lines = done.stdout.split("\n")
    return Place(Path(lines[0].strip()), lines[1].strip() if len(lines) > 1 else "")


def commit_of(folder: Path, ref: str) -> str | None:
    """The commit `ref` names, or None when it names none (an option-like ref never does)."""
    if ref.startswith("-"):
        return None
    done = run(folder, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", text=True)
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass(frozen=True)
class Change:
    """One file a commit touched: its status letter (A, M, D, R, C, T), its path, its old path."""

    status: str
    path: str
    old_path: str | None = None


@dataclass
class Commit:
    """A commit of a path's history: when it was made and what it changed there."""

    when: str  # strict ISO 8601 with offset, as git prints it
    changes: list[Change]


def history(folder: Path, path: str, rev: str = "HEAD") -> list[Commit]:
    """Every commit up to `rev` touching `path` (relative to `folder`), oldest first, renames followed.

    Paths are relative to `folder` (files outside it are left out). Uncommitted work is
    not included; `staged_changes` gives what `git mv` and `git add` have staged.
    Empty when `folder` is in no repository; GitMissing when git is not installed.
    """
    place = place_of(folder)
    if place is None:
        return []
    done = run(folder, "log", "--reverse", "-M", "-z", "--format=%x00%cI", "--name-status", rev, "--", path)
    if done.returncode:
        return []  # a repository without commits yet
    commits: list[Commit] = []
    tokens = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "":  # "\0<date>" starts a commit; a trailing "" ends the log
            if index + 1 < len(tokens):
                commits.append(Commit(tokens[index + 1].strip(), []))
            index += 2
            continue
        index = _change(tokens, index, place.prefix, commits[-1].changes if commits else [])
    return commits


def staged_changes(folder: Path, path: str) -> list[Change]:
    """What is staged for the next commit under `path` (renames by `git mv` included)."""
    place = place_of(folder)
    if place is None:
        return []
    done = run(folder, "diff", "--cached", "-M", "-z", "--name-status", "--", path)
    if done.returncode:
        return []
    changes: list[Change] = []
    tokens = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    index = 0
    while index < len(tokens) and tokens[index]:
        index = _change(tokens, index, place.prefix, changes)
    return changes


def _change(tokens: list[str], index: int, prefix: str, into: list[Change]) -> int:
    """Read one name-status record at `index` into `into`; the index after it."""
    status = tokens[index].lstrip("\n")[:1]
    if status in ("R", "C"):
        old, new, index = tokens[index + 1], tokens[index + 2], index + 3
    else:
        old, new, index = None, tokens[index + 1], index + 2
    if new.startswith(prefix):
        into.append(Change(status, new[len(prefix):],
                           old[len(prefix):] if old and old.startswith(prefix) else old))
    return index


def extract_tree(place: Place, commit: str, folders: Iterable[str], target: Path) -> bool:
    """Write the `folders` (under the prefix) as they are at `commit` into `target`.

    Tries all folders, then the first alone (a commit may lack the optional ones).
    False when the commit has none of them. Links are written as links, never
    followed here: the readers refuse them and say so, where leaving them out would
    hide them from a review.
    """
    folders = list(folders)
    tree = f"{commit}:{place.prefix}"
    for chosen in (folders, folders[:1]):
        # from the top: git archive refuses to run in a folder that holds untracked files only
        archive = run(place.top, "archive", "--format=tar", tree, *chosen)
        if archive.returncode == 0:
            _extract(archive.stdout, target)
            return True
    return False


def _extract(data: bytes, target: Path) -> None:
    import tarfile  # only for `--against`: every command imports this module

    top = target.resolve()
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            # Lexically, and never below a link written earlier: nothing lands outside `top`.
            path = Path(os.path.normpath(top / member.name))
            if not path.is_relative_to(top) or path == top or _through_link(top, path.parent):
                continue
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(archive.extractfile(member).read())
            elif member.issym() and not os.path.lexists(path):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.symlink_to(member.linkname)


def _through_link(top: Path, folder: Path) -> bool:
    while folder != top:
        if folder.is_symlink():
            return True
        folder = folder.parent
    return False


def last_changed(folder: Path, path: str) -> datetime | None:
    """When the last commit touching `path` (relative to `folder`) was made; None outside git or never."""
    done = run(folder, "log", "-1", "--format=%ct", "--", path, text=True)
    stamp = done.stdout.strip() if done.returncode == 0 else ""
    return datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None
