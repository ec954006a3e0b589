"""YAML loading on libyaml's C parser with YAML 1.2 scalars, and line lookup for errors.

YAML 1.1 (PyYAML's default) turns `12:30` into 750, `no` into False and
`2026-12-01` into a date. A schedule must never be guessed that way, so the
loader here only knows YAML 1.2's core scalars: true/false, null, decimal
numbers. Dates and times stay strings and are parsed by `times.py` with rules
that report what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2 core-schema implicit types."""


ContentLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"
        r"|^[-+]?[0-9]+[eE][-+]?[0-9]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    ContentLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice; YAML 1.2 forbids it and PyYAML keeps the last silently."""

    def __init__(self, key: str, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__("while constructing a mapping", first, f"found duplicate key {key!r}", second)
        self.key = key


def _construct_mapping(loader: yaml.constructor.SafeConstructor, node: yaml.MappingNode,
                       deep: bool = False) -> dict:
    seen: dict[str, yaml.Mark] = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
            if key_node.value in seen:
                raise DuplicateKeyError(key_node.value, seen[key_node.value], key_node.start_mark)
            seen[key_node.value] = key_node.start_mark
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep)


ContentLoader.construct_mapping = _construct_mapping  # type: ignore[method-assign]


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError with marks on bad syntax."""
    return yaml.load(text, Loader=ContentLoader)


def describe_yaml_error(exc: yaml.YAMLError, text: str, first_line: int = 1
                        ) -> tuple[int, int, str, str]:
    """(file line, column, code, message saying what to do) for a YAML error in `text`.

    `first_line` is the file line on which `text` starts. libyaml's own wording
    ("did not find expected key") names the parser's trouble, not the writer's,
    so the common mistakes are translated.
    """
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or "the text cannot be read as YAML"
    context = getattr(exc, "context", None) or ""
    mark = problem_mark or context_mark

    def at(chosen: yaml.Mark | None, code: str, message: str) -> tuple[int, int, str, str]:
        if chosen is None:
            return (first_line, 1, code, message)
        return (chosen.line + first_line, chosen.column + 1, code, message)

    if isinstance(exc, DuplicateKeyError):
        first = exc.context_mark.line + first_line if exc.context_mark else first_line
        return at(problem_mark, "duplicate-key", f"key {exc.key!r} appears twice (first on line "
                  f"{first}); keep one of them: YAML would silently use only the last")
    char = _char_at(text, mark)
    if char == "\t" or "tab" in problem:
        return at(mark, "yaml-syntax", "a tab character: YAML indents with spaces only; "
                  "replace the tab with spaces")
    if "quoted scalar" in context and "end of stream" in problem:
        return at(context_mark, "yaml-syntax", "a quote opened here is never closed; add the "
                  "closing quote at the end of the value")
    for opener, closer, kind in (("[", "]", "flow sequence"), ("{", "}", "flow mapping")):
        if kind in context and closer in problem:
            return at(context_mark, "yaml-syntax", f"the {opener!r} opened here is never closed; "
                      f"add {closer!r} at the end of the value, or separate items with ', '")
    if "mapping values are not allowed" in problem:
        return at(mark, "yaml-syntax", "unexpected ':' here; put a value that holds ': ' in "
                  'quotes (title: "Launch: winter cakes"), or indent a key like its neighbours')
    if any(words in problem for words in ("expected key", "expected <block end>",
                                          "expected <document start>")):
        return at(mark, "yaml-syntax", "this line's indentation does not match the lines "
                  "above it; indent keys of the same level by the same number of spaces")
    if "cannot start any token" in problem and char:
        return at(mark, "yaml-syntax", f"a value cannot start with {char!r}; put the value in "
                  "quotes")
    return at(mark, "yaml-syntax", f"{problem}; check the indentation, and quote values that "
              "hold ': ' or start with [ { * & ! | > ' \" % @ `")


def _char_at(text: str, mark: yaml.Mark | None) -> str:
    if mark is None:
        return ""
    lines = text.split("\n")
    if mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


Path = tuple[str | int, ...]


def key_positions(text: str) -> dict[Path, tuple[int, int]]:
    """Map each key path (and list index path) to its 1-based (line, column) in `text`.

    Composing the node tree costs about as much as loading, so this is called
    only when there is an error to place.
    """
    positions: dict[Path, tuple[int, int]] = {}
    try:
        root = yaml.compose(text, Loader=ContentLoader)
    except yaml.YAMLError:
        return positions

    def walk(node: yaml.Node, path: Path) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                positions[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                positions[(*path, key, "<value>")] = (
                    value_node.start_mark.line + 1,
                    value_node.start_mark.column + 1,
                )
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                positions[(*path, index)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return positions


def position_of(positions: dict[Path, tuple[int, int]], path: Path) -> tuple[int, int]:
    """The closest known position for `path`: the path itself, else its nearest parent."""
    probe = tuple(path)
    while probe:
        if probe in positions:
            return positions[probe]
        probe = probe[:-1]
    return (1, 1)
