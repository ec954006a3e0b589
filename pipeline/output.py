"""What every command prints: for people (text), machines (json) and GitHub (annotations, Markdown).

Text shown to people comes in part from others: post titles and bodies from a pull
request, error messages from the networks. `echo` prints everything through `visible`,
so no such text can drive the terminal (clear it, retitle it, hide a link behind an
OSC 8 hyperlink) or reorder what is shown (bidi overrides): the characters that would
are printed as escapes. The Markdown helpers do the same for GitHub, where such text
must not become a link, an image (a tracking pixel), HTML or a notification.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable

import click

from pipeline.errors import ERROR, NOTICE, WARNING, Finding

# C0 controls but tab and newline, DEL, C1 controls (U+009B is CSI on its own), and the
# bidirectional overrides and isolates that make text read in another order than it is stored.
_HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_HIDDEN_IN_TEXT = re.compile(f"[{_HIDDEN}]")
_HIDDEN_IN_LINE = re.compile(f"[{_HIDDEN}\t\n]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def visible(text: str, *, one_line: bool = False) -> str:
    """`text` with every character a terminal would act on (or that hides text) shown as an escape.

    Tabs and newlines stay unless `one_line`. The escapes are JSON's (`\\r`, `\\u001b`), so
    JSON stays the same JSON; a backslash already in the text is left as it is.
    """
    pattern = _HIDDEN_IN_LINE if one_line else _HIDDEN_IN_TEXT
    return pattern.sub(lambda m: _ESCAPES.get(m.group()) or f"\\u{ord(m.group()):04x}", text)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print `text` (to stderr with `err`) as `visible` shows it: what every command prints goes here."""
    click.echo(visible(text), err=err, nl=nl)


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
    """`file:line:col: error[code]: message`, one a line, then a count.

    Each piece is made `visible` before it is painted, so the result, colours and all,
    may be printed as it is.
    """
    lines = []
    counts = {ERROR: 0, WARNING: 0, NOTICE: 0}
    for f in findings:
        counts[f.level] = counts.get(f.level, 0) + 1
        level = _paint(f.level, _LEVEL_COLOUR.get(f.level, "1"), colour)
        where = _paint(visible(f"{f.file}:{f.line}:{f.column}", one_line=True), "1", colour)
        lines.append(f"{where}: {level}[{visible(f.code, one_line=True)}]: {visible(f.message)}")
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
    """Indented JSON, non-ASCII text as it is but for what `visible` escapes (the same JSON)."""
    return visible(json.dumps(payload, indent=2, ensure_ascii=False))


def escape_data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub workflow-command escaping of a property value (file, title)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Iterable[Finding], prefix: str = "") -> str:
    """Annotations (`::error`, `::warning`, `::notice`), at most 10 per level (GitHub shows no more),
    then how many were left out.

    `prefix`: the content root's folder in the repository (`brands/cafe/`), which GitHub's
    paths start from."""
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    lines = []
    for f in findings:
        if shown.get(f.level, 0) >= GITHUB_ANNOTATIONS_PER_LEVEL:
            hidden[f.level] = hidden.get(f.level, 0) + 1
            continue
        shown[f.level] = shown.get(f.level, 0) + 1
        props = (f"file={escape_property(prefix + f.file)},line={f.line},col={f.column},"
                 f"title={escape_property(f.code)}")
        lines.append(f"::{f.level} {props}::{escape_data(f.message)}")
    for level, count in sorted(hidden.items()):
        lines.append(f"... and {_plural(count, 'more ' + level)} not shown as annotations; "
                     "run `social validate` to see them all")
    return "\n".join(lines)


# -- Markdown for GitHub ----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_text(text: str) -> str:
    """Plain text in Markdown, on one line: no markup, no HTML, no @mentions that notify anyone."""
    text = visible(" ".join(text.split()))
    return _MD_SPECIAL.sub(r"\\\1", text).replace("@", "@\u2060")


def md_code(text: str, *, in_table: bool = False) -> str:
    """An inline code span holding `text` exactly (on one line); `in_table`: its pipes escaped.

    For text from elsewhere (a network's error message): GitHub turns nothing in a code
    span into a link, an image, HTML, a mention or a reference to an issue.
    """
    text = visible(" ".join(text.split())) or " "
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{ticks}{pad}{text}{pad}{ticks}"
    # a table splits its rows at pipes before it reads code spans; `\|` is a pipe within a cell
    return span.replace("|", "\\|") if in_table else span


def md_fenced(text: str) -> str:
    """A fenced block that shows `text` exactly, however many backticks it holds."""
    text = visible(text)
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"
