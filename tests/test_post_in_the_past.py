"""A post whose time has passed is told in review, not found missed after the next publish run.

A wrong month (`2026-11-20` for `2026-12-20`) used to validate without a finding, and
the next run recorded the post as missed. Now `social validate` and `social preview`
hold every ready post that is due against the ledger: past the channel's
`max_lateness` and not in the ledger it is an error, inside it a warning.
"""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.state.branch import checkout_state_read_only
from pipeline.state.ledger import Entry, Ledger

NOW = "2026-12-01 12:00"  # Berlin: 11:00 UTC


def validate(repo, *args: str, now: str = NOW) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json", "--now", now, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def found(report: dict, level: str) -> list[tuple[str, str]]:
    return [(f["file"].rsplit("/", 1)[-1], f["code"]) for f in report[level]]


def with_ledger(repo, *entries: Entry) -> Ledger:
    """state/ checked out (empty: nothing went out yet), holding `entries`."""
    (repo.root / "state").mkdir(exist_ok=True)
    ledger = Ledger(repo.root)
    for entry in entries:
        ledger.append(entry)
    return ledger


def test_a_post_due_longer_ago_than_max_lateness_and_not_in_the_ledger_is_an_error(repo):
    with_ledger(repo)
    repo.post("offer", "publish_at: 2026-11-20 10:00\nchannels: [mastodon, bluesky]", month="2026/11")
    code, report = validate(repo)
    assert code == 1
    assert found(report, "errors") == [("offer.md", "publish-at-past")]
    [error] = report["errors"]
    assert error["line"] == 2  # at its publish_at
    message = error["message"]
    assert "2026-11-20 10:00+01:00" in message  # the time, with its offset
    assert "11d 2h ago" in message  # how late
    assert "mastodon, bluesky" in message and "max_lateness" in message and "6h" in message
    assert "missed" in message and "new publish_at" in message  # what happens, and what to do
    assert "social resolve offer --channel" in message and "--send" in message


def test_inside_max_lateness_it_is_a_warning_that_it_goes_out_with_the_next_run(repo):
    with_ledger(repo)
    repo.post("soon", "publish_at: 2026-12-01 09:30\nchannels: [mastodon]")
    code, report = validate(repo)
    assert code == 0 and report["errors"] == []
    assert found(report, "warnings") == [("soon.md", "publish-at-due")]
    assert "2h 30m ago" in report["warnings"][0]["message"]
    assert "next publish run" in report["warnings"][0]["message"]


def test_each_channel_has_its_own_max_lateness(repo):
    with_ledger(repo)
    channels = (repo.root / "content/channels.yml").read_text()
    repo.write("content/channels.yml", channels.replace("  outbox:\n    network: outbox\n",
                                                        "  outbox:\n    network: outbox\n    max_lateness: 2d\n"))
    repo.post("yesterday", "publish_at: 2026-11-30 12:00\nchannels: [mastodon, outbox]", month="2026/11")
    _, report = validate(repo)
    assert found(report, "errors") == [("yesterday.md", "publish-at-past")]
    assert "mastodon" in report["errors"][0]["message"] and "outbox" not in report["errors"][0]["message"]
    assert found(report, "warnings") == [("yesterday.md", "publish-at-due")]
    assert "outbox" in report["warnings"][0]["message"]


def test_posts_the_ledger_knows_drafts_and_future_posts_are_fine(repo):
    with_ledger(repo,
                Entry("out", "mastodon", 1, "published", "2026-11-20T09:00:00Z", remote_id="1"),
                Entry("missed", "mastodon", 1, "missed", "2026-11-21T09:00:00Z"),
                Entry("retried", "mastodon", 1, "failed", "2026-11-20T09:00:00Z", error="timeout"))
    repo.post("out", "publish_at: 2026-11-20 10:00\nchannels: [mastodon]", body="One.", month="2026/11")
    repo.post("missed", "publish_at: 2026-11-20 12:00\nchannels: [mastodon]", body="Two.", month="2026/11")
    repo.post("retried", "publish_at: 2026-11-20 10:00\nchannels: [mastodon]", body="Three.", month="2026/11")
    repo.post("idea", "publish_at: 2026-11-20 10:00\nchannels: [mastodon]\nstatus: draft", body="Four.",
              month="2026/11")
    repo.post("later", "publish_at: 2026-12-03 10:00\nchannels: [mastodon]", body="Five.")
    code, report = validate(repo, "--checks", "content,ledger")
    assert (code, report["errors"], report["warnings"]) == (0, [], [])


def test_a_missed_post_given_a_new_time_that_has_passed_too_is_an_error_again(repo):
    with_ledger(repo, Entry("again", "mastodon", 1, "missed", "2026-11-21T09:00:00Z"))
    repo.post("again", "publish_at: 2026-11-25 10:00\nchannels: [mastodon]", month="2026/11")
    _, report = validate(repo)
    assert found(report, "errors") == [("again.md", "publish-at-past")]


def test_without_a_ledger_one_notice_names_the_posts_it_cannot_tell(repo):
    repo.post("offer", "publish_at: 2026-11-20 10:00\nchannels: [mastodon]", month="2026/11")
    repo.post("soon", "publish_at: 2026-12-01 09:30\nchannels: [mastodon]", body="Other.")
    code, report = validate(repo)
    assert (code, report["errors"], report["warnings"]) == (0, [], [])
    [notice] = report["notices"]
    assert notice["code"] == "ledger-not-checked-out"
    assert "2 ready posts" in notice["message"] and "offer.md" in notice["message"]
    assert "social state checkout --read-only" in notice["message"]


def test_the_pull_request_check_has_a_ledger_even_before_the_first_post_went_out(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert checkout_state_read_only(tmp_path) == "missing"
    assert (tmp_path / "state").is_dir() and not list((tmp_path / "state").iterdir())
    assert Ledger(tmp_path).present


def test_the_pull_request_preview_reports_it(repo):
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo.root), "-c", "user.name=T", "-c", "user.email=t@example.com",
                        *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    with_ledger(repo)
    repo.post("offer", "publish_at: 2026-11-20 10:00\nchannels: [mastodon]", month="2026/11")
    git("add", "content")
    git("commit", "-qm", "a post with the wrong month")
    result = CliRunner().invoke(cli, ["preview", "--root", str(repo.root), "--now", NOW, "--changed",
                                      "HEAD~1..HEAD", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "; 1 error," in result.output.splitlines()[0]
    assert "error[publish-at-past]" in result.output


def test_new_refuses_a_time_that_has_passed(repo):
    result = CliRunner().invoke(cli, ["new", "Offer", "--at", "2026-11-20 10:00", "--channels", "mastodon",
                                      "--root", str(repo.root), "--now", NOW])
    assert result.exit_code == 2
    assert "2026-11-20 10:00+01:00" in result.output and "has passed" in result.output
    assert not (repo.root / "content/posts/2026/11/offer.md").exists()
    fine = CliRunner().invoke(cli, ["new", "Offer", "--at", "2026-12-20 10:00", "--channels", "mastodon",
                                    "--root", str(repo.root), "--now", NOW])
    assert fine.exit_code == 0, fine.output
