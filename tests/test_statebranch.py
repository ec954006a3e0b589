"""`social state checkout` and `social state push` against a local bare repository (real git)."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from pipeline import git as gitcalls
from pipeline.cli import cli
from pipeline.git import TokenAuth
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


# -- what a merge means --------------------------------------------------------------------------


def entry_line(post: str, state: str, minute: int, run: str, **more) -> str:
    return json.dumps({"post": post, "channel": "mastodon", "part": 1, "state": state,
                       "at": f"2026-12-01T10:{minute:02d}:00Z", "run": run, **more}, ensure_ascii=False)


def two_runners(origin: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two checkouts of the state branch that both start from the same ledger."""
    a = clone(origin, tmp_path / "a", "RunnerA")
    checkout_state(a)
    append(a / "state" / "ledger.jsonl", entry_line("old", "published", 0, "run-0", remote_id="1"))
    push_state(a / "state", sleep=Sleeps())
    b = clone(origin, tmp_path / "b", "RunnerB")
    checkout_state(b)
    return a / "state", b / "state"


@pytest.mark.parametrize("text", ["one\u2028two", "one\u2029two", "one\x85two", "one\x0ctwo",
                                  "all\u2028of\u2029them\x85at\x0conce"])
def test_a_merge_keeps_a_line_whose_text_holds_other_line_separators_whole(origin, tmp_path, text):
    a, b = two_runners(origin, tmp_path)
    ours = [entry_line("x", "pending", 2, "run-b"), entry_line("x", "failed", 3, "run-b", error=text)]
    theirs = [entry_line("y", "pending", 2, "run-a"), entry_line("y", "failed", 3, "run-a", error=text)]
    append(a / "ledger.jsonl", *theirs)
    push_state(a, sleep=Sleeps())
    append(b / "ledger.jsonl", *ours)
    result = push_state(b, sleep=Sleeps())
    assert result.merged_files == ["ledger.jsonl"]
    merged = remote_file(origin, "ledger.jsonl")
    lines = merged.split("\n")[:-1]
    assert [json.loads(line) for line in lines] == [json.loads(line) for line in [
        entry_line("old", "published", 0, "run-0", remote_id="1"), *theirs, *ours]]
    from pipeline.state.ledger import read_entries

    assert [e.error for e in read_entries(b / "ledger.jsonl").entries if e.error] == [text, text]


def test_union_splits_on_newline_only():
    odd = '{"e":"a\u2028b\x85c\x0cd\u2029e"}\n'
    assert union_lines("", odd, "") == odd
    assert union_lines(odd, odd + "x\n", odd + "y\n") == odd + "y\nx\n"


@pytest.mark.parametrize("b_first", [False, True], ids=["B pushes last", "B pushes first"])
def test_a_racing_runs_failure_after_anothers_publication_leaves_the_part_published(origin, tmp_path, b_first):
    a, b = two_runners(origin, tmp_path)
    run_a = [entry_line("p", "pending", 1, "run-a", key="ka"),
             entry_line("p", "published", 2, "run-a", key="ka", remote_id="111", url="https://m.example/111")]
    run_b = [entry_line("p", "pending", 3, "run-b", key="kb"),
             entry_line("p", "failed", 4, "run-b", key="kb", error="refused (422): duplicate")]
    first, second = ((b, run_b), (a, run_a)) if b_first else ((a, run_a), (b, run_b))
    append(first[0] / "ledger.jsonl", *first[1])
    push_state(first[0], sleep=Sleeps())
    append(second[0] / "ledger.jsonl", *second[1])
    result = push_state(second[0], sleep=Sleeps())
    assert result.merged_files == ["ledger.jsonl"]
    from pipeline.state.ledger import Ledger

    ledger = Ledger(second[0].parent)
    assert ledger.current("p", "mastodon", 1).state == "published"
    assert [(c.kind, c.post) for c in result.conflicts] == [("two-runs", "p")]
    assert "handled by two runs" in result.as_text() and "p part 1 on mastodon" in result.as_text()
    assert result.as_dict()["conflicts"][0]["kind"] == "two-runs"


