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


#: a plain word as a list item or a flow list's entry: what a channel id is
_WORD = re.compile(r"[A-Za-z0-9_][\w.-]*")
_ITEM = re.compile(r"(?P<indent>[ \t]*)-[ \t]+(?P<word>\S+)[ \t]*(?:#.*)?")


def peek_words(front: str, key: str) -> list[str] | None:
    """A top-level list of plain words (`key: [a, b]`, or `- a` lines below it), or None if unsure.

    Sure only of front matter that is plainly a mapping: every line at the left edge a key (or a
    comment), the list's own lines alike. The full reader decides anything else: a quoted or
    multi-line entry, a scalar, an anchor, a value that runs on below. The values of other keys
    on the lines below them are looked at only as far as they could make YAML refuse the whole
    text (a block text's line less indented than its first, a tab as indentation, ...); where
    this look cannot vouch for them (a list of mappings, say), the full reader's YAML decides, once.
    """
    if not all_closed(front):
        return None
    lines = front.split("\n")
    words: list[str] | None = None
    below: _Below | None = None  # the value of the key above, on the indented lines below it
    doubtful = False  # whether some value below a key was beyond the look: then YAML decides
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            if line and below is not None:
                doubtful = True  # spaces that may set (or break) the indentation of the value above
            continue
        if line.startswith("#"):
            below = None  # it ends a block text; what follows it indented, the full reader decides
            continue
        if line[0] in " \t":
            if below is None:
                return None  # a value that runs on over lines, or no mapping at all
            doubtful = doubtful or not below.takes(line)
            continue  # the value of the key above, where it is not ours
        if line.startswith("-") or not re.match(r"\w[\w.-]*[ \t]*:", line):
            return None
        name, _, value = line.partition(":")
        written = re.split(r"[ \t]#", value, maxsplit=1)[0].strip()
        if written and written[0] in "|>" and any(c.isdigit() for c in written):
            doubtful = True  # an explicit indentation
        below = _Below(written[:1] in ("|", ">")) if not written or written[0] in "|>" else None
        if name.strip() != key:
            continue
        if words is not None:
            return None  # written twice
        if written.startswith("[") and written.endswith("]"):
            words = [word.strip() for word in written[1:-1].split(",")]
            words = [] if words == [""] else words
            if not all(_WORD.fullmatch(word) for word in words):
                return None
        elif written:
            return None
        else:
            words, indent = [], None
            while index < len(lines):
                item = _ITEM.fullmatch(lines[index])
                if item is None:
                    if not lines[index].strip() or lines[index].lstrip().startswith("#"):
                        index += 1
                        continue
                    if lines[index][0] in " \t-":
                        return None  # an entry that is no plain word, or something nested
                    break
                if indent not in (None, item["indent"]) or not _WORD.fullmatch(item["word"]):
                    return None
                indent = item["indent"]
                words.append(item["word"])
                index += 1
            if not words:
                return None
            below = None
    if doubtful and words is not None and not _yaml_reads(front, key, words):
        return None
    return words


def _yaml_reads(front: str, key: str, words: list[str]) -> bool:
    """Whether the full reader's YAML (libyaml's parser, the content's YAML 1.2 types) reads `front`
    as a mapping whose `key` is `words`."""
    import yaml

    from pipeline.content.yamlload import load_yaml  # only for the few files the look cannot vouch for

    try:
        data = load_yaml(front)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and data.get(key) == words


#: the kind of a line of a value below a key: a list entry, a key, or text
_ENTRY_LINE = re.compile(r"-(?:[ \t]|$)")
_KEY_LINE = re.compile(r"\w[\w.-]*[ \t]*:(?:[ \t]+(?P<value>.*)|$)")


class _Below:
    """The indented lines under a top-level key that is not the one asked for, checked only as far
    as they can break the whole mapping: sure of a block text whose lines keep its indentation, and
    of a list or mapping of one-line entries at one indentation; unsure of anything else."""

    def __init__(self, block_text: bool) -> None:
        self.block_text = block_text
        self.indent: str | None = None
        self.kind: str | None = None

    def takes(self, line: str) -> bool:
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        if body[:1] == "\t":
            return False  # a tab in the indentation: YAML refuses some, the reader decides
        if self.indent is None:
            self.indent = indent
        if self.block_text:
            return indent.startswith(self.indent)  # less indented would break the text
        if indent != self.indent or body.startswith("#"):
            return False
        key = _KEY_LINE.match(body)
        kind = "entry" if _ENTRY_LINE.match(body) else "key" if key else "text"
        if key is not None and (not key["value"] or key["value"].lstrip()[:1] in ("|", ">", "#", "")):
            return False  # a value further below: nested deeper than this check follows
        if self.kind not in (None, kind) or (kind == "entry" and _ENTRY_LINE.fullmatch(body.rstrip())):
            return False
        self.kind = kind
        return True
