"""`social failures`: the body of the publish workflow's one issue, from `social publish --format json`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.failures import MARKER


def run(*args: str):
    return CliRunner().invoke(cli, ["failures", *args])


def test_all_well_exits_0(tmp_path):
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": True, "outcomes": [
        {"post": "a", "channel": "mastodon", "part": 1, "state": "published", "url": "https://x", "error": None}]}))
    result = run(str(report))
    assert result.exit_code == 0 and result.output.startswith("All well")


def test_failed_uncertain_and_missed_parts_are_listed_with_why_and_what_to_do(tmp_path):
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": False, "outcomes": [
        {"post": "a", "channel": "mastodon", "part": 1, "state": "failed",
         "error": "token rejected: check MASTODON_TOKEN | <b>@team</b>"},
        {"post": "b", "channel": "bluesky", "part": 2, "state": "uncertain", "error": "timeout"},
        {"post": "c", "channel": "linkedin", "part": 1, "state": "missed", "error": "too late"},
        {"post": "d", "channel": "outbox", "part": 1, "state": "published"}]}))
    result = run(str(report), "--run-url", "https://github.com/o/r/actions/runs/1")
    assert result.exit_code == 1
    body = result.output
    assert body.startswith(MARKER + "\n## Publishing needs attention")
    assert "https://github.com/o/r/actions/runs/1" in body
    # a network's words, quoted: GitHub makes no HTML or mention in a code span (tests/test_hostile_text.py)
    assert "| mastodon | a | 1 | `token rejected: check MASTODON_TOKEN \\| <b>@team</b>` |" in body
    assert "### Uncertain (1)" in body and "social resolve" in body
    assert "### Missed (1)" in body and "| linkedin | c | 1 | `too late` |" in body
    assert body.index("### Failed") < body.index("### Uncertain") < body.index("### Missed")
    assert "| d |" not in body


def test_a_missing_or_broken_report_and_failed_steps_need_attention(tmp_path):
    missing = run(str(tmp_path / "nope.json"), "--failed-step", "pushing the ledger: failure")
    assert missing.exit_code == 1
    assert "does not exist" in missing.output and "- pushing the ledger: failure" in missing.output
    broken = tmp_path / "publish.json"
    broken.write_text('{"ok": fal')
    assert "is not the JSON of" in run(str(broken)).output
    assert run("--failed-step", "x").exit_code == 1
    assert run().exit_code == 0
