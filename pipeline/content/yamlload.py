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


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError with marks on bad syntax."""
    return yaml.load(text, Loader=ContentLoader)


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
