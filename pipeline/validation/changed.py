"""`social validate` that redoes only what changed, and spreads a cold run over every core.

Each post file is read, and rendered and counted for its channels, once; the results
are kept in the cache (cache.py says what each depends on) and used again while none
of that changes. What is left to do (every post on a cold run, the changed ones after)
goes to worker processes when there is enough of it (fanout.py). The checks across
posts (ids against each other and the ledger, cadence, the same text nearby, posts
whose time has passed) run over the whole calendar every time, on the same Posts and
findings a plain reading gives: tests/test_validation_cache.py holds every result to
the plain `validate(load_content(...))`.
"""

from __future__ import annotations

import gc
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.content.load import assemble, post_file_names
from pipeline.content.model import Config, Post
from pipeline.content.posts import MAX_POST_BYTES, PostReader
from pipeline.content.stored import StoredError, findings_from_record, findings_record, post_record
from pipeline.content.workspace import Workspace
from pipeline.errors import Finding
from pipeline.files import UnsafeFile
from pipeline.validation import CHECKS, Report, validate
from pipeline.validation.cache import ValidationCache, config_digest, file_digest, tree_digest
from pipeline.validation.coverage import RENDER, needs
from pipeline.validation.fanout import THRESHOLD, run_each, workers_for

#: how long before a record was made an image's file must have last changed for its signature to
#: be trusted: file times advance in steps (milliseconds on some file systems), so a file changed
#: twice within one step keeps its time
SETTLED_NS = 2_000_000_000
#: what a cached record cannot be read as, whoever wrote it (see content/stored.py)
_UNTRUSTED = (StoredError, LookupError, TypeError, ValueError, AttributeError)


@dataclass
class _File:
    """One post file on its way through a run."""

    path: str
    file: str
    raw: bytes | None  # None: it cannot be read safely (the reading says why): never cached
    digest: str = ""
    record: dict | None = None  # what this run will keep for it
    reading: tuple[Post | None, list[Finding]] | None = None
    #: the kept render findings, when they were made for the post as it is read
    rendered: tuple[str, str, list[Finding]] | None = None
    changed: bool = False


@dataclass
class _Run:
    """What every file's work shares (and what forked workers inherit)."""

    root: Path
    config: Config | None
    reader: PostReader
    reading_key: str
    render_key: str | None
    files: list[_File] = field(default_factory=list)
    _renderer: object = None

    @property
    def renderer(self):
        if self._renderer is None:
            from pipeline.validation.rendering import validation_renderer  # templates: only when rendering

            self._renderer = validation_renderer(self.root, self.config)
        return self._renderer

    def render(self, post: Post) -> list[Finding]:
        from pipeline.validation.rendering import post_render_findings

        return post_render_findings(post, self.config, self.renderer)


def validate_changed(workspace: Workspace, checks: tuple[str, ...] = CHECKS, unused: bool = False, *,
                     cache: bool = True, jobs: int | None = None, threshold: int = THRESHOLD) -> Report:
    """`validate()` of the workspace, reading and rendering only the posts whose results are not
    kept (none with `cache=False`), over `jobs` processes (default: every core) when worth it."""
    # Validation builds objects by the hundred thousand and frees few: the collector's passes over
    # them cost a fifth of a run and find nothing (measured: docs/benchmarks.md).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _validate_changed(workspace, checks, unused, cache, jobs, threshold)
    finally:
        if collecting:
            gc.enable()


def _validate_changed(workspace: Workspace, checks: tuple[str, ...], unused: bool, cache: bool,
                      jobs: int | None, threshold: int) -> Report:
    root, config = workspace.root, workspace.config
    store = ValidationCache(root, enabled=cache)
    reading_key = config_digest(root, config.zone.key if config else None)
    render_key = None
    if "render" in checks and config is not None:
        render_key = hashlib.blake2b("\0".join([reading_key, tree_digest(root, "templates"),
                                                tree_digest(root, "content/profiles")]).encode(),
                                     digest_size=16).hexdigest()
    run = _Run(root, config, PostReader(root, config), reading_key, render_key)
    others: list[str] = []
    for path in post_file_names(root, others):
        run.files.append(_prepare(run, store, path))
    _read_the_rest(run, jobs, threshold)
    content = assemble(root, config, list(workspace.config_findings), (item.reading for item in run.files),
                       workspace.history)
    content.other_files = others
    by_file = {item.file: item for item in run.files}
    report = validate(content, now=workspace.now, ledger=workspace.ledger, checks=checks, unused=unused,
                      render=lambda posts: _render_findings(run, by_file, posts))
    for item in run.files:
        if item.changed and item.record is not None:
            store.put(item.file, item.record)
    store.save({item.file for item in run.files if item.record is not None})
    return report


