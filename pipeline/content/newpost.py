"""`social new`: a correct post file from templates/new-post.md (or the packaged one)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from anyascii import anyascii

from pipeline.content.model import PostStatus
from pipeline.content.posts import POST_ID, PostReader
from pipeline.content.workspace import Clock, Workspace
from pipeline.errors import PipelineError, UsageError
from pipeline.times import TimeError, format_local, parse_publish_at, utc_now

TEMPLATE = "templates/new-post.md"
RenderFile = Callable[[Path, Path, dict], str]
PACKAGED_TEMPLATE = Path(__file__).with_name("new-post.md")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .,'!?()&/+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


#: German spelling without umlauts, as a German reader expects it (a transliteration table would
#: drop the dots: Grüße -> grusse); ß is ss either way
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
                         "ẞ": "SS"})


def slugify(title: str) -> str:
    """A file-name and id friendly form of a title, in ASCII: `Winter cake launch!` ->
    `winter-cake-launch`, `Grüße aus Zürich` -> `gruesse-aus-zuerich`, `Привет` -> `privet`,
    `🎄` -> `christmas-tree`; empty when the title spells nothing (only punctuation)."""
    text = unicodedata.normalize("NFC", title).translate(_GERMAN)
    # Every other script through anyascii; each Han character is a word of its own (pinyin).
    ascii_text = "".join(f" {anyascii(char)} " if _is_han(char) else anyascii(char) for char in text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-")


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def yaml_scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (plain when safe, else double-quoted)."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS and not value.endswith(" "):
        return value
    return json.dumps(value, ensure_ascii=False)


def _as_written(text: str | None, when, zone) -> str | None:
    """Keep the user's local time short; keep an explicit offset (it may settle a DST overlap)."""
    if when is None:
        return None
    if re.search(r"(Z|[+-]\d{2}:?\d{2})\s*$", text.strip()):
        return format_local(when, zone)
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def create_post(root: Path, *, title: str, publish_at: str | None, queue: bool,
                channels: list[str], post_id: str | None, tags: list[str], draft: bool,
                render: RenderFile, now_text: str | None = None, clock: Clock = utc_now) -> Path:
    """Write the post file and return its path relative to `root`; refuse anything invalid,
    and a time that has passed (`now_text`, like --now, stands in for the clock).

    `render(root, template_path, context)` fills the template; the caller passes the budgeted one
    (pipeline.render.templates.render_file): the template is the repository's, so it may be hostile.
    """
    workspace = Workspace(root, now_text=now_text, clock=clock)
    config = workspace.require_config()
    content = workspace.content
    unknown = [c for c in channels if c not in config.channels]
    if unknown:
        raise UsageError(f"unknown channel(s) {', '.join(unknown)}; channels: "
                         f"{', '.join(config.channels)}")
    if not channels:
        raise UsageError("name at least one channel with --channels")
    if publish_at and queue:
        raise UsageError("use --at or --queue, not both")
    if not (publish_at or queue or draft):
        raise UsageError("say when: --at 'YYYY-MM-DD HH:MM', --queue, or --draft")
    when = None
    if publish_at:
        try:
            when = parse_publish_at(publish_at, config.zone)
        except TimeError as exc:
            raise UsageError(f"--at: {exc.message}") from None
        if when < workspace.now:
            raise UsageError(f"--at: {format_local(when, config.zone)} has passed (it is "
                             f"{format_local(workspace.now, config.zone)}): a post with a time in the past is "
                             "never sent, only recorded as missed; give a time to come, or --queue")
    post_id = post_id or slugify(title) or (f"post-{when.astimezone(config.zone):%Y-%m-%d}" if when else "post")
    if not POST_ID.match(post_id):
        raise UsageError(f"id {post_id!r} may only hold lowercase letters, digits, '-' and '_'")
    if content.post(post_id):
        raise UsageError(f"id {post_id!r} is taken by {content.post(post_id).file}; choose "
                         "another with --id")
    month = when.astimezone(config.zone).strftime("%Y/%m") if when else "unscheduled"
    path = root / "content" / "posts" / month / f"{post_id}.md"
    if path.exists():
        raise UsageError(f"{path.relative_to(root).as_posix()} already exists")

    template_path = root / TEMPLATE
    if not template_path.is_file():  # the repository keeps no template of its own: the packaged one
        template_path = PACKAGED_TEMPLATE
    text = render(root, template_path, {
        "id": post_id,
        "title": yaml_scalar(title),
        "publish_at": _as_written(publish_at, when, config.zone),
        "queue": queue,
        "channels": "[" + ", ".join(channels) + "]",
        "tags": "[" + ", ".join(yaml_scalar(t) for t in tags) + "]",
        "status": PostStatus.DRAFT if draft else PostStatus.READY,
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _, findings = PostReader(root, config).read(path)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        path.unlink()
        raise PipelineError(f"the new post would not be valid: {errors[0].message} "
                            f"(check {TEMPLATE})", file=TEMPLATE, code=errors[0].code)
    return path.relative_to(root)
