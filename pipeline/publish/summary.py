"""How a publish run is shown: terminal lines, tables, JSON, the job summary (`social status`: status.py)."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.output import md_code, md_text
from pipeline.publish.result import DRY_RUN, NOT_STARTED, Outcome
from pipeline.state.ledger import (
    DELETED,
    FAILED,
    MISSED,
    PENDING,
    PUBLISHED,
    UNCERTAIN,
    UNREADABLE,
)
from pipeline.times import format_local

if TYPE_CHECKING:
    from pipeline.publish.service import PublishReport

SYMBOLS = {PUBLISHED: "✓", DRY_RUN: "→", FAILED: "✗", UNCERTAIN: "?", MISSED: "⌛", DELETED: "⌫",
           PENDING: "…", NOT_STARTED: "·", UNREADABLE: "!"}
ORDER = (PUBLISHED, DRY_RUN, DELETED, FAILED, UNCERTAIN, MISSED, NOT_STARTED)


def outcome_line(outcome: Outcome) -> str:
    part = f" part {outcome.part}" if outcome.part else ""
    tail = outcome.url or ""
    if outcome.error:
        tail = f"{tail} {outcome.error}".strip()
    return f"[{outcome.channel}] {SYMBOLS.get(outcome.state, ' ')} {outcome.state:<9} {outcome.post}{part}  {tail}"


def report_dict(report: PublishReport) -> dict:
    counts = Counter(o.state for o in report.result.outcomes)
    return {
        "now": format_local(report.now, report.zone),
        "dry_run": report.dry_run,
        "run": report.run,
        "stopped": report.stopped,
        "ok": report.ok,
        "counts": dict(counts),
        "outcomes": [asdict(o) for o in report.result.outcomes],
        "warnings": report.ledger_warnings,
        "assumed_sent": report.assumed_sent,
    }


def report_text(report: PublishReport) -> str:
    outcomes = report.result.outcomes
    when = format_local(report.now, report.zone)
    if not outcomes:
        return "\n".join([f"Nothing due at {when}.", *_assumed_lines(report)])
    lines = [f"{_title(report)} at {when}:", ""]
    lines.append(_table(outcomes))
    counts = Counter(o.state for o in outcomes)
    lines += ["", ", ".join(f"{counts[state]} {state}" for state in ORDER if counts[state])]
    return "\n".join([*lines, *_assumed_lines(report)])


def _assumed_lines(report: PublishReport) -> list[str]:
    """What a dry run at a later time takes the runs before it to have sent."""
    if not report.assumed_sent:
        return []
    parts = sum(len(item["parts"]) for item in report.assumed_sent)
    return [f"{parts} parts due before then (more than their channel's max_lateness before) are taken as sent "
            f"by the runs between the clock ({format_local(report.clock, report.zone)}) and then; `--format json` "
            "lists them (assumed_sent)."]


def _title(report: PublishReport) -> str:
    """`Publish run 3f9a0c1e`: the run id ties the output to the ledger lines it wrote."""
    return " ".join(filter(None, ("Dry run" if report.dry_run else "Publish run", report.run)))


def part_text(number: int) -> str:
    """A part's number as shown; 0 stands for the whole post (its parts are not known: its file has errors)."""
    return str(number) if number else "all"


def _table(outcomes: list[Outcome]) -> str:
    rows = [("channel", "post", "part", "state", "link or reason")]
    for o in sorted(outcomes, key=lambda o: (o.channel, o.post, o.part)):
        rows.append((o.channel, o.post, part_text(o.part), o.state, o.error or o.url or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
                     for row in rows).rstrip()


#: GitHub refuses a job summary over 1 MiB; rows beyond this are counted, not listed
MAX_SUMMARY_ROWS = 2000


def report_markdown(report: PublishReport) -> str:
    """The GitHub job summary: a heading, counts, and a table (Markdown), well under 1 MiB."""
    when = format_local(report.now, report.zone)
    outcomes = report.result.outcomes
    lines = [f"### {_title(report)} at {when}", ""]
    if not outcomes:
        return "\n".join([*lines, "Nothing was due.", ""])
    counts = Counter(o.state for o in outcomes)
    lines += [", ".join(f"**{counts[s]}** {s}" for s in ORDER if counts[s]), "",
              "| Channel | Post | Part | State | Link or reason |", "|---|---|---|---|---|"]
    ordered = sorted(outcomes, key=lambda o: (o.state not in (FAILED, UNCERTAIN), o.state == PUBLISHED,
                                              o.channel, o.post, o.part))
    for o in ordered[:MAX_SUMMARY_ROWS]:
        lines.append(f"| {md_text(o.channel)} | {md_text(o.post)} | {part_text(o.part)} | {SYMBOLS.get(o.state, '')} "
                     f"{o.state} | {_detail_md(o)} |")
    if len(ordered) > MAX_SUMMARY_ROWS:
        lines += ["", f"... and {len(ordered) - MAX_SUMMARY_ROWS} more rows (problems are listed first); "
                  "`social status` shows them all."]
    return "\n".join(lines) + "\n"


#: a link the summary may show as one: http(s), nothing Markdown or a table would read as markup
_PLAIN_URL = re.compile(r"https?://[\w.~:/?#@!$&'*+,;=%-]+")


def _detail_md(outcome: Outcome) -> str:
    """The reason (a network's words, quoted in code) or the link of a published part."""
    if outcome.error:
        return md_code(outcome.error[:300], in_table=True)
    if outcome.url and _PLAIN_URL.fullmatch(outcome.url):
        return f"[{outcome.url}]({outcome.url})"
    return md_code(outcome.url, in_table=True) if outcome.url else ""


def write_job_summary(text: str) -> None:
    """Append to GitHub's job summary when running in Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)
