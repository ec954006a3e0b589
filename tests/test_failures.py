"""`social failures`: the body of the publish workflow's one issue, from `social publish --format json`."""

from __future__ import annotations

import json

import pytest
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


def report_of(tmp_path, text: str | bytes | None):
    """A report file holding `text` (None: no file at all)."""
    path = tmp_path / "publish.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    return str(path)


#: what a report can be that says nothing of the run: each is a failure, never "All well"
NO_REPORT = {
    "no argument": (lambda tmp_path: [], "no report was given"),
    "an empty path": (lambda tmp_path: [""], "no report was given"),
    "a blank path": (lambda tmp_path: ["  "], "no report was given"),
    "a missing file": (lambda tmp_path: [report_of(tmp_path, None)], "does not exist"),
    "a folder": (lambda tmp_path: [str(tmp_path)], "is not a file"),
    "an empty file": (lambda tmp_path: [report_of(tmp_path, "")], "is empty"),
    "a file cut short": (lambda tmp_path: [report_of(tmp_path, '{"ok": tr')], "is not the JSON of"),
    "not UTF-8": (lambda tmp_path: [report_of(tmp_path, b'{"outcomes": ["\xff"]}')], "is not the JSON of"),
    "null": (lambda tmp_path: [report_of(tmp_path, "null")], "is not the JSON of"),
    "a list": (lambda tmp_path: [report_of(tmp_path, "[]")], "is not the JSON of"),
    "no outcomes": (lambda tmp_path: [report_of(tmp_path, '{"ok": true}')], "is not the JSON of"),
    "outcomes a number": (lambda tmp_path: [report_of(tmp_path, '{"outcomes": 5}')], "is not the JSON of"),
    "outcomes an object": (lambda tmp_path: [report_of(tmp_path, '{"outcomes": {"a": 1}}')], "is not the JSON of"),
    "an outcome that is no object": (lambda tmp_path: [report_of(tmp_path, '{"outcomes": [7]}')],
                                     "is not the JSON of"),
    "not ok, yet nothing listed": (lambda tmp_path: [report_of(tmp_path, '{"ok": false, "outcomes": []}')],
                                   "says the run did not go well"),
}


@pytest.mark.parametrize("case", NO_REPORT)
def test_a_report_that_says_nothing_of_the_run_is_a_failure_without_a_traceback(tmp_path, case):
    arguments, said = NO_REPORT[case]
    result = run(*arguments(tmp_path), "--root", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "All well" not in result.output
    assert result.output.startswith(MARKER) and "See the run's log" in result.output
    assert said in result.output


def test_a_failed_part_without_a_part_number_is_shown_as_the_whole_post(tmp_path):
    report = report_of(tmp_path, json.dumps({"ok": False, "outcomes": [
        {"post": "a", "channel": "mastodon", "part": 0, "state": "failed", "error": "file has errors"}]}))
    assert "| mastodon | a | all | `file has errors` |" in run(report, "--root", str(tmp_path)).output


def test_a_part_waiting_because_its_ledger_line_is_unreadable_is_listed_once(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state/ledger.jsonl").write_text(
        '{"post":"a","channel":"mastodon","part":2,"state":"Published","at":"2026-12-01T09:00:00Z"}\n')
    report = report_of(tmp_path, json.dumps({"ok": False, "outcomes": [
        {"post": "a", "channel": "mastodon", "part": 2, "state": "uncertain",
         "error": "waiting for `social resolve` (unreadable)"}]}))
    body = run(report, "--root", str(tmp_path)).output
    assert "### Unreadable (1)" in body and "### Uncertain" not in body
