"""`social validate` as programs and CI see it: JSON shape, GitHub annotations, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from test_bad_input import build_repo

from pipeline import output as report
from pipeline.cli import cli
from pipeline.errors import ERROR, NOTICE, WARNING, Finding
from pipeline.validation import Report

BAD_TIME = "---\nchannels: [mastodon]\npublish_at: 12:30\n---\nFresh bread today.\n"
LONG_DRAFT = "---\nchannels: [bluesky]\nstatus: draft\nthread: off\n---\n" + "crumbs " * 60 + "\n"


#: before the example post of tests/corpus/base: nothing is due yet
NOW = "2026-12-01 08:00"


def validate(root: Path | str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--now", NOW, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def bad_posts(count: int) -> dict[str, str]:
    return {f"content/posts/2026/12/bad-{n:02d}.md": BAD_TIME for n in range(count)}


def test_a_valid_repository_exits_0_with_an_empty_report(tmp_path):
    root = build_repo(tmp_path, {})
    code, output = validate(root, "--format", "json")
    assert code == 0
    assert json.loads(output) == {"ok": True, "errors": [], "warnings": [], "notices": []}
    assert validate(root) == (0, "All good: no errors, no warnings.\n")


def test_json_has_exactly_the_documented_shape_with_files_relative_to_root(tmp_path, monkeypatch):
    build_repo(tmp_path / "site", {"content/posts/2026/12/bad.md": BAD_TIME})
    monkeypatch.chdir(tmp_path)
    code, output = validate("site", "--format", "json")
    data = json.loads(output)
    assert code == 1
    assert list(data) == ["ok", "errors", "warnings", "notices"]
    assert data["ok"] is False
    assert data["warnings"] == []
    [error] = data["errors"]
    assert error == {
        "file": "content/posts/2026/12/bad.md",
        "line": 3,
        "column": 13,
        "code": "publish-at-time-only",
        "message": error["message"],
    }
    assert "time without a date" in error["message"]


def test_text_names_file_line_column_level_and_code(tmp_path):
    root = build_repo(tmp_path, {"content/posts/2026/12/bad.md": BAD_TIME})
    code, output = validate(root, "--format", "text")
    lines = output.splitlines()
    assert code == 1
    assert lines[0].startswith("content/posts/2026/12/bad.md:3:13: error[publish-at-time-only]: ")
    assert lines[1].startswith("content/posts/2026/12/bad.md:3:13: notice[not-checked]: not checked until "
                               "publish_at can be read: cadence")
    assert lines[-1] == "1 error, 0 warnings, 1 notice."


def test_exit_2_when_channels_yml_is_broken_even_with_post_errors_too(tmp_path):
    root = build_repo(tmp_path, {"content/channels.yml": "timezone: [\n",
                                 "content/posts/2026/12/bad.md": BAD_TIME})
    code, output = validate(root, "--format", "json")
    assert code == 2
    assert [e["file"] for e in json.loads(output)["errors"]] == [
        "content/channels.yml", "content/posts/2026/12/bad.md"]


def test_github_escapes_messages_and_properties(tmp_path):
    root = build_repo(tmp_path, {
        # a channel name holding %, CR and LF ends up verbatim in the message
        "content/posts/2026/12/sale.md": (
            '---\nchannels: [mastodon]\npublish_at: 2026-12-01 09:30\n'
            'overrides:\n  "50%\\r\\noff": {text: Half price}\n---\nHalf price today.\n'),
        # ':' and ',' in the file name must be escaped in the file= property
        "content/posts/2026/12/sale,50:off.md": (
            "---\nid: sale-two\nchannels: [mastodon]\n---\nNo time.\n"),
    })
    code, output = validate(root, "--format", "github")
    lines = output.splitlines()
    assert code == 1
    assert ("::error file=content/posts/2026/12/sale%2C50%3Aoff.md,line=1,col=1,"
            "title=no-schedule::the post is ready") in output
    [override] = [line for line in lines if "title=override-unused" in line]
    assert override.startswith("::error file=content/posts/2026/12/sale.md,line=5,col=3,")
    assert "::overrides.50%25%0D%0Aoff is for a channel" in override
    assert lines[-1] == "2 errors, 0 warnings."


def test_github_shows_at_most_10_annotations_then_how_many_more(tmp_path):
    root = build_repo(tmp_path, bad_posts(13))
    code, output = validate(root, "--format", "github")
    lines = output.splitlines()
    assert code == 1
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::notice ") for line in lines) == 10  # cadence was not checked: no time
    assert lines[-3:] == [
        "... and 3 more errors not shown as annotations; run `social validate` to see them all",
        "... and 3 more notices not shown as annotations; run `social validate` to see them all",
        "13 errors, 0 warnings, 13 notices."]


def test_github_limits_each_level_on_its_own():
    findings = [Finding("a.md", n, 1, ERROR, "e", "bad") for n in range(1, 12)]
    findings += [Finding("b.md", n, 1, WARNING, "w", "meh") for n in range(1, 14)]
    lines = report.format_github(findings).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    assert lines[-2:] == [
        "... and 1 more error not shown as annotations; run `social validate` to see them all",
        "... and 3 more warnings not shown as annotations; run `social validate` to see them all",
    ]


def test_github_escaping_of_data_and_properties():
    line = report.format_github([Finding("a:b,c.md", 2, 3, ERROR, "x:y", "100%\r\nsure")])
    assert line == "::error file=a%3Ab%2Cc.md,line=2,col=3,title=x%3Ay::100%25%0D%0Asure"


def test_warnings_pass_unless_strict(tmp_path):
    root = build_repo(tmp_path, {"content/posts/2026/12/idea.md": LONG_DRAFT})
    code, output = validate(root, "--format", "json")
    data = json.loads(output)
    assert (code, data["ok"], data["errors"]) == (0, True, [])
    assert [w["code"] for w in data["warnings"]] == ["too-long"]
    code, output = validate(root, "--format", "json", "--strict")
    assert (code, json.loads(output)["ok"]) == (1, False)


def test_strict_turns_warnings_into_failure_in_the_report():
    warning = Finding("content/posts/a.md", 1, 1, WARNING, "w", "meh")
    result = Report(findings=[warning])
    assert result.ok() and not result.ok(strict=True)
    assert result.as_dict(strict=True) == {"ok": False, "errors": [],
                                           "warnings": [warning.as_dict()], "notices": []}
    assert Report(findings=[]).ok(strict=True)


def test_the_installed_command_prints_no_traceback_and_keeps_its_exit_code(tmp_path):
    root = build_repo(tmp_path, {
        **bad_posts(2),
        "content/posts/2026/12/gone.md": {"symlink": "nowhere.md"},
        "content/posts/2026/12/cafe.md": {"text": BAD_TIME.replace("Fresh", "Caf\xe9"),
                                          "encoding": "latin-1"},
    })
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--root", str(root), "--now", NOW],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines()[-1] == "4 errors, 0 warnings, 4 notices."


def test_the_same_text_twice_on_a_channel_within_a_day_is_a_warning(repo):
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [mastodon, outbox]", body="Fresh   bread today.")
    repo.post("b", "publish_at: 2026-12-01 20:00\nchannels: [mastodon]", body="Fresh bread\ntoday.")
    repo.post("c", "publish_at: 2026-12-03 09:00\nchannels: [mastodon]", body="Fresh bread today.")
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json", "--checks", "content"])
    warnings = json.loads(result.output)["warnings"]
    assert [(w["file"].rsplit("/", 1)[-1], w["code"]) for w in warnings] == [("b.md", "same-text-nearby")]
    assert "mastodon: the same text as a" in warnings[0]["message"] and "11 h apart" in warnings[0]["message"]


def test_a_notice_is_shown_in_every_format_and_never_fails_not_even_with_strict():
    notice = Finding("content/posts/a.md", 3, 1, NOTICE, "thread-split", "bluesky: will go out as 2 posts")
    result = Report(findings=[notice])
    assert result.ok() and result.ok(strict=True)
    assert result.notices == [notice] and result.errors == result.warnings == []
    assert result.as_dict(strict=True) == {"ok": True, "errors": [], "warnings": [],
                                           "notices": [notice.as_dict()]}
    assert report.format_text([notice]).splitlines() == [
        "content/posts/a.md:3:1: notice[thread-split]: bluesky: will go out as 2 posts",
        "All good: no errors, no warnings; 1 notice.",
    ]
    assert report.format_github([notice]) == (
        "::notice file=content/posts/a.md,line=3,col=1,title=thread-split::bluesky: will go out as 2 posts")


def test_the_summary_line_counts_notices_beside_errors_and_warnings():
    assert report.summary_line(1, 0) == "1 error, 0 warnings."
    assert report.summary_line(1, 0, 2) == "1 error, 0 warnings, 2 notices."
    assert report.summary_line(0, 0, 0) == "All good: no errors, no warnings."
    assert report.summary_line(0, 0, 3) == "All good: no errors, no warnings; 3 notices."
