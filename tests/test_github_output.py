"""What the workflows show on GitHub: annotations that no message can break out of, summaries within limits."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline import output as report
from pipeline.errors import ERROR, WARNING, Finding
from pipeline.review.formatting import Block, fit


def test_no_message_can_start_a_workflow_command_of_its_own():
    hostile = [
        Finding("a.md", 1, 1, ERROR, "x", "bad\n::add-mask::secret\r\n::set-env name=A::1"),
        Finding("b%0A.md", 2, 1, WARNING, "y::z", "50%0A is not a newline"),
        Finding("c.md\n::error::fake", 3, 1, ERROR, "t", "ok"),
    ]
    lines = report.format_github(hostile).splitlines()
    assert len(lines) == 3  # one line per finding, whatever the text holds
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert lines[0].endswith("::bad%0A::add-mask::secret%0D%0A::set-env name=A::1")
    # '%' is escaped first, so an escape written in the text stays literal text
    assert "file=b%250A.md" in lines[1] and "title=y%3A%3Az" in lines[1]
    assert lines[1].endswith("::50%250A is not a newline")
    assert "file=c.md%0A%3A%3Aerror%3A%3Afake," in lines[2]


def test_annotations_stop_at_10_per_level_in_order_and_count_the_rest():
    findings = [Finding(f"{n:02d}.md", 1, 1, ERROR, "e", f"error {n}") for n in range(25)]
    lines = report.format_github(findings).splitlines()
    assert [line.rsplit("::", 1)[1] for line in lines[:10]] == [f"error {n}" for n in range(10)]
    assert lines[10] == "... and 15 more errors not shown as annotations; run `social validate` to see them all"
    assert report.format_github([]) == ""


def test_a_preview_of_thousands_of_posts_stays_under_the_job_summary_limit():
    posts = [Block(f"### Added `post-{n}`\n" + "é" * 2000 + "\n", "post") for n in range(3000)]  # ~12 MB
    text = fit("## Preview", [Block("### Cadence\n"), *posts], 1_000_000, "Run it locally.")
    assert len(text.encode()) <= 1_000_000
    assert "### Cadence" in text
    shown = text.count("### Added")
    assert f"{3000 - shown} posts not shown" in text and shown > 200


def test_the_publish_job_summary_goes_where_github_says(tmp_path, monkeypatch):
    from pipeline.publish import summary
    from pipeline.publish.result import Outcome, RunResult
    from pipeline.publish.service import PublishReport

    target = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    run = PublishReport(now=datetime(2026, 12, 1, 9, tzinfo=UTC), zone=UTC, dry_run=False,
                        result=RunResult([Outcome("p", "mastodon", 1, "failed", error="a | b\nc")]))
    summary.write_job_summary(summary.report_markdown(run))
    text = target.read_text()
    assert "| mastodon | p | 1 | ✗ failed | `a \\| b c` |" in text
