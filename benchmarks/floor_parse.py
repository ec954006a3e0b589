"""The floor for `social validate`: read every post and parse its front matter, nothing else.

    python benchmarks/floor_parse.py benchmarks/.data/posts-10000
"""

from __future__ import annotations

import sys
from pathlib import Path

import frontmatter
import yaml
from frontmatter.default_handlers import SafeLoader

# python-frontmatter parses with libyaml's C loader when PyYAML has it: the floor must too.
assert yaml.__with_libyaml__ and SafeLoader is yaml.CSafeLoader


def parse_all(root: Path) -> int:
    count = 0
    for path in sorted((root / "content" / "posts").rglob("*.md")):
        frontmatter.loads(path.read_text(encoding="utf-8"))
        count += 1
    return count


if __name__ == "__main__":
    print(parse_all(Path(sys.argv[1])))
