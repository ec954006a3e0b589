"""The body of the one issue the publish workflow keeps open while publishing needs a person.

Made from `social publish --format json` and the workflow steps that failed. No
issue is needed when every part went out (or nothing was due) and every step passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.state.ledger import FAILED, MISSED, UNCERTAIN

#: the hidden line the workflow finds its issue by
MARKER = "<!-- social-publish-failures -->"
TITLE = "Publishing needs attention"
#: what a person must look at; the order they are listed in
ATTENTION = (FAILED, UNCERTAIN, MISSED)
WHAT_TO_DO = {
    FAILED: "The next run tries again. If it keeps failing, fix the cause (a rejected token: update the "
            "repository secret).",
    UNCERTAIN: "It may or may not be online: look at the account, then run `social resolve ID --channel C "
               "--published URL` or `--not-published`, and push the state branch (or wait: it stays "
               "uncertain and is never sent twice).",
    MISSED: "Too late to send (max_lateness): give the post a new `publish_at`, or run `social resolve ID "
            "--channel C --send` to send it with the next run.",
}


@dataclass
class FailureReport:
    """What needs a person after one publish run."""

    problems: dict[str, list[dict]] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    unreadable: str | None = None
    run_url: str | None = None

    @property
    def all_well(self) -> bool:
        return not (self.problems or self.failed_steps or self.unreadable)

    def markdown(self) -> str:
        """The issue body: a hidden marker, what failed and why, what to do, the run."""
        lines = [MARKER, f"## {TITLE}", ""]
        if self.run_url:
            lines += [f"From the publish run {self.run_url}. This issue is updated by each run and closed "
                      "by the first run in which everything is well.", ""]
        if self.failed_steps:
            lines += ["**Steps that failed:**", *(f"- {_cell(step)}" for step in self.failed_steps), ""]
        if self.unreadable:
            lines += [f"**No report from `social publish`:** {_cell(self.unreadable)}. See the run's log.", ""]
        for state in ATTENTION:
            outcomes = self.problems.get(state)
            if not outcomes:
                continue
            lines += [f"### {state.capitalize()} ({len(outcomes)})", "", WHAT_TO_DO[state], "",
                      "| Channel | Post | Part | Why |", "|---|---|---|---|"]
            for o in outcomes:
                lines.append(f"| {_cell(o.get('channel'))} | {_cell(o.get('post'))} | {o.get('part') or ''} | "
                             f"{_cell(o.get('error') or '')} |")
            lines.append("")
        return "\n".join(lines)

    def text(self) -> str:
        if self.all_well:
            return "All well: nothing failed, nothing is uncertain or missed."
        return self.markdown()


def _cell(value: object) -> str:
    """A table cell: one line, no pipes, no HTML, no @mentions that notify anyone."""
    text = " ".join(str(value or "").split())
    return (text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u2060"))


def failure_report(report_file: Path | None, *, failed_steps: tuple[str, ...] = (), run_url: str | None = None
                   ) -> FailureReport:
    """Read `social publish --format json` output (which may be missing or cut short) into a report."""
    result = FailureReport(failed_steps=list(failed_steps), run_url=run_url)
    if report_file is None:
        return result
    try:
        data = json.loads(Path(report_file).read_text(encoding="utf-8"))
        outcomes = data["outcomes"]
    except FileNotFoundError:
        result.unreadable = f"{report_file} does not exist"
        return result
    except (ValueError, KeyError, TypeError):
        result.unreadable = f"{report_file} is not the JSON of `social publish --format json`"
        return result
    for outcome in outcomes:
        if isinstance(outcome, dict) and outcome.get("state") in ATTENTION:
            result.problems.setdefault(outcome["state"], []).append(outcome)
    return result
