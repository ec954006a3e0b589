"""The body of the one issue the publish workflow keeps open while publishing needs a person.

Made from `social publish --format json`, the workflow steps that failed, and the
ledger itself (parts that cannot be read, posted twice, or whose retraction failed:
these stay until a person or a later run settles them). No issue is needed when
every part went out (or nothing was due), every step passed and the ledger needs
nobody.

The issue quotes what others wrote (a network's error message, a line of the
ledger) in code spans, where GitHub makes no link, image, HTML or mention of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.content.brands import brand_of, environment_name
from pipeline.output import md_code, md_text
from pipeline.state.ledger import FAILED, MISSED, UNCERTAIN, UNREADABLE, ConflictKind, Ledger, LedgerError
from pipeline.state.reading import REPAIR

#: the hidden line the workflow finds its issue by (a brand's has its name: see `marker`)
MARKER = "<!-- social-publish-failures -->"
TITLE = "Publishing needs attention"
#: what a person must look at; the order they are listed in
ATTENTION = (FAILED, UNCERTAIN, MISSED)
WHAT_TO_DO = {
    FAILED: "The next run tries again. If it keeps failing, fix the cause (a rejected token: update the "
            "secret in the `{environment}` environment).",
    UNCERTAIN: "It may or may not be online: look at the account, then run `social resolve ID --channel C "
               "--published URL` or `--not-published`, and push the state branch (or wait: it stays "
               "uncertain and is never sent twice).",
    MISSED: "Too late to send (max_lateness): give the post a new `publish_at`, or run `social resolve ID "
            "--channel C --send` to send it with the next run.",
}
#: what the ledger holds that needs a person, in the order listed: (title, what to do)
LEDGER_ATTENTION = {
    UNREADABLE: ("Unreadable", "A ledger line names the part but cannot be read, so the part waits and is never "
                 "sent twice. See what the line said with `git log -p -- ledger.jsonl` in the state/ checkout, "
                 "look at the account, then run `social resolve ID --channel C --part N --published URL` or "
                 "`--not-published`, and push the state branch."),
    ConflictKind.DUPLICATE: ("Posted twice", "Two runs published the same part: both copies are online. Delete one "
                             "by hand, then run `social resolve ID --channel C --part N --published URL` with the "
                             "link of the one kept, and push the state branch."),
    ConflictKind.TWO_RUNS: ("Handled by two runs", "A racing run's attempt came after the part went out and may "
                            "have posted a second copy. Look at the account, delete any second copy by hand, then "
                            "confirm with `social resolve ID --channel C --part N --published URL`."),
    "retraction": ("Retraction failed", "Still online. The next run tries to delete it again; if that keeps "
                   "failing, fix the cause or delete it by hand (the next run then records it as deleted)."),
}


@dataclass
class FailureReport:
    """What needs a person after one publish run."""

    problems: dict[str, list[dict]] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    #: why there is no report of the run to read
    unreadable: str | None = None
    #: a report that says the run went wrong but names no part
    unexplained: str | None = None
    run_url: str | None = None
    #: what the ledger holds that needs a person, by LEDGER_ATTENTION key: rows of (channel, post, part, why)
    ledger: dict[str, list[tuple[str, str, int, str]]] = field(default_factory=dict)
    #: why the ledger itself cannot be read
    ledger_error: str | None = None
    #: the brand the run published, in a repository of several ("": the only one)
    brand: str = ""

    @property
    def all_well(self) -> bool:
        return not (self.problems or self.failed_steps or self.unreadable or self.unexplained or self.ledger
                    or self.ledger_error)

    def markdown(self) -> str:
        """The issue body: a hidden marker, what failed and why, what to do, the run."""
        lines = [marker(self.brand), f"## {issue_title(self.brand)}", ""]
        if self.run_url:
            lines += [f"From the publish run {self.run_url}. This issue is updated by each run and closed "
                      "by the first run in which everything is well.", ""]
        if self.failed_steps:
            lines += ["**Steps that failed:**", *(f"- {md_text(step)}" for step in self.failed_steps), ""]
        if self.unreadable:
            lines += [f"**No report from `social publish`:** {md_text(self.unreadable)}. See the run's log.", ""]
        if self.unexplained:
            lines += [f"**The run did not go well:** {md_text(self.unexplained)}. See the run's log.", ""]
        if self.ledger_error:
            lines += [f"**The ledger cannot be read:** {md_code(self.ledger_error)}", ""]
        for key, (title, todo) in LEDGER_ATTENTION.items():
            rows = self.ledger.get(key)
            if rows:
                lines += [f"### {title} ({len(rows)})", "", todo, "", "| Channel | Post | Part | What |",
                          "|---|---|---|---|"]
                lines += [f"| {_cell(c)} | {_cell(p)} | {_cell(n)} | {_quoted(why)} |" for c, p, n, why in rows]
                lines.append("")
        for state in ATTENTION:
            outcomes = self.problems.get(state)
            if not outcomes:
                continue
            todo = WHAT_TO_DO[state].format(environment=environment_name(self.brand))
            lines += [f"### {state.capitalize()} ({len(outcomes)})", "", todo, "",
                      "| Channel | Post | Part | Why |", "|---|---|---|---|"]
            for o in outcomes:
                lines.append(f"| {_cell(o.get('channel'))} | {_cell(o.get('post'))} | {_part(o.get('part'))} | "
                             f"{_quoted(o.get('error'))} |")
            lines.append("")
        return "\n".join(lines)

    def text(self) -> str:
        if self.all_well:
            return "All well: nothing failed, nothing is uncertain or missed."
        return self.markdown()


def _part(number: object) -> str:
    """A part's number; 0 (or none) stands for the whole post, as when its file cannot be read."""
    return _cell(number) if number else "all"


