"""`social validate`: every check over the content, reported together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.content.load import load_content
from pipeline.content.model import Content
from pipeline.errors import ERROR, WARNING, Finding


@dataclass
class Report:
    """Findings sorted by file and line; `config_broken` means exit 2."""

    findings: list[Finding] = field(default_factory=list)
    config_broken: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def as_dict(self, strict: bool = False) -> dict:
        return {
            "ok": self.ok(strict),
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
        }


CHECKS = ("content", "render", "cadence", "ledger")


def validate(root: Path, content: Content | None = None, now: datetime | None = None,
             checks: tuple[str, ...] = CHECKS) -> Report:
    """Load (unless given) and check everything; never stops at the first problem.

    `now` (default: the clock) is where cadence starts looking: the past still
    counts, but what ended before now is not reported. `checks` picks groups:
    content (files, schema, times, media) always runs; render, cadence and ledger
    (ids of published posts) can be left out for a quick look.
    """
    content = content or load_content(root)
    findings = list(content.findings)
    if "render" in checks:
        from pipeline.render.check import render_findings

        findings.extend(render_findings(content))
    if "cadence" in checks:
        from pipeline.planning.findings import cadence_findings

        findings.extend(cadence_findings(content, now=now))
    if "ledger" in checks and content.config is not None:
        from pipeline.publish.identity import identity_findings

        findings.extend(identity_findings(content))
    return Report(findings=sorted(set(findings)), config_broken=content.config is None)