def test_two_runs_publishing_one_part_are_reported_by_the_push(origin, tmp_path):
    a, b = two_runners(origin, tmp_path)
    append(a / "ledger.jsonl", entry_line("p", "published", 2, "run-a", remote_id="111", url="https://m.example/111"))
    push_state(a, sleep=Sleeps())
    append(b / "ledger.jsonl", entry_line("p", "published", 3, "run-b", remote_id="222", url="https://m.example/222"))
    runner = CliRunner()
    out = runner.invoke(cli, ["state", "push", "--root", str(b.parent), "--backoff", "0"])
    assert out.exit_code == 0, out.output
    assert "posted twice: https://m.example/111 and https://m.example/222" in out.output
    assert "delete one by hand" in out.output


def test_a_push_without_a_merge_reports_no_conflicts(origin, tmp_path):
    a, _ = two_runners(origin, tmp_path)
    append(a / "ledger.jsonl", entry_line("p", "published", 2, "run-a", remote_id="111"),
           entry_line("p", "published", 3, "run-b", remote_id="222"))
    result = push_state(a, sleep=Sleeps())
    assert result.conflicts == [] and result.as_dict()["conflicts"] == []


# -- the token ---------------------------------------------------------------------------------------

TOKEN = "ghs_not-a-real-token-0123456789"


class RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder to git's "dumb" HTTP protocol and records the Authorization headers of each request."""

    seen: ClassVar[list[list[str]]] = []

    def do_GET(self):
        type(self).seen.append(self.headers.get_all("Authorization") or [])
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(origin: Path):
    """`origin` over HTTP (read only: dumb HTTP cannot push), with its state branch holding one line."""
    seed = clone(origin, origin.parent / "first-run", "Bot")
    checkout_state(seed)
    append(seed / "state" / "ledger.jsonl", line("a"))
    push_state(seed / "state", sleep=Sleeps())
    git(origin, "update-server-info")
    RecordingHandler.seen = []
    handler = functools.partial(RecordingHandler, directory=str(origin.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}", f"http://127.0.0.1:{server.server_address[1]}/origin.git"
        server.shutdown()


def test_the_token_reaches_git_as_one_header_for_its_server_and_is_written_nowhere(served, origin, tmp_path):
    server, url = served
    main = clone(origin, tmp_path / "main", "Bot")
    git(main, "remote", "set-url", "origin", url)
    # what a checkout with persist-credentials: true would have left: replaced, not sent beside ours
    git(main, "config", f"http.{server}/.extraheader", "AUTHORIZATION: basic c3RhbGU=")
    out = CliRunner().invoke(cli, ["state", "checkout", "--root", str(main)],
                             env={"GITHUB_TOKEN": TOKEN, "GITHUB_SERVER_URL": server})
    assert out.exit_code == 0, out.output
    assert (main / "state" / "ledger.jsonl").read_text() == line("a") + "\n"
    expected = TokenAuth(TOKEN, server).header().split(": ", 1)[1]
    assert RecordingHandler.seen and all(headers == [expected] for headers in RecordingHandler.seen)
    config = (main / ".git" / "config").read_text()
    assert TOKEN not in config and expected not in config and TOKEN not in out.output


def test_the_token_goes_to_its_own_server_only(served, origin, tmp_path):
    _, url = served
    main = clone(origin, tmp_path / "main", "Bot")
    git(main, "remote", "set-url", "origin", url)
    out = CliRunner().invoke(cli, ["state", "checkout", "--root", str(main)], env={"GITHUB_TOKEN": TOKEN})
    assert out.exit_code == 0, out.output  # GITHUB_SERVER_URL unset: github.com's token, not this server's
    assert RecordingHandler.seen and all(headers == [] for headers in RecordingHandler.seen)


def test_what_git_answers_never_shows_the_token(tmp_path):
    auth = TokenAuth(TOKEN, "https://github.com")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shown = gitcalls.run(tmp_path, "config", "--get-all", "http.https://github.com/.extraheader", text=True, auth=auth)
    assert shown.stdout.splitlines() == ["", "AUTHORIZATION: basic ***"]  # the reset, then ours, masked
    raw = gitcalls.run(tmp_path, "config", "--get-all", "http.https://github.com/.extraheader", auth=auth)
    assert raw.stdout.strip().splitlines()[-1] == b"AUTHORIZATION: basic ***"


def test_every_call_that_talks_to_the_remote_carries_the_token_and_no_other_does(origin, tmp_path, monkeypatch):
    real = gitcalls.run
    calls: list[tuple[str, bool]] = []

    def recording(folder, *args, auth=None, **kwargs):
        calls.append((args[0], auth is not None))
        return real(folder, *args, auth=auth, **kwargs)

    monkeypatch.setattr(gitcalls, "run", recording)
    a, b = two_runners(origin, tmp_path)  # without a token: local paths
    calls.clear()
    auth = TokenAuth(TOKEN)
    append(a / "ledger.jsonl", line("from-a"))
    push_state(a, sleep=Sleeps(), auth=auth)
    append(b / "ledger.jsonl", line("from-b"))
    push_state(b, sleep=Sleeps(), auth=auth)  # rejected first: fetch, rebase or merge, push again
    fresh = clone(origin, tmp_path / "fresh", "Fresh")
    checkout_state(fresh, auth=auth)
    talking = {"push", "fetch", "ls-remote"}
    assert {name for name, _ in calls} >= talking
    assert all(carried == (name in talking) for name, carried in calls), calls


# -- restoring an unpushed ledger -----------------------------------------------------------------


def test_restoring_an_unpushed_ledger_keeps_what_others_pushed_meanwhile(origin, tmp_path):
    """A run's push failed: the workflow kept its ledger as an artifact. Meanwhile another run (or a
    person's `social resolve`) pushed lines of its own. Copying the artifact over the branch's
    ledger would drop those; `social state restore` adds only what the branch lacks."""
    a = clone(origin, tmp_path / "a", "RunnerA")
    checkout_state(a)
    append(a / "state" / "ledger.jsonl", line("one"))
    push_state(a / "state", sleep=Sleeps())
    b = clone(origin, tmp_path / "b", "RunnerB")  # its push fails: the artifact
    checkout_state(b)
    append(b / "state" / "ledger.jsonl", line("two"), line("three"))
    artifact = tmp_path / "unpushed-ledger" / "ledger.jsonl"
    artifact.parent.mkdir()
    artifact.write_bytes((b / "state" / "ledger.jsonl").read_bytes())
    c = clone(origin, tmp_path / "c", "RunnerC")  # pushes meanwhile
    checkout_state(c)
    append(c / "state" / "ledger.jsonl", line("four"))
    push_state(c / "state", sleep=Sleeps())

    desk = clone(origin, tmp_path / "desk", "Person")
    runner = CliRunner()
    assert runner.invoke(cli, ["state", "checkout", "--root", str(desk)]).exit_code == 0
    out = runner.invoke(cli, ["state", "restore", "--root", str(desk), str(artifact)])
    assert out.exit_code == 0, out.output
    assert "2 lines of ledger.jsonl" in out.output and "Pushed the state" in out.output
    assert remote_file(origin, "ledger.jsonl").splitlines() == [line("one"), line("four"), line("two"),
                                                                  line("three")]
    again = runner.invoke(cli, ["state", "restore", "--root", str(desk), str(artifact)])
    assert again.exit_code == 0 and "nothing to push" in again.output


def test_restoring_a_file_that_is_no_state_file_is_refused(origin, tmp_path):
    desk = clone(origin, tmp_path / "desk", "Person")
    checkout_state(desk)
    stray = tmp_path / "notes.txt"
    stray.write_text("hello\n")
    out = CliRunner().invoke(cli, ["state", "restore", "--root", str(desk), str(stray)])
    assert out.exit_code == 1 and "notes.txt" in out.output and "ledger.jsonl" in out.output
    assert "Traceback" not in out.output
