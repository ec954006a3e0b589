"""The rules table of docs/cadence.md, generated from the declarations so the docs cannot drift.

    python -m pipeline.cadence.ruledocs docs/cadence.md    # rewrites the table in place

A test fails when the table in the page and the declarations disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.cadence.registry import RULES

HEADER = "| rule | default level | example | meaning |"


def rules_table() -> str:
    """One row per rule in registry order, each linking to its section of the page."""
    rows = [HEADER, "|---|---|---|---|"]
    rows += [f"| [`{name}`](#{name}) | {rule.default_level} | `{name}: {rule.example}` | "
             f"{rule.description} |" for name, rule in RULES.items()]
    return "\n".join(rows) + "\n"


def table_in(page: str) -> str:
    """The rules table as it stands in `page`: from its header to the last row."""
    lines = page.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(HEADER)), None)
    if start is None:
        raise ValueError(f"the page has no rules table; put one under a line {HEADER!r}")
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "".join(lines[start:end])


def with_rules_table(page: str) -> str:
    """`page` with its rules table replaced by the generated one."""
    return page.replace(table_in(page), rules_table(), 1)


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(with_rules_table(path.read_text(encoding="utf-8")), encoding="utf-8")
