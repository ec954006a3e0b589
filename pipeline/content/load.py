"""Loading the whole content repository and checking what spans several posts."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.content.channels import load_config
from pipeline.content.model import Content, Post
from pipeline.content.posts import PostReader
from pipeline.errors import ERROR, Finding

POSTS_DIR = "content/posts"


def post_files(root: Path) -> list[Path]:
    """Every post file, in a stable order."""
    return [Path(name) for name in post_file_names(root)]


def post_file_names(root: Path) -> list[str]:
    """Every post file as a path string, sorted (os.walk: pathlib's rglob costs more than the parse)."""
    found = [
        os.path.join(folder, name)
        for folder, _, names in os.walk(root / POSTS_DIR)
        for name in names
        if name.endswith(".md")
    ]
    found.sort()
    return found


def load_content(root: Path) -> Content:
    """Read channels.yml and every post; a problem in one file never hides another's."""
    root = Path(root).resolve()
    config, findings = load_config(root)
    return read_posts(root, config, findings, post_file_names(root))


def read_posts(root: Path, config, findings: list[Finding], files: list[Path] | list[str]) -> Content:
    """Content from the given post files (paths under the resolved `root`)."""
    reader = PostReader(root, config)
    posts: list[Post] = []
    for path in files:
        post, post_findings = reader.read(path)
        findings.extend(post_findings)
        if post is not None:
            posts.append(post)
    findings.extend(duplicate_ids(posts))
    return Content(root=root, config=config, posts=posts, findings=findings)


def duplicate_ids(posts: list[Post]) -> list[Finding]:
    first: dict[str, Post] = {}
    findings = []
    for post in posts:
        if post.id in first:
            other = first[post.id]
            findings.append(Finding(post.file, post.line_of("id") if post.lines else 1, 1, ERROR,
                                    "id-duplicate", f"id {post.id!r} is also used by {other.file}; "
                                    "every post needs its own id (set id: or rename the file)"))
        else:
            first[post.id] = post
    return findings
