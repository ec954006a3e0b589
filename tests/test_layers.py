"""The layers point one way: each package imports only from the packages below it.

`pipeline/cadence/` is the pure rule library: it knows nothing of posts, files,
the ledger or commands, so it can be tested and reused without them.
`pipeline/planning/` puts the rules to work on loaded content.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"

#: package -> the pipeline modules and packages it may import from (itself included)
ALLOWED = {
    "cadence": {"pipeline.cadence", "pipeline.times", "pipeline.errors"},
    "planning": {"pipeline.planning", "pipeline.cadence", "pipeline.content", "pipeline.state",
                 "pipeline.times", "pipeline.errors", "pipeline.git"},
}


def pipeline_imports(package: str) -> dict[str, set[str]]:
    """File -> every `pipeline.*` module it imports, at the top or inside a function."""
    found: dict[str, set[str]] = {}
    for path in sorted((PIPELINE / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "pipeline":  # from pipeline import git
                names |= {f"pipeline.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
        found[path.relative_to(PIPELINE.parent).as_posix()] = {
            name for name in names if name == "pipeline" or name.startswith("pipeline.")}
    return found


def allowed(module: str, package: str) -> bool:
    return any(module == place or module.startswith(place + ".") for place in ALLOWED[package])


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_from_below_it(package: str) -> None:
    wrong = {file: sorted(module for module in modules if not allowed(module, package))
             for file, modules in pipeline_imports(package).items()}
    assert {file: modules for file, modules in wrong.items() if modules} == {}


def test_the_checker_sees_imports_inside_functions() -> None:
    assert "pipeline.content.listing" in pipeline_imports("planning")["pipeline/planning/overview.py"]