def _prepare(run: _Run, store: ValidationCache, path: str) -> _File:
    """The file's bytes and, when its kept record still holds, its reading and render findings."""
    item = _File(path, run.reader.file_of(path), None)
    try:
        item.raw = run.reader.files.read(path, MAX_POST_BYTES, "post")
    except UnsafeFile:
        item.reading = run.reader.read(path)  # which says why it cannot be read; nothing to keep
        return item
    item.digest = file_digest(item.raw)
    kept = store.get(item.file)
    if not (isinstance(kept, dict) and kept.get("digest") == item.digest and kept.get("config") == run.reading_key):
        return item
    try:
        if not all(_same_image(run, kept, *image) for image in kept["media"]):
            return item
        post = run.reader.rebuild(path, item.raw, kept["post"], kept["at"]) if kept["post"] is not None else None
        findings = findings_from_record(kept["findings"])
        rendered = kept.get("render")
        if rendered is not None and run.render_key is not None:
            key, post_id, render_found = rendered
            item.rendered = (key, post_id, findings_from_record(render_found))
    except _UNTRUSTED:
        return item
    item.record, item.reading = kept, (post, findings)
    return item


def _same_image(run: _Run, kept: dict, path: str, outcome: list, signature: list | None) -> bool:
    """Whether the image is as it was when the record was made: its file's signature unchanged and
    older than the record by more than the file system's clock steps (else it could have changed
    within one), or, failing that, what inspecting it anew finds."""
    if signature is not None and signature == run.reader.media.signature(path) and \
            signature[2] < kept["made"] - SETTLED_NS:
        return True
    return outcome == run.reader.media.outcome(path)


def _read_the_rest(run: _Run, jobs: int | None, threshold: int) -> None:
    """Read the files without a kept reading; on a cold run, render them too (in the workers, with
    the id they are read with: it is checked against the resolved id before the findings are used)."""
    to_do = [index for index, item in enumerate(run.files) if item.raw is not None and (
        item.reading is None or (run.render_key is not None and not _rendered_for(run, item, None)))]
    workers = workers_for(len(to_do), jobs, threshold)
    if workers == 0:
        for index in to_do:
            item = run.files[index]
            if item.reading is None:
                post, findings = run.reader.read(item.path, item.raw)
                item.reading = post, findings
                item.record, item.changed = _record(run, item, post, findings), True
        return
    if run.render_key is not None:
        run.renderer.load()
    for index, record in zip(to_do, run_each(lambda index: _examine(run, index), to_do, workers), strict=True):
        item = run.files[index]
        if item.reading is None:
            post = (run.reader.rebuild(item.path, item.raw, record["post"], record["at"])
                    if record["post"] is not None else None)
            item.reading = post, findings_from_record(record["findings"])
        if record["render"] is not None:
            key, post_id, render_found = record["render"]
            item.rendered = (key, post_id, findings_from_record(render_found))
        item.record, item.changed = record, True


def _examine(run: _Run, index: int) -> dict:
    """In a worker: the file's record, read (unless kept) and rendered for the id it is read with."""
    item = run.files[index]
    if item.reading is None:
        post, findings = run.reader.read(item.path, item.raw)
        record = _record(run, item, post, findings)
    else:
        record, (post, _findings) = dict(item.record), item.reading
    record["render"] = None
    if run.render_key is not None and post is not None and not post.unread & needs(RENDER, post):
        record["render"] = _render_record(run, post)
    return record


def _record(run: _Run, item: _File, post: Post | None, findings: list[Finding]) -> dict:
    return {"digest": item.digest, "config": run.reading_key, "made": time.time_ns(),
            "media": run.reader.media_outcomes(post),
            "post": post_record(post) if post is not None else None,
            "at": run.reader.places(item.raw) if post is not None else None,
            "findings": findings_record(findings), "render": None}


def _render_record(run: _Run, post: Post, found: list[Finding] | None = None) -> list | None:
    from pipeline.render.budget import TOO_SLOW

    found = run.render(post) if found is None else found
    if any(finding.code == TOO_SLOW for finding in found):
        return None  # a verdict of the clock: it may differ next time
    return [run.render_key, post.id, findings_record(found)]


def _rendered_for(run: _Run, item: _File, post: Post | None) -> bool:
    """Whether the kept render findings were made with this run's templates and channels (and, given
    `post`, for its id as resolved)."""
    if item.rendered is None or item.rendered[0] != run.render_key:
        return False
    return post is None or item.rendered[1] == post.id


def _render_findings(run: _Run, by_file: dict[str, _File], posts: list[Post]) -> list[Finding]:
    """The render findings of `posts` (those the render check looks at): kept ones where they hold."""
    findings: set[Finding] = set()
    for post in posts:
        item = by_file.get(post.file)
        if item is not None and _rendered_for(run, item, post):
            findings.update(item.rendered[2])
            continue
        found = run.render(post)
        findings.update(found)
        if item is not None and item.record is not None:
            record = dict(item.record)
            record["render"] = _render_record(run, post, found)
            item.record, item.changed = record, True
    return list(findings)

