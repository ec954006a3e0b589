"""Every finding code that validation can report is documented in docs/validation.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pipeline.cadence.registry import RULES

ROOT = Path(__file__).resolve().parent.parent
KEBAB = re.compile(r"^[a-z]+(?:-[a-z0-9]+)+$")
#: modules whose findings `social validate` reports
VALIDATION = ["pipeline/content", "pipeline/files.py", "pipeline/render/loader.py", "pipeline/render/render.py",
              "pipeline/render/templates.py", "pipeline/render/budget.py",
              "pipeline/cadence", "pipeline/planning/findings.py", "pipeline/validation"]
NOT_CODES = {"utf-8", "utf-8-sig", "utf-16-le"}


def codes_in_source() -> set[str]:
    found = {"encoding", "missing-key", "wrong-type", "too-long", "text-refused"}
    files = []
    for place in VALIDATION:
        path = ROOT / place
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
                found |= {node.value.value} if isinstance(node.value, ast.Constant) and isinstance(
                    node.value.value, str) and KEBAB.match(node.value.value) else set()  # TOO_BIG = "..."
            if not isinstance(node, ast.Call):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "code"] + list(node.args)
            found |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                      and KEBAB.match(v.value)}
    return (found - NOT_CODES) | {rule.code for rule in RULES.values()} | channel_finding_codes()


def channel_finding_codes() -> set[str]:
    """Codes a network's `channel_findings` reports: its (level, code, message) tuples."""
    found = set()
    for file in sorted((ROOT / "pipeline" / "networks").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Tuple) and len(node.elts) == 3
                    and all(isinstance(e, ast.Constant) for e in node.elts[:2])
                    and node.elts[0].value in ("error", "warning") and KEBAB.match(str(node.elts[1].value))):
                found.add(node.elts[1].value)
    return found


def test_the_codes_of_networks_channel_findings_are_found():
    assert {"linkedin-version-retiring", "linkedin-version-retired", "facebook-version-retiring",
            "facebook-version-retired", "facebook-version-unknown"} <= channel_finding_codes()


def test_every_finding_code_is_documented():
    page = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    missing = sorted(code for code in codes_in_source() if f"`{code}`" not in page)
    assert missing == [], f"document these codes in docs/validation.md: {missing}"
