"""How a publish run and the ledger are shown: terminal lines, tables, JSON, the job summary."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.publish.result import DRY_RUN, NOT_STARTED, Outcome
from pipeline.state.ledger import (
    DELETED,
    FAILED,
    MISSED,
    PENDING,
    PUBLISHED,
    UNCERTAIN,
    UNREADABLE,
    Conflict,
    ConflictKind,
    Entry,
)
from pipeline.times import format_local

if TYPE_CHECKING:
    from pipeline.publish.service import PublishReport

SYMBOLS = {PUBLISHED: "✓", DRY_RUN: "→", FAILED: "✗", UNCERTAIN: "?", MISSED: "⌛", DELETED: "⌫",
           PENDING: "…", NOT_STARTED: "·", UNREADABLE: "!"}
ORDER = (PUBLISHED, DRY_RUN, DELETED, FAILED, UNCERTAIN, MISSED, NOT_STARTED)
#: a published part whose retraction failed: still online, grouped apart from the plainly published
RETRACTION_FAILED = "retraction failed"
#: how `social status` groups the ledger, what needs a person first
STATUS_ORDER = (UNREADABLE, UNCERTAIN, PENDING, FAILED, RETRACTION_FAILED, MISSED, PUBLISHED, DELETED)


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
    return [f"{parts} parts due before then, too early for this run to send, are taken as sent by the runs "
            f"between the clock ({format_local(report.clock, report.zone)}) and then; `--format json` lists "
            "them (assumed_sent)."]


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
        detail = (o.error or o.url or "").replace("|", "\\|").replace("\n", " ")[:300]
        if o.url and o.url.startswith("http") and not o.error:
            detail = f"[{o.url}]({o.url})"
        lines.append(f"| {o.channel} | {o.post} | {part_text(o.part)} | {SYMBOLS.get(o.state, '')} "
                     f"{o.state} | {detail} |")
    if len(ordered) > MAX_SUMMARY_ROWS:
        lines += ["", f"... and {len(ordered) - MAX_SUMMARY_ROWS} more rows (problems are listed first); "
                  "`social status` shows them all."]
    return "\n".join(lines) + "\n"


def write_job_summary(text: str) -> None:
    """Append to GitHub's job summary when running in Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)


def status_group(entry: Entry) -> str:
    """The group `social status` lists a part's current entry in."""
    return RETRACTION_FAILED if entry.retraction_failed else entry.state


def retraction(entry: Entry) -> dict | None:
    """A retraction under way for the part, as `social status --format json` shows it."""
    return {"state": "failed", "reason": entry.error} if entry.retraction_failed else None


def status_dict(entries: list[Entry], conflicts: list[Conflict] = ()) -> dict:
    return {"entries": [{**entry.as_dict(), "retraction": retraction(entry)} for entry in entries],
            "conflicts": [conflict.as_dict() for conflict in conflicts]}


def status_text(entries: list[Entry], conflicts: list[Conflict] = ()) -> str:
    """The ledger for people: what needs a person first (unreadable parts, conflicts), each with what to do."""
    if not entries:
        return "The ledger is empty: nothing has been published yet."
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(status_group(entry), []).append(entry)
    lines = _group_lines(UNREADABLE, groups.get(UNREADABLE, [])) + _conflict_lines(conflicts)
    for state in STATUS_ORDER[1:]:
        lines += _group_lines(state, groups.get(state, []))
    if UNCERTAIN in groups or PENDING in groups:
        lines.append("Settle uncertain parts with: social resolve ID --channel C "
                     "(--published URL | --not-published)")
    return "\n".join(lines).rstrip()


def _group_lines(state: str, chosen: list[Entry]) -> list[str]:
    if not chosen:
        return []
    lines = [f"{state} ({len(chosen)})"]
    for e in chosen:
        lines.append(f"  {e.at}  {e.channel:<10} {e.post} part {e.part}  {_detail(e, state)}".rstrip())
        if state == UNREADABLE:
            lines.append(f"    then: social resolve {e.post} --channel {e.channel} --part {e.part} "
                         "(--published URL | --not-published)")
    if state == UNREADABLE:
        lines += ["  A ledger line names the part but cannot be read, so the part waits and is not sent again.",
                  "  See what the line said with `git log -p state -- ledger.jsonl`, look at the account, then",
                  "  settle it: --published URL (it is online) or --not-published (the next run sends it)."]
    return [*lines, ""]


def _detail(e: Entry, group: str) -> str:
    if group == RETRACTION_FAILED:
        return f"still online: retraction failed ({e.error})  {e.url or ''}"
    return e.url or "" if group in (PUBLISHED, DELETED) else (e.error or "")


def _conflict_lines(conflicts: list[Conflict]) -> list[str]:
    lines = []
    for kind, title in ((ConflictKind.DUPLICATE, "posted twice"), (ConflictKind.TWO_RUNS, "handled by two runs")):
        chosen = [c for c in conflicts if c.kind == kind]
        if chosen:
            lines.append(f"{title} ({len(chosen)})")
            lines += [f"  {c.channel:<10} {c.post} part {c.part}  {c.what()}: {c.todo()}" for c in chosen]
            lines.append("")
    return lines
