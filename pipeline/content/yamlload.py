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


_IMPLICIT = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"
        r"|^[-+]?[0-9]+[eE][-+]?[0-9]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL)$", "~nN"),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
)
#: first character -> [(tag, pattern)]; a plain scalar starting otherwise is a string
_BY_FIRST: dict[str, list[tuple[str, re.Pattern]]] = {}
for _tag, _pattern, _firsts in _IMPLICIT:
    for _first in _firsts:
        _BY_FIRST.setdefault(_first, []).append((_tag, re.compile(_pattern)))


def _resolve(self, kind, value, implicit):
    """PyYAML's resolve, without path resolvers: libyaml calls it for every node."""
    if kind is yaml.ScalarNode:
        if implicit[0]:
            if value == "":
                return "tag:yaml.org,2002:null"
            for tag, pattern in _BY_FIRST.get(value[0], ()):
                if pattern.match(value):
                    return tag
        return "tag:yaml.org,2002:str"
    if kind is yaml.SequenceNode:
        return "tag:yaml.org,2002:seq"
    return "tag:yaml.org,2002:map"


ContentLoader.resolve = _resolve  # type: ignore[method-assign]


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice; YAML 1.2 forbids it and PyYAML keeps the last silently."""

    def __init__(self, key: str, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__("while constructing a mapping", first, f"found duplicate key {key!r}", second)
        self.key = key


class AliasBomb(yaml.constructor.ConstructorError):
    """Aliases that would expand a small document into a huge one ("billion laughs")."""

    def __init__(self, problem: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, problem, mark)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
#: values a document may expand to, counting each alias as a full copy: aliases
#: nested a few levels deep ("billion laughs") would otherwise explode downstream
MAX_EXPANDED_VALUES = 100_000
#: characters a document may expand to, counting each alias as a full copy: a few
#: aliases of one long string would otherwise make a small file huge downstream
#: (the site would write every copy); the same as the largest post file
MAX_EXPANDED_CHARS = 1_000_000


class _Builder:
    """Turns libyaml's node tree into Python values.

    PyYAML's generic constructor (generators, per-tag dispatch tables) costs more
    than libyaml's parsing; front matter needs only the core schema, so this does
    just that, and also refuses duplicate keys, unknown tags and alias bombs.
    """

    __slots__ = ("building", "built", "depth", "duplicates", "expanded", "expanded_chars", "top")

    def __init__(self, duplicates: list[tuple[DuplicateKeyError, Any]] | None = None) -> None:
        self.built: dict[int, tuple[Any, int, int]] = {}
        self.building: set[int] = set()
        self.expanded = 0
        self.expanded_chars = 0
        #: with a list, each duplicate key goes into it (with the top-level key it is under) and the first is kept
        self.duplicates = duplicates
        self.depth = 0
        self.top: Any = None

    def value(self, node: yaml.Node) -> Any:
        key = id(node)
        done = self.built.get(key)
        if done is not None:  # an alias: counts again, as a consumer would see it
            self._grow(done[1], node, done[2])
            return done[0]
        if key in self.building:
            raise yaml.constructor.ConstructorError(None, None, "an alias refers to itself", node.start_mark)
        before, before_chars = self.expanded, self.expanded_chars
        self.building.add(key)
        cls = node.__class__
        if cls is yaml.ScalarNode:
            result = self._scalar(node)
            self._grow(1, node, len(node.value))
        elif cls is yaml.MappingNode:
            result = self._mapping(node)
        else:
            result = [self.value(item) for item in node.value]
            self._grow(1, node)
        self.building.discard(key)
        self.built[key] = (result, self.expanded - before, self.expanded_chars - before_chars)
        return result

    def _grow(self, amount: int, node: yaml.Node, chars: int = 0) -> None:
        self.expanded += amount
        self.expanded_chars += chars
        if self.expanded > MAX_EXPANDED_VALUES:
            raise AliasBomb(f"the aliases here expand to too many values (more than "
                            f"{MAX_EXPANDED_VALUES:,})", node.start_mark)
        if self.expanded_chars > MAX_EXPANDED_CHARS:
            raise AliasBomb(f"the aliases here expand to more than {MAX_EXPANDED_CHARS:,} characters",
                            node.start_mark)

    def _mapping(self, node: yaml.MappingNode) -> dict:
        result: dict = {}
        seen: dict[Any, yaml.Mark] = {}
        merged: dict = {}
        self.depth += 1
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.update(self._merge(value_node))
                continue
            key = self.value(key_node)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a single value, not a list or mapping", key_node.start_mark)
            if key in seen:
                duplicate = DuplicateKeyError(str(key), seen[key], key_node.start_mark)
                if self.duplicates is None:
                    raise duplicate
                self.duplicates.append((duplicate, key if self.depth == 1 else self.top))
                continue
            seen[key] = key_node.start_mark
            if self.depth == 1:
                self.top = key
            result[key] = self.value(value_node)
        self.depth -= 1
        self._grow(1, node)
        if merged:
            return {**merged, **result}
        return result

    def _merge(self, node: yaml.Node) -> dict:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict = {}
        for source in reversed(sources):
            value = self.value(source)
            if not isinstance(value, dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "<< merges mappings only", source.start_mark)
            merged.update(value)
        return merged

    @staticmethod
    def _scalar(node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        try:
            if tag == _STR:
                return text
            if tag == _INT:
                return int(text.replace("_", ""), 0) if text[1:2] in ("x", "o", "b") else int(text)
            if tag == _FLOAT:
                lowered = text.lower()
                if lowered.lstrip("+-") in (".inf", ".nan"):
                    return float(lowered.replace(".", ""))
                return float(text)
            if tag == _BOOL and text in ("true", "True", "TRUE", "false", "False", "FALSE"):
                return text[0] in "tT"
            if tag == _NULL:
                return None
        except ValueError:
            pass
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read {text!r} as {tag.rsplit(':', 1)[-1]}"
            if tag in (_INT, _FLOAT, _BOOL) else f"unsupported tag {tag}", node.start_mark)


def load_yaml(text: str, duplicates: list[tuple[DuplicateKeyError, Any]] | None = None) -> Any:
    """Parse one YAML document; raises yaml.YAMLError with marks on bad syntax.

    A key written twice raises DuplicateKeyError, unless `duplicates` is a list: then
    each one goes into it as (the error, the top-level key it is under), the first
    value is kept, and the rest of the document is read.
    """
    loader = ContentLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None
    if "&" not in text and duplicates is None:  # no anchors, so no aliases: the plain builder suffices
        return _plain(node)
    return _Builder(duplicates).value(node)


def _plain(node: yaml.Node) -> Any:
    """Values of a tree without aliases (each node is used once)."""
    cls = node.__class__
    if cls is yaml.ScalarNode:
        return node.value if node.tag == _STR else _Builder._scalar(node)
    if cls is yaml.SequenceNode:
        return [_plain(item) for item in node.value]
    pairs = node.value
    result = {}
    for key_node, value_node in pairs:
        if key_node.tag == _MERGE or key_node.__class__ is not yaml.ScalarNode:
            return _Builder().value(node)  # merges and complex keys: the careful builder
        key = _plain(key_node)
        if key in result:
            raise DuplicateKeyError(str(key), _first_mark(pairs, key), key_node.start_mark)
        result[key] = _plain(value_node)
    return result


def _first_mark(pairs, key) -> yaml.Mark:
    return next(k.start_mark for k, _ in pairs if k.value == key)


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
    if isinstance(exc, AliasBomb):
        return at(problem_mark, "yaml-aliases", f"{problem}; write the values out instead of "
                  "repeating them through & and * aliases")
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
