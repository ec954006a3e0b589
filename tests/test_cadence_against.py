"""`social cadence --against REF` on a real temporary git repository."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from conftest import ContentRepo

from pipeline.cli import cli

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {max_per_day: 3, min_gap: 2h}
channels:
  mastodon:
    network: mastodon
    instance: https://mastodon.example
    credentials: {token: MASTODON_TOKEN}
  linkedin:
    network: linkedin
    author: urn:li:organization:42
    credentials: {token: LINKEDIN_TOKEN}
"""
NOW = "2026-11-25 12:00"


def git(root, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=Test", "-c",
                    "user.email=test@example.com", *args], check=True, capture_output=True)


@pytest.fixture
def history(repo):
    """Base commit: linkedin has 2 posts on Thu Dec 3; mastodon two posts an hour apart."""
    git(repo.root, "init", "-q")
    repo.write("content/channels.yml", CHANNELS)
    repo.post("li-1", "publish_at: 2026-12-03 09:00\nchannels: [linkedin]")
    repo.post("li-2", "publish_at: 2026-12-03 12:00\nchannels: [linkedin]")
    repo.post("ma-1", "publish_at: 2026-12-04 09:00\nchannels: [mastodon]")
    repo.post("ma-2", "publish_at: 2026-12-04 10:00\nchannels: [mastodon]")
    git(repo.root, "add", ".")
    git(repo.root, "commit", "-qm", "base")
    return repo


def cadence(root, *args: str):
    result = CliRunner().invoke(cli, ["cadence", "--root", str(root), "--now", NOW, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_against_shows_changed_days_new_and_resolved_findings(history):
    history.post("li-3", "publish_at: 2026-12-03 15:00\nchannels: [linkedin]")
    history.post("li-4", "publish_at: 2026-12-03 18:00\nchannels: [linkedin]")
    history.post("ma-2", "publish_at: 2026-12-04 14:00\nchannels: [mastodon]")  # moved: gap fixed
    result = cadence(history.root, "--against", "HEAD")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Against HEAD:"
    assert "    Thu Dec 3: linkedin 2 -> 4, max_per_day is 3" in lines
    assert not any("Fri Dec 4" in line and "->" in line for line in lines)  # same count, other time
    text = "\n".join(lines)
    new = text.split("  new findings:\n")[1].split("\n  ")[0]
    assert new.startswith("    error linkedin max_per_day: Thu Dec 3 has 4 posts, max_per_day is 3")
    resolved = text.split("  resolved findings:\n")[1]
    assert resolved.startswith("    error mastodon min_gap: ma-2 at Fri Dec 4 10:00 is only 1h after ma-1")
    assert lines[-1] == "1 error, 0 warnings from 2026-11-25T12:00:00+01:00 on."

    data = json.loads(cadence(history.root, "--against", "HEAD", "--format", "json").output)
    assert data["against"]["days"] == [
        {"date": "2026-12-03", "channel": "linkedin", "before": 2, "after": 4}]
    assert [(f["channel"], f["rule"]) for f in data["against"]["new"]] == [("linkedin", "max_per_day")]
    assert [(f["channel"], f["rule"]) for f in data["against"]["resolved"]] == [("mastodon", "min_gap")]
    assert data["channels"]["linkedin"]["findings"][0]["posts"] == ["li-1", "li-2", "li-3", "li-4"]


def test_a_finding_that_grows_is_changed_not_new(history):
    history.post("li-3", "publish_at: 2026-12-03 15:00\nchannels: [linkedin]")
    history.post("li-4", "publish_at: 2026-12-03 18:00\nchannels: [linkedin]")
    git(history.root, "add", ".")
    git(history.root, "commit", "-qm", "four on Thursday")
    history.post("li-5", "publish_at: 2026-12-03 20:00\nchannels: [linkedin]")
    text = cadence(history.root, "--against", "HEAD").output
    assert "    Thu Dec 3: linkedin 4 -> 5, max_per_day is 3" in text
    assert "  changed findings:\n    error linkedin max_per_day: Thu Dec 3 has 5 posts" in text
    assert "new findings" not in text


def test_no_change_says_so(history):
    result = cadence(history.root, "--against", "HEAD", "--channel", "linkedin")
    assert result.output.splitlines()[:2] == [
        "Against HEAD:", "  the change does not alter the cadence of any channel"]
    assert result.exit_code == 0


def test_a_ref_without_content_makes_everything_new(repo):
    git(repo.root, "init", "-q")
    repo.write("README.md", "A bakery.\n")
    git(repo.root, "add", "README.md")
    git(repo.root, "commit", "-qm", "readme")
    repo.write("content/channels.yml", CHANNELS)
    repo.post("a", "publish_at: 2026-12-03 09:00\nchannels: [linkedin]")
    repo.post("b", "publish_at: 2026-12-03 10:00\nchannels: [linkedin]")
    result = cadence(repo.root, "--against", "HEAD")
    assert "content/channels.yml at HEAD cannot be used" in result.output
    assert "    Thu Dec 3: linkedin 0 -> 2" in result.output
    assert "    error linkedin min_gap: b at Thu Dec 3 10:00 is only 1h after a" in result.output


def test_the_root_may_be_a_folder_inside_the_repository(tmp_path):
    git(tmp_path, "init", "-q")
    site = ContentRepo(tmp_path / "site")
    site.write("content/channels.yml", CHANNELS)
    site.post("a", "publish_at: 2026-12-03 09:00\nchannels: [linkedin]")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    site.post("b", "publish_at: 2026-12-03 12:00\nchannels: [linkedin]")
    assert "    Thu Dec 3: linkedin 1 -> 2" in cadence(site.root, "--against", "HEAD").output


def test_bad_refs_and_no_repository_are_usage_errors(history, tmp_path_factory):
    result = cadence(history.root, "--against", "no-such-branch")
    assert result.exit_code == 2
    assert "no such commit, branch or tag" in result.output
    result = cadence(history.root, "--against=--output=/tmp/x")
    assert (result.exit_code, "is not a git ref" in result.output) == (2, True)
    outside = tmp_path_factory.mktemp("not-a-repository")
    (outside / "content").mkdir()
    (outside / "content" / "channels.yml").write_text(CHANNELS)
    result = cadence(outside, "--against", "HEAD")
    assert result.exit_code == 2
    assert "not in a git repository" in result.output
