"""Validation against the ledger: a published post whose id changed would be published again."""

from __future__ import annotations

from pipeline.content.model import Content
from pipeline.errors import ERROR, Finding
from pipeline.state.ledger import PUBLISHED, Ledger


def identity_findings(content: Content, ledger: Ledger) -> list[Finding]:
    """An error for each post file that the ledger knows under another id that no post has now."""
    if not ledger.entries:
        return []
    ids = {post.id for post in content.posts}
    published_as: dict[str, str] = {}
    for entry in ledger.latest():
        if entry.state == PUBLISHED and entry.file:
            published_as.setdefault(entry.file, entry.post)
    findings = []
    for post in content.posts:
        old = published_as.get(post.file)
        if old and old != post.id and old not in ids:
            line = post.line_of("id") if post.lines else 1
            findings.append(Finding(post.file, line, 1, ERROR, "id-changed",
                                    f"this post was published as {old!r} (state/ledger.jsonl); its id is now "
                                    f"{post.id!r}, so it would be published again: set id: {old}"))
    return findings
