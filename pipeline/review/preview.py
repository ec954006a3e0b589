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
from pipeline.content.profiles import PROFILES_DIR, load_profiles
from pipeline.errors import ERROR, NOTICE, WARNING, Finding
from pipeline.networks import network_class
from pipeline.networks.cost import CostEstimate
from pipeline.planning.against import Comparison, compare
from pipeline.planning.evaluation import evaluate, events_from_content
from pipeline.render.render import Renderer, Rendering
from pipeline.review.gitrange import REMOVED, FileChange, changed_files, extract_tree, resolve_range
from pipeline.state.ledger import PUBLISHED, Ledger
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
class ProfileChange:
    """A changed profile file: each field as it was at BASE and as it will be."""

    change: FileChange
    #: (field, before, after) for the fields that differ; images by their path
    fields: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Removed:
    change: FileChange
    post: Post | None  # the post as it was at BASE


@dataclass(frozen=True)
class ChannelCost:
    """What the posts a change adds or changes will cost on one channel, where its network charges."""

    channel: str
    network: str  # its title, as people know it ("X")
    estimate: CostEstimate

    def summary(self) -> str:
        """`x (X): 3 posts, 1 with a link: about $0.23`."""
        return f"{self.channel} ({self.network}): {self.estimate.summary()}"


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
    profiles: list[ProfileChange] = field(default_factory=list)
    comparison: Comparison | None = None
    config_findings: list[Finding] = field(default_factory=list)
    #: per channel that charges for posts: the ready parts of the change not yet published
    costs: list[ChannelCost] = field(default_factory=list)

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
        preview.profiles = _profile_changes(changes, base_root, head_root)
    return preview


def _profile_changes(changes: list[FileChange], base_root: Path, head_root: Path) -> list[ProfileChange]:
    """What each changed profile file will show, field by field, beside what it showed."""
    touched = [c for c in changes if c.path.startswith(PROFILES_DIR + "/")]
    if not touched:
        return []
    before = {p.file: p for p in load_profiles(base_root)[0]}
    after = {p.file: p for p in load_profiles(head_root)[0]}
    found = []
    for change in touched:
        old, new = before.get(change.old_path or change.path), after.get(change.path)
        item = ProfileChange(change)
        for key in ("display_name", "bio", "avatar", "header", "fields"):
            was, will = _profile_value(old, key), _profile_value(new, key)
            if was != will:
                item.fields.append((key, was, will))
        found.append(item)
    return found


def _profile_value(profile, key: str) -> str:
    value = getattr(profile, key, None) if profile is not None else None
    if key in ("avatar", "header"):
        return value.path if value is not None else ""
    if key == "fields":
        return "; ".join(f"{n}: {v}" for n, v in value or ())
    return value or ""


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
    preview.costs = change_costs(preview.posts, ledger)


def change_costs(posts: list[PostPreview], ledger: Ledger) -> list[ChannelCost]:
    """What the change's ready posts will cost per channel: parts already published are not sent again."""
    found: dict[str, list[CostEstimate]] = {}
    for item in posts:
        if item.post is None or item.post.status != PostStatus.READY:
            continue
        for rendering in item.renderings:
            cost = rendering.cost
            if cost is None:
                continue
            channel = rendering.channel.id
            unsent = tuple(price for part, price in zip(rendering.parts, cost.posts, strict=True)
                           if not _published(ledger, item.post.id, channel, part.number))
            found.setdefault(channel, []).append(CostEstimate(unsent, cost.source))
    costs = []
    for channel, estimates in found.items():
        combined = CostEstimate.combine(estimates)
        if combined is not None and combined.posts:
            network = next(r.channel.network for item in posts for r in item.renderings if r.channel.id == channel)
            costs.append(ChannelCost(channel, network_class(network).title or network, combined))
    return sorted(costs, key=lambda cost: cost.channel)


def _published(ledger: Ledger, post_id: str, channel: str, number: int) -> bool:
    entry = ledger.current(post_id, channel, number)
    return entry is not None and entry.state == PUBLISHED
