"""`social preview --changed BASE..HEAD`: every added or changed post as each channel will get it.

Both commits are read from git into temporary folders and go through the same
loading, validation, rendering and cadence rules as `social validate`, so the
preview shows exactly what the pipeline will send. The CLI and the pull-request
workflow only format what `build_preview` returns (see `pipeline.review.formatting`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.content.identity import History, post_history
from pipeline.content.load import load_content
from pipeline.content.model import POSTS_DIR, Content, Post, PostStatus
from pipeline.errors import ERROR, NOTICE, WARNING, Finding
from pipeline.planning.against import Comparison, compare
from pipeline.planning.evaluation import evaluate, events_from_content
from pipeline.render.render import Renderer, Rendering
from pipeline.review.gitrange import REMOVED, FileChange, changed_files, extract_tree, resolve_range
from pipeline.state.ledger import Ledger
from pipeline.times import parse_now
from pipeline.validation import validate

#: the checks a preview runs (the ledger's: when the check job has the state branch checked out)
CHECKS = ("content", "render", "cadence", "ledger")


@dataclass
class PostPreview:
    """One added, changed or renamed post file at HEAD, and what it was at BASE."""

    change: FileChange
    post: Post | None  # None when the file cannot be read
    before: Post | None
    renderings: list[Rendering] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f.level == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.level == WARNING for f in self.findings)

    @property
    def notices(self) -> int:
        return sum(f.level == NOTICE for f in self.findings)


@dataclass
class Removed:
    change: FileChange
    post: Post | None  # the post as it was at BASE


@dataclass
class Preview:
    """What a range of commits does to the posts, their texts and the cadence."""

    changed: str
    base: str
    head: str
    now: datetime
    zone: ZoneInfo | None
    posts: list[PostPreview] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    other_files: list[FileChange] = field(default_factory=list)
    comparison: Comparison | None = None
    config_findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.posts) + sum(f.level == ERROR for f in self.config_findings)

    @property
    def warnings(self) -> int:
        return sum(p.warnings for p in self.posts) + sum(f.level == WARNING for f in self.config_findings)

    @property
    def notices(self) -> int:
        return sum(p.notices for p in self.posts) + sum(f.level == NOTICE for f in self.config_findings)


def is_post_file(path: str) -> bool:
    return path.startswith(POSTS_DIR + "/") and path.endswith(".md")


def build_preview(root: Path, changed: str, *, now_text: str | None = None) -> Preview:
    """The preview of `changed` (BASE..HEAD) for the content root `root` (inside a git repository)."""
    root = Path(root)
    span = resolve_range(root, changed)
    changes = changed_files(span)
    with tempfile.TemporaryDirectory(prefix="social-preview-") as folder:
        base_root, head_root = Path(folder) / "base", Path(folder) / "head"
        for commit, target in ((span.base, base_root), (span.head, head_root)):
            target.mkdir()
            extract_tree(span, commit, target)
        ledger = Ledger(root)  # the state branch, when state/ is checked out
        base = load_content(base_root, History(ledger.entries, lambda: post_history(root, span.base)))
        head = load_content(head_root, History(ledger.entries, lambda: post_history(root, span.head)))
        config = head.config or base.config
        now = parse_now(now_text, config.zone if config else ZoneInfo("UTC"))
        preview = Preview(changed, span.base, span.head, now, config.zone if config else None)
        preview.config_findings = [f for f in head.findings if not is_post_file(f.file)]
        if head.config is not None:
            published = ledger.published_times()
            before = evaluate(base.config, events_from_content(base, published), now) if base.config else {}
            after = evaluate(head.config, events_from_content(head, published), now)
            preview.comparison = compare(changed, before, after, now.astimezone(head.config.zone).date(),
                                         base_broken=base.config is None)
        _fill(preview, changes, base, head, now, ledger)
    return preview


def _fill(preview: Preview, changes: list[FileChange], base: Content, head: Content, now: datetime,
          ledger: Ledger) -> None:
    base_posts = {p.file: p for p in base.posts}
    head_posts = {p.file: p for p in head.posts}
    shown = [c for c in changes if c.status != REMOVED and is_post_file(c.path)]
    findings: dict[str, list[Finding]] = {c.path: [] for c in shown}
    if any(c.status != REMOVED for c in changes):
        known = set(preview.config_findings)
        for finding in validate(head, now=now, ledger=ledger, checks=CHECKS).findings:
            if finding.file in findings:
                findings[finding.file].append(finding)
            elif not is_post_file(finding.file) and finding not in known:
                # a template's problem (a link, a syntax error): shown once, not per post
                known.add(finding)
                preview.config_findings.append(finding)
    renderer = Renderer(head.root, head.config) if head.config else None
    for change in changes:
        if change.status == REMOVED:
            if is_post_file(change.path):
                preview.removed.append(Removed(change, base_posts.get(change.path)))
            else:
                preview.other_files.append(change)
            continue
        if not is_post_file(change.path):
            preview.other_files.append(change)
            continue
        post = head_posts.get(change.path)
        item = PostPreview(change, post, base_posts.get(change.old_path or change.path),
                           findings=findings[change.path])
        usable = post is not None and post.file not in head.broken_files and post.status != PostStatus.RETRACTED
        if usable and renderer is not None:
            item.renderings = [renderer.render(post, head.config.channels[c])
                               for c in post.channels if c in head.config.channels]
        preview.posts.append(item)