def _cell(value: object) -> str:
    """A table cell of our own words (a channel, a post id): plain text on one line."""
    return md_text(str(value or ""))


def _quoted(value: object) -> str:
    """A table cell quoting what others wrote, in a code span; empty when there is nothing."""
    return md_code(str(value), in_table=True) if value else ""


def marker(brand: str = "") -> str:
    """The hidden first line of the issue of `brand`'s publish runs; no brand's starts with another's."""
    return f"<!-- social-publish-failures {brand} -->" if brand else MARKER


def issue_title(brand: str = "") -> str:
    return f"{TITLE}: {brand}" if brand else TITLE


def failure_report(report_file: Path | str | None, *, failed_steps: tuple[str, ...] = (),
                   run_url: str | None = None, root: Path | None = None) -> FailureReport:
    """Read `social publish --format json` output (which may be missing or cut short) into a report.

    A report that says nothing of the run (none given, missing, empty, not that JSON) is
    itself a failure: the issue says so. With `root`, the ledger under it too: what it
    holds that needs a person.
    """
    result = FailureReport(failed_steps=list(failed_steps), run_url=run_url)
    if root is not None:
        result.brand = brand_of(root) or ""
        _read_ledger(result, root)
    outcomes, why = _read_report(report_file)
    if outcomes is None:
        result.unreadable = why
        return result
    result.unexplained = why
    for outcome in outcomes:
        if outcome.get("state") in ATTENTION and not _in_ledger_rows(result, outcome):
            result.problems.setdefault(outcome["state"], []).append(outcome)
    return result


def _read_report(report_file: Path | str | None) -> tuple[list[dict] | None, str | None]:
    """The outcomes of a publish report (None: there are none to read, and why); and what it leaves
    unexplained."""
    if report_file is None or not str(report_file).strip():
        return None, "no report was given (REPORT, the file `social publish --format json` wrote)"
    path = Path(report_file)
    not_the_json = f"{path} is not the JSON of `social publish --format json`"
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None, f"{path} does not exist"
    except IsADirectoryError:
        return None, f"{path} is not a file"
    except OSError as error:
        return None, f"{path} cannot be read ({error.strerror or error})"
    if not text.strip():
        return None, f"{path} is empty"
    try:
        data = json.loads(text.decode("utf-8"))
    except ValueError:
        return None, not_the_json
    outcomes = data.get("outcomes") if isinstance(data, dict) else None
    if not isinstance(outcomes, list) or not all(isinstance(outcome, dict) for outcome in outcomes):
        return None, not_the_json
    if data.get("ok") is False and not any(o.get("state") in ATTENTION for o in outcomes):
        return outcomes, f"{path} says the run did not go well (`ok: false`) but names no part that failed"
    return outcomes, None


def _read_ledger(result: FailureReport, root: Path) -> None:
    try:
        ledger = Ledger(root)
    except LedgerError as error:
        result.ledger_error = str(error)
        if REPAIR not in result.ledger_error:
            result.ledger_error += f" ({REPAIR})"
        return
    for entry in sorted(ledger.latest(), key=lambda e: (e.channel, e.post, e.part)):
        if entry.state == UNREADABLE:
            result.ledger.setdefault(UNREADABLE, []).append((entry.channel, entry.post, entry.part, entry.error))
        elif entry.retraction_failed:
            result.ledger.setdefault("retraction", []).append(
                (entry.channel, entry.post, entry.part, f"{entry.error or 'delete failed'} ({entry.url or ''})"))
    for conflict in ledger.conflicts:
        if conflict.needs_person:
            result.ledger.setdefault(conflict.kind, []).append(
                (conflict.channel, conflict.post, conflict.part, conflict.what()))


def _in_ledger_rows(result: FailureReport, outcome: dict) -> bool:
    """Whether the ledger's rows already say what this outcome says (a failed deletion, a part waiting)."""
    where = (outcome.get("channel"), outcome.get("post"))
    if outcome.get("state") == FAILED and str(outcome.get("error") or "").startswith("delete failed"):
        return any(row[:3] == (*where, outcome.get("part")) for row in result.ledger.get("retraction", []))
    if outcome.get("state") == UNCERTAIN:  # a part waiting for a person because its line is unreadable
        return any(row[:2] == where and outcome.get("part") in (None, 0, row[2])
                   for row in result.ledger.get(UNREADABLE, []))
    return False
