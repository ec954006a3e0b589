"""Top-level keys of front matter read from its text alone, where the text leaves no doubt.

Composing a post's YAML costs more than some whole commands need: a publish run
with nothing due only has to rule most posts out, and validation only has to find
the line of `publish_at`. The text is enough when no line above a key leaves
anything open (a quoted text or a flow collection running on over lines could hold
a line that only looks like a key); otherwise these functions say they are unsure,
and the caller reads the post in full. tests/test_peek.py and
tests/test_cadence_findings.py hold them to the full reader's answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

#: a line that leaves nothing open: after it, a line starting `key:` is a top-level key
_CLOSED = r"""
    [ \t]*(?:-[ \t]+)*                          # indentation, list entries
    (?:\w[\w.-]*[ \t]*:(?:[ \t]+|(?=\n|\Z)))?     # a plain key
    (?: "(?:[^"\\\n]|\\.)*"                    # a whole double-quoted text
      | '(?:[^'\n]|'')*'                        # a whole single-quoted text
      | \[[^][{}"'&*!\#\n]*\]                   # a one-line flow list of plain words
      | \{[^][{}"'&*!\#\n]*\}                   # a one-line flow mapping of plain words
      | [|>][-+1-9]*                            # a block text: its lines are indented
      | [^][\s"'{}\#&*!|>%@`,?:-]              # plain text, up to a comment
        (?:[^:\#\n]|:(?=[^\s])|(?<=[^\s])\#)*
    )?
    [ \t]*(?:\#[^\n]*)?                          # a comment
"""
_CLOSED_LINE = re.compile(_CLOSED, re.VERBOSE)
#: every line closed, checked in one pass over the text
_ALL_CLOSED = re.compile(rf"(?:{_CLOSED}\n)*{_CLOSED}", re.VERBOSE)
#: first characters that make a value more than a one-line scalar (or an alias, a tag, ...)
_NOT_SCALAR = frozenset("#&*!|>%@`{}[],")


def all_closed(text: str) -> bool:
    """Whether no line of `text` leaves a quote or a flow collection open."""
    return _ALL_CLOSED.fullmatch(text) is not None


@dataclass(frozen=True)
class Peek:
    """The top-level scalar values of front matter, as far as its text settles them."""

    #: key -> (its 1-based line, the value's 1-based column, the value as YAML reads it)
    values: dict[str, tuple[int, int, str]]
    #: False when a line leaves something open, or a value is not a one-line scalar: ask the
    #: full reader then, for any key
    sure: bool

    def get(self, key: str) -> str | None:
        found = self.values.get(key)
        return found[2] if found else None


@cache
def _top_level(keys: frozenset[str]) -> re.Pattern:
    """`key:` at the start of a line for one of `keys`, and what is written after it."""
    names = "|".join(re.escape(key) for key in sorted(keys))
    return re.compile(rf"^(?P<key>{names})[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE)


def peek(front: str, keys: frozenset[str]) -> Peek:
    """The values of `keys` at the top level of `front` (the text between the `---` lines)."""
    if not all_closed(front):
        return Peek({}, False)
    values: dict[str, tuple[int, int, str]] = {}
    sure = True
    for match in _top_level(keys).finditer(front):
        key = match["key"]
        if key in values:
            sure = False  # written twice: the reader refuses it, and it says so
            continue
        value = _scalar(match["value"])
        if value is None:
            sure = False
            continue
        line = front.count("\n", 0, match.start()) + 1
        values[key] = (line, match.start("value") - match.start() + 1, value)
    return Peek(values, sure)


def _scalar(written: str) -> str | None:
    """A one-line value as YAML reads it (quotes removed, comment dropped), or None if unsure."""
    if not written or written[0] in _NOT_SCALAR:
        return None  # on the lines below, empty, or not a plain scalar: the reader decides
    if written[0] == "'":
        end = re.match(r"'((?:[^']|'')*)'", written)
        text = end[1].replace("''", "'") if end else None
    elif written[0] == '"':
        end = re.match(r'"([^"\\]*)"', written)  # escapes: the reader decides
        text = end[1] if end else None
    else:
        return re.split(r"[ \t]#", written, maxsplit=1)[0].rstrip()
    rest = written[end.end():].strip() if end else "?"
    return text if not rest or rest.startswith("#") else None
