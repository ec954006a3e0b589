"""Printing findings for people (text), machines (json) and GitHub (workflow annotations)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable

from pipeline.errors import ERROR, NOTICE, WARNING, Finding

GITHUB_ANNOTATIONS_PER_LEVEL = 10


def use_colour(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def format_text(findings: Iterable[Finding], colour: bool = False) -> str:
    """`file:line:col: error[code]: message`, one a line, then a count."""
    lines = []
    counts = {ERROR: 0, WARNING: 0, NOTICE: 0}
    for f in findings:
        counts[f.level] = counts.get(f.level, 0) + 1
        level = _paint(f.level, _LEVEL_COLOUR.get(f.level, "1"), colour)
        where = _paint(f"{f.file}:{f.line}:{f.column}", "1", colour)
        lines.append(f"{where}: {level}[{f.code}]: {f.message}")
    lines.append(summary_line(counts[ERROR], counts[WARNING], counts[NOTICE]))
    return "\n".join(lines)


_LEVEL_COLOUR = {ERROR: "1;31", WARNING: "1;33", NOTICE: "1;36"}


def summary_line(errors: int, warnings: int, notices: int = 0) -> str:
    """`2 errors, 1 warning.`; notices are counted only when there are some."""
    if not errors and not warnings:
        return "All good: no errors, no warnings" + (f"; {_plural(notices, 'notice')}." if notices else ".")
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}" + (
        f", {_plural(notices, 'notice')}." if notices else ".")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def format_json(payload: dict) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False)


def escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub workflow-command escaping of a property value (file, title)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Iterable[Finding]) -> str:
    """Annotations (`::error`, `::warning`, `::notice`), at most 10 per level (GitHub shows no more),
    then how many were left out."""
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    lines = []
    for f in findings:
        if shown.get(f.level, 0) >= GITHUB_ANNOTATIONS_PER_LEVEL:
            hidden[f.level] = hidden.get(f.level, 0) + 1
            continue
        shown[f.level] = shown.get(f.level, 0) + 1
        props = (f"file={escape_property(f.file)},line={f.line},col={f.column},"
                 f"title={escape_property(f.code)}")
        lines.append(f"::{f.level} {props}::{escape_data(f.message)}")
    for level, count in sorted(hidden.items()):
        lines.append(f"... and {_plural(count, 'more ' + level)} not shown as annotations; "
                     "run `social validate` to see them all")
    return "\n".join(lines)
