"""`social state checkout` and `social state push` against a local bare repository (real git)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.state import branch as statebranch
from pipeline.state.branch import StateBranchError, checkout_state, push_state, union_lines


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def identify(folder: Path, name: str) -> None:
    git(folder, "config", "user.name", name)
    git(folder, "config", "user.email", f"{name.lower()}@example.com")


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare remote holding main (one commit) and no state branch yet."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    identify(seed, "Seed")
    (seed / ".gitignore").write_text("/state/\n")
    git(seed, "add", ".gitignore")
    git(seed, "commit", "-qm", "main")
    git(seed, "push", "-q", str(bare), "main")
    return bare


def clone(origin: Path, folder: Path, name: str) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(folder)], check=True)
    identify(folder, name)
    return folder


def remote_file(origin: Path, name: str, branch: str = "state") -> str:
    return subprocess.run(["git", "--git-dir", str(origin), "show", f"{branch}:{name}"], check=True,
                          capture_output=True, text=True).stdout


def append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def line(post: str, state: str = "published") -> str:
    return json.dumps({"post": post, "channel": "mastodon", "part": 1, "state": state})


class Sleeps(list):
    """A sleeper that only records its waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_first_use_creates_the_orphan_branch_and_pushes_only_the_state_files(origin, tmp_path):
    main = clone(origin, tmp_path / "main", "Bot")
    assert checkout_state(main) == "created"
    assert checkout_state(main) == "present"
    state = main / "state"
    assert not (state / ".gitignore").exists()  # main's files are not on the state branch
    append(state / "ledger.jsonl", line("a"))
    (state / "ledger.lock").write_text("")
    result = push_state(state, sleep=Sleeps())
    assert (result.committed, result.pushed, result.attempts) == (True, True, 1)
    assert remote_file(origin, "ledger.jsonl") == line("a") + "\n"
    files = subprocess.run(["git", "--git-dir", str(origin), "ls-tree", "--name-only", "state"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert files == ["ledger.jsonl"]
    assert subprocess.run(["git", "--git-dir", str(origin), "rev-list", "--count", "state"],
                          capture_output=True, text=True).stdout.strip() == "1"  # an orphan: no main history

    second = clone(origin, tmp_path / "second", "Other")
    assert checkout_state(second) == "existing"
    assert (second / "state" / "ledger.jsonl").read_text() == line("a") + "\n"


def test_nothing_changed_means_no_commit_and_no_push(origin, tmp_path):
    main = clone(origin, tmp_path / "main", "Bot")
    checkout_state(main)
    append(main / "state" / "ledger.jsonl", line("a"))
    push_state(main / "state", sleep=Sleeps())
    result = push_state(main / "state", sleep=Sleeps())
    assert (result.committed, result.pushed) == (False, False)
    assert result.as_text() == "Nothing new in the state files: nothing to push."


def test_a_concurrent_append_conflicts_the_rebase_which_is_aborted_and_lines_are_unioned(origin, tmp_path):
    ours = clone(origin, tmp_path / "ours", "Bot")
    checkout_state(ours)
    append(ours / "state" / "ledger.jsonl", line("a"))
    push_state(ours / "state", sleep=Sleeps())
    theirs = clone(origin, tmp_path / "theirs", "Other")
    checkout_state(theirs)
    append(theirs / "state" / "ledger.jsonl", line("b"), line("c"))
    append(theirs / "state" / "metrics.jsonl", '{"m": 1}')
    push_state(theirs / "state", sleep=Sleeps())

    append(ours / "state" / "ledger.jsonl", line("d", "pending"), line("d"))
    sleeps = Sleeps()
    result = push_state(ours / "state", sleep=sleeps, backoff=3)
    assert (result.pushed, result.attempts, result.merged_files) == (True, 2, ["ledger.jsonl"])
    assert sleeps == [3]
    assert any("aborted, merging lines instead" in entry for entry in result.log)
    assert remote_file(origin, "ledger.jsonl").splitlines() == [
        line("a"), line("b"), line("c"), line("d", "pending"), line("d")]
    assert remote_file(origin, "metrics.jsonl") == '{"m": 1}\n'  # theirs, kept
    state = ours / "state"
    assert not (Path(git(state, "rev-parse", "--absolute-git-dir")) / "rebase-merge").exists()
    assert git(state, "status", "--porcelain") == ""
    assert (state / "ledger.jsonl").read_text() == remote_file(origin, "ledger.jsonl")


def test_appends_to_different_files_rebase_cleanly(origin, tmp_path):
    ours = clone(origin, tmp_path / "ours", "Bot")
    checkout_state(ours)
    append(ours / "state" / "ledger.jsonl", line("a"))
    push_state(ours / "state", sleep=Sleeps())
    theirs = clone(origin, tmp_path / "theirs", "Other")
    checkout_state(theirs)
    append(theirs / "state" / "metrics.jsonl", '{"m": 1}')
    push_state(theirs / "state", sleep=Sleeps())

    append(ours / "state" / "ledger.jsonl", line("b"))
    result = push_state(ours / "state", sleep=Sleeps())
    assert result.merged_files == [] and "rebased onto the remote" in result.log
    assert remote_file(origin, "ledger.jsonl").splitlines() == [line("a"), line("b")]
    assert remote_file(origin, "metrics.jsonl") == '{"m": 1}\n'


def test_a_writer_that_pushes_again_between_our_merge_and_push_costs_one_more_round(origin, tmp_path,
                                                                                     monkeypatch):
    ours = clone(origin, tmp_path / "ours", "Bot")
    checkout_state(ours)
    append(ours / "state" / "ledger.jsonl", line("a"))
    push_state(ours / "state", sleep=Sleeps())
    theirs = clone(origin, tmp_path / "theirs", "Other")
    checkout_state(theirs)

    def other_writer(post: str) -> None:
        git(theirs / "state", "pull", "-q", "--rebase", "origin", "state")
        append(theirs / "state" / "ledger.jsonl", line(post))
        git(theirs / "state", "commit", "-qam", f"other {post}")
        git(theirs / "state", "push", "-q", "origin", "HEAD:refs/heads/state")

    catch_up = statebranch._catch_up
    rounds = []

    def racing_catch_up(*args):
        catch_up(*args)
        rounds.append(1)
        if len(rounds) == 1:
            other_writer("x")  # lands after our fetch, before our push

    monkeypatch.setattr(statebranch, "_catch_up", racing_catch_up)
    other_writer("b")
    append(ours / "state" / "ledger.jsonl", line("c"))
    sleeps = Sleeps()
    result = push_state(ours / "state", sleep=sleeps, backoff=1)
    assert (result.pushed, result.attempts, sleeps) == (True, 3, [1, 2])
    assert remote_file(origin, "ledger.jsonl").splitlines() == [line("a"), line("b"), line("x"), line("c")]


def test_a_push_that_keeps_failing_gives_up_after_the_attempts_with_backoff(origin, tmp_path):
    ours = clone(origin, tmp_path / "ours", "Bot")
    checkout_state(ours)
    append(ours / "state" / "ledger.jsonl", line("a"))
    git(ours, "remote", "set-url", "origin", str(tmp_path / "unreachable.git"))
    sleeps = Sleeps()
    with pytest.raises(StateBranchError) as raised:
        push_state(ours / "state", attempts=4, backoff=2, sleep=sleeps)
    assert sleeps == [2, 4, 8]
    assert "after 4 attempts" in str(raised.value)
    assert "attempt 4: push rejected" in str(raised.value)

    git(ours, "remote", "set-url", "origin", str(origin))  # the next run pushes what this one committed
    result = push_state(ours / "state", sleep=Sleeps())
    assert (result.committed, result.pushed) == (True, True)
    assert remote_file(origin, "ledger.jsonl") == line("a") + "\n"


def test_a_remote_that_refuses_the_push_fails_at_once_without_retrying(origin, tmp_path):
    ours = clone(origin, tmp_path / "ours", "Bot")
    checkout_state(ours)
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    append(ours / "state" / "ledger.jsonl", line("a"))
    sleeps = Sleeps()
    with pytest.raises(StateBranchError, match=r"origin refuses pushes to state: .*pre-receive hook declined"):
        push_state(ours / "state", sleep=sleeps)
    assert sleeps == []


def test_push_outside_a_checkout_is_a_clear_error(tmp_path):
    with pytest.raises(StateBranchError, match="not a git checkout"):
        push_state(tmp_path, sleep=Sleeps())


def test_union_keeps_theirs_first_then_our_new_lines_once_and_mends_a_torn_line():
    base = "a\n"
    assert union_lines(base, "a\nb\nc", "a\nx\n") == "a\nx\nb\nc\n"
    assert union_lines(base, "a\nx\n", "a\nx\n") == "a\nx\n"  # already there: not doubled
    assert union_lines("", "a\n", "") == "a\n"
    assert union_lines("a\nb\n", "z\na\nb\nc\n", "a\nb\n") == "a\nb\nz\nc\n"  # not an append: keep new lines


def test_the_command_reports_and_sets_the_step_output(origin, tmp_path, monkeypatch):
    main = clone(origin, tmp_path / "main", "Bot")
    runner = CliRunner()
    out = runner.invoke(cli, ["state", "checkout", "--root", str(main)])
    assert out.exit_code == 0 and "starts it empty" in out.output
    append(main / "state" / "ledger.jsonl", line("a"))
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    out = runner.invoke(cli, ["state", "push", "--root", str(main), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["pushed"] is True
    out = runner.invoke(cli, ["state", "push", "--root", str(main)])
    assert out.exit_code == 0 and "nothing to push" in out.output
    assert output.read_text() == "changed=true\nchanged=false\n"
    missing = runner.invoke(cli, ["state", "push", "--root", str(tmp_path)])
    assert missing.exit_code == 1 and "not a git checkout" in missing.output
