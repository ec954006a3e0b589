"""Commands run from a folder inside the repository find its root, as git finds its top:
the nearest folder above holding content/channels.yml, never past a git repository's top."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.content.workspace import find_root
from pipeline.errors import UsageError


def social(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def posts(repo) -> Path:
    repo.post("bread", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]")
    return repo.root / "content" / "posts" / "2026" / "12"


def test_validate_from_a_folder_of_posts_uses_the_repository_and_says_so(repo, posts):
    done = social(posts, "validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "config-missing" not in done.stdout
    assert done.stderr.splitlines() == [f"using the repository at {repo.root.resolve()}"]


@pytest.mark.parametrize("command", [["list", "--all", "--format", "json"], ["show", "bread", "--format", "json"],
                                     ["render", "bread", "--format", "json"], ["status", "--format", "json"],
                                     ["cadence", "--format", "json"]])
def test_every_command_with_root_finds_it_and_keeps_json_clean(repo, posts, command):
    done = social(posts.parent, *command)
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)  # the note goes to stderr only
    assert "using the repository at" in done.stderr


def test_new_from_a_subfolder_writes_into_the_repository(repo, posts):
    done = social(posts, "new", "Rolls", "--at", "2026-12-05 10:00", "--channels", "mastodon")
    assert done.returncode == 0, done.stderr
    assert (repo.root / done.stdout.strip()).is_file()


def test_at_the_root_nothing_is_said(repo, posts):
    done = social(repo.root, "validate")
    assert done.returncode == 0 and done.stderr == ""


def test_an_explicit_root_is_used_as_given(repo, posts):
    done = social(posts, "validate", "--root", ".")
    assert done.returncode == 2 and "config-missing" in done.stdout
    assert "using the repository" not in done.stderr


def test_the_search_stops_at_the_top_of_a_git_repository(tmp_path, repo):
    inner = tmp_path / "inner"  # a git repository inside the content repository, without content
    (inner / "deep").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    assert find_root(inner / "deep") is None
    done = social(inner / "deep", "validate")
    assert done.returncode == 2 and "using the repository" not in done.stderr
    assert f"in {(inner / 'deep').resolve()}" in done.stdout and "--root" in done.stdout


def test_a_git_file_marks_a_top_too(tmp_path, repo):
    inner = tmp_path / "worktree" / "sub"
    inner.mkdir(parents=True)
    (tmp_path / "worktree" / ".git").write_text("gitdir: /elsewhere\n")
    assert find_root(inner) is None


def test_find_root_takes_the_nearest_and_checks_the_git_top_itself(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "channels.yml").write_text("timezone: UTC\n")
    nested = tmp_path / "site" / "content"
    nested.mkdir(parents=True)
    (nested / "channels.yml").write_text("timezone: UTC\n")
    (nested / "posts").mkdir()
    assert find_root(nested / "posts") == tmp_path / "site"
    assert find_root(tmp_path / "content") == tmp_path
    assert find_root(tmp_path) == tmp_path


def test_a_repository_above_that_belongs_to_another_user_is_refused(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "channels.yml").write_text("timezone: UTC\n")
    (tmp_path / "elsewhere").mkdir()
    other = (tmp_path.stat().st_uid + 1) % 65536
    with pytest.raises(UsageError, match=r"belongs to another user, so it is not used; give --root"):
        find_root(tmp_path / "elsewhere", user=other)
    assert find_root(tmp_path, user=other) == tmp_path  # the current folder is the user's own choice
    assert find_root(tmp_path / "elsewhere") == tmp_path
