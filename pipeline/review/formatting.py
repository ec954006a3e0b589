"""A preview as Markdown (job summary, pull-request comment), text or JSON, within a size budget.

A report is a list of blocks. Blocks are kept whole and in order while they fit
the budget; the ones that do not are left out and counted in a closing note, so
a pull request that adds thousands of posts still gives a summary GitHub accepts
(1 MiB for a job summary, 65,536 characters for a comment).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pipeline.cadence.localtime import format_day, local_iso
from pipeline.content.model import Post
from pipeline.errors import ERROR, NOTICE, WARNING, Finding
from pipeline.output import md_code, md_fenced, md_text, visible
from pipeline.render.render import Rendering
from pipeline.render.show import rendering_dict, rendering_text
from pipeline.review.gitrange import ADDED, CHANGED, RENAMED, FileChange
from pipeline.review.preview import ChannelCost, PostPreview, Preview, Removed
from pipeline.times import format_local

#: under GitHub's 1 MiB job-summary limit, with room for what other steps add
SUMMARY_BYTES = 1_000_000
#: under GitHub's 65,536-character limit of a comment (bytes >= characters)
COMMENT_BYTES = 60_000
#: the most items a list inside one block shows
LIST_ITEMS = 100
_NOTE_ROOM = 600

LEVEL_MARK = {ERROR: "❌", WARNING: "⚠️", NOTICE: "ℹ️"}
STATUS_WORD = {ADDED: "Added", CHANGED: "Changed", RENAMED: "Renamed"}


@dataclass
class Block:
    text: str
    kind: str = "section"  # "post" blocks are counted when left out


def fit(head: str, blocks: list[Block], budget: int, how_to_see_all: str) -> str:
    """`head` and every block that fits in `budget` UTF-8 bytes, then a note on what was left out.

    Blocks are measured as they will be printed: `visible`, control characters escaped.
    """
    parts = [visible(head)]
    used = len(parts[0].encode()) + _NOTE_ROOM
    left_out: dict[str, int] = {}
    for block in blocks:
        text = visible(block.text)
        size = len(text.encode()) + 1
        if used + size > budget:
            left_out[block.kind] = left_out.get(block.kind, 0) + 1
            continue
        parts.append(text)
        used += size
    if left_out:
        counts = ", ".join(f"{n} {kind}{'s' * (n != 1)}" for kind, n in sorted(left_out.items()))
        parts.append(f"**Truncated to stay under {budget:,} bytes: {counts} not shown.** {how_to_see_all}")
    text = "\n".join(parts)
    return text if text.endswith("\n") else text + "\n"


# -- Markdown ---------------------------------------------------------------------------


def _when(post: Post | None, zone: ZoneInfo | None) -> str:
    if post is None:
        return ""
    if post.publish_at is not None:
        return format_local(post.publish_at, zone)
    return "queued" if post.queue else "unscheduled"


def _changes(item: PostPreview, zone: ZoneInfo | None) -> list[str]:
    """What a changed post's schedule, channels, status or id were before."""
    before, post = item.before, item.post
    notes = []
    if item.change.old_path:
        notes.append(f"renamed from {md_code(item.change.old_path)}")
    if before is None or post is None:
        return notes
    if before.id != post.id:
        notes.append(f"id changes from {md_code(before.id)} to {md_code(post.id)}")
    if _when(before, zone) != _when(post, zone):
        notes.append(f"publish_at was {_when(before, zone)}")
    if before.channels != post.channels:
        notes.append(f"channels were {md_text(', '.join(before.channels) or 'none')}")
    if before.status != post.status:
        notes.append(f"status was {before.status}")
    return notes


def _finding_line(finding: Finding, with_file: bool = False) -> str:
    where = f"{md_code(finding.file)} " if with_file else ""
    return (f"- {LEVEL_MARK.get(finding.level, '')} {finding.level} {md_code(finding.code)} "
            f"{where}line {finding.line}: {md_text(finding.message)}")


def _rendering_md(rendering: Rendering) -> list[str]:
    channel = rendering.channel
    lines = [f"#### {md_text(channel.id)} ({md_text(channel.network)})"]
    if rendering.content_warning:
        lines.append(f"Content warning: {md_text(rendering.content_warning)}")
    if not rendering.parts and rendering.post.engagement:
        lines.append("No text: " + md_text(", ".join(f"{k} {v}" for k, v in rendering.post.engagement.items())))
    total = len(rendering.parts)
    cost = rendering.cost
    for index, part in enumerate(rendering.parts):
        counted = part.count
        if counted.ok:
            verdict = "✅"
        elif counted.over:
            verdict = f"❌ {counted.over} over"
        else:
            verdict = "❌ refused"
        label = f"Part {part.number} of {total}" if total > 1 else "Text"
        price = f" · {cost.posts[index].describe()}" if cost else ""
        lines += [f"{label}: **{counted.length}** of {counted.limit} {verdict}{price}", "", md_fenced(part.text), ""]
        for media in part.media:
            size = f" {media.width}×{media.height}" if media.width else ""
            alt = f"alt: {md_text(media.alt)}" if media.alt else "⚠️ no alt text"
            lines.append(f"- 🖼 {md_code(media.path)}{size}, {alt}")
        lines.extend(f"- problem: {md_text(problem)}" for problem in counted.problems)
    return lines


def _post_md(item: PostPreview, zone: ZoneInfo | None) -> str:
    post = item.post
    name = md_code(post.id) if post else md_code(item.change.path)
    title = f": {md_text(post.title)}" if post and post.title else ""
    lines = [f"### {STATUS_WORD.get(item.change.status, 'Changed')} {name}{title}"]
    if post is not None:
        facts = [md_code(item.change.path), _when(post, zone), post.status,
                 md_text(", ".join(post.channels) or "no channels")]
        lines.append(" · ".join(facts))
    else:
        reasons = [f for f in item.findings if f.level == ERROR][:1]
        lines.append(f"{md_code(item.change.path)} cannot be read"
                     + (f": {md_text(reasons[0].message)}" if reasons else "; run `social validate`."))
    changes = _changes(item, zone)
    if changes:
        lines.append("Before this change: " + "; ".join(changes) + ".")
    if item.findings:
        lines += ["", *(_finding_line(f) for f in _limited(item.findings))]
    for rendering in item.renderings:
        lines += ["", *_rendering_md(rendering)]
        while lines[-1] == "":
            lines.pop()
    return "\n".join(lines) + "\n"


def _limited(items: list, limit: int = LIST_ITEMS) -> list:
    return items[:limit]


def _more(items: list, limit: int = LIST_ITEMS) -> list[str]:
    return [f"- … and {len(items) - limit} more"] if len(items) > limit else []


def _cadence_md(preview: Preview) -> str:
    comparison = preview.comparison
    lines = ["### Cadence"]
    if comparison is None:
        return "\n".join([*lines, "Not checked: content/channels.yml cannot be used at HEAD."]) + "\n"
    year = preview.now.astimezone(preview.zone).year
    if not (comparison.days or comparison.new or comparison.changed or comparison.resolved):
        return "\n".join([*lines, "This change does not alter the cadence of any channel."]) + "\n"
    if comparison.base_broken:
        lines.append("content/channels.yml cannot be used at the base: every finding counts as new.")
    if comparison.days:
        lines += ["", "| Day | Channel | Posts before | Posts after |", "|---|---|---|---|"]
        for change in _limited(comparison.days):
            over = " ❌" if change.max_per_day is not None and change.after > change.max_per_day else ""
            lines.append(f"| {format_day(change.day, year)} | "
                         f"{md_text(change.channel)} | {change.before} | {change.after}{over} |")
        lines += _more(comparison.days)
    for title, found in (("New findings", comparison.new), ("Changed findings", comparison.changed),
                         ("Resolved findings", comparison.resolved)):
        if found:
            mark = "✔️" if title.startswith("Resolved") else None
            lines += ["", f"**{title}**"]
            lines += [f"- {mark or LEVEL_MARK.get(f.level, '')} {f.level} {md_text(channel)} {md_code(f.rule)}: "
                      f"{md_text(f.message)}" for channel, f in _limited(found)]
            lines += _more(found)
    return "\n".join(lines) + "\n"


def _costs_md(costs: list[ChannelCost]) -> str:
    lines = ["### Estimated cost", "What the ready posts of this change will cost when they go out:", ""]
    lines += [f"- {md_code(cost.channel)} ({md_text(cost.network)}): {md_text(cost.estimate.summary())}"
              for cost in costs]
    lines += ["", *(md_text(source) + "." for source in dict.fromkeys(cost.estimate.source for cost in costs))]
    return "\n".join(lines) + "\n"


def _removed_md(removed: list[Removed]) -> str:
    lines = ["### Removed"]
    for item in _limited(removed):
        post = item.post
        name = md_code(post.id) if post else md_code(item.change.path)
        title = f": {md_text(post.title)}" if post and post.title else ""
        lines.append(f"- {name}{title} ({md_code(item.change.path)})")
    lines += _more(removed)
    lines.append("")
    lines.append("A removed post that was already published stays on the networks: to take it down, "
                 "set `status: retracted` instead.")
    return "\n".join(lines) + "\n"


def _profiles_md(profiles) -> str:
    lines = []
    for item in profiles:
        channel = item.change.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        lines += [f"### Profile of {md_code(channel)} ({md_code(item.change.path)})",
                  "| | Now | After the merge |", "|---|---|---|"]
        lines += [f"| {key} | {md_code(was, in_table=True) if was else '–'} | "
                  f"{md_code(will, in_table=True) if will else '–'} |" for key, was, will in item.fields]
        if not item.fields:
            lines.append("| (no visible change) | | |")
        lines += ["", "Applied by the publish workflow after the merge (`social profiles sync`).", ""]
    return "\n".join(lines) + "\n"


def _others_md(others: list[FileChange]) -> str:
    lines = ["### Other files"]
    lines += [f"- {md_code(c.path)} {c.status}" for c in _limited(others)]
    lines += _more(others)
    if any(c.path == "content/channels.yml" or c.path.startswith("templates/") for c in others):
        lines += ["", "channels.yml or a template changed: every post may render differently; "
                  "`social validate` checks them all."]
    return "\n".join(lines) + "\n"


def headline(preview: Preview) -> str:
    """`50 added, 1 changed, 1 renamed, 1 removed`."""
    counts = {status: 0 for status in STATUS_WORD}
    for item in preview.posts:
        counts[item.change.status] += 1
    counts["removed"] = len(preview.removed)
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "no post changes"


def counts(preview: Preview) -> str:
    """`1 error, 0 warnings`, and the notices when there are some (they never fail a check)."""
    text = (f"{preview.errors} error{'s' * (preview.errors != 1)}, "
            f"{preview.warnings} warning{'s' * (preview.warnings != 1)}")
    return text + (f", {preview.notices} notice{'s' * (preview.notices != 1)}" if preview.notices else "")


def format_markdown(preview: Preview, budget: int = SUMMARY_BYTES) -> str:
    """The preview for a job summary or a pull-request comment, at most `budget` bytes."""
    zone = preview.zone
    head = [f"## Preview of the posts: {headline(preview)}",
            f"{md_code(preview.base[:12])}..{md_code(preview.head[:12])} · "
            f"{counts(preview)} in these files · "
            f"times in {zone.key if zone else 'UTC'}, checked at {format_local(preview.now, zone)}", ""]
    if preview.config_findings:
        head += ["**Problems outside the changed posts (channels.yml, templates, other files):**",
                 *(_finding_line(f, with_file=True) for f in _limited(preview.config_findings)), ""]
    blocks = [Block(_cadence_md(preview))]
    if preview.costs:
        blocks.append(Block(_costs_md(preview.costs)))
    blocks += [Block(_post_md(item, zone), "post") for item in preview.posts]
    if preview.removed:
        blocks.append(Block(_removed_md(preview.removed), "removed-posts list"))
    if preview.other_files:
        blocks.append(Block(_others_md(preview.other_files), "other-files list"))
    if preview.profiles:
        blocks.append(Block(_profiles_md(preview.profiles), "profile"))
    return fit("\n".join(head), blocks, budget,
               f"Run `social preview --changed {preview.changed}` to see everything.")


# -- text and JSON ----------------------------------------------------------------------


def format_text(preview: Preview, budget: int = SUMMARY_BYTES) -> str:
    zone = preview.zone
    head = f"Preview of {preview.changed}: {headline(preview)}; {counts(preview)}."
    blocks = []
    if preview.comparison is not None and zone is not None:
        blocks.append(Block(preview.comparison.as_text(zone, preview.now.astimezone(zone).year) + "\n"))
    blocks += [Block("\n".join(f"{f.file}:{f.line}:{f.column}: {f.level}[{f.code}]: {f.message}"
                               for f in preview.config_findings) + "\n")] if preview.config_findings else []
    if preview.costs:
        blocks.append(Block("estimated cost:\n" + "\n".join(f"  {cost.summary()}" for cost in preview.costs)
                            + "".join(f"\n  ({source})" for source in dict.fromkeys(
                                c.estimate.source for c in preview.costs)) + "\n"))
    for item in preview.posts:
        post = item.post
        lines = [f"{item.change.status}: {item.change.path}" + (f" (from {item.change.old_path})"
                                                               if item.change.old_path else "")]
        if post is not None:
            lines.append(f"  {post.id}: {_when(post, zone)}, {post.status}, {', '.join(post.channels)}")
        lines += [f"  {f.level}[{f.code}] line {f.line}: {f.message}" for f in item.findings]
        lines += [rendering_text(r) for r in item.renderings]
        blocks.append(Block("\n".join(lines) + "\n", "post"))
    if preview.removed:
        blocks.append(Block("removed:\n" + "\n".join(f"  {r.change.path}" + (f" ({r.post.id})" if r.post else "")
                                                     for r in preview.removed) + "\n", "removed-posts list"))
    blocks += [Block("other files:\n" + "\n".join(f"  {c.status}: {c.path}" for c in preview.other_files)
                     + "\n", "other-files list")] if preview.other_files else []
    blocks += [Block(f"profile {item.change.path}:\n" + "".join(
        f"  {key}: {was or '-'!r} -> {will or '-'!r}\n" for key, was, will in item.fields), "profile")
        for item in preview.profiles]
    return fit(head + "\n", blocks, budget, f"Run `social preview --changed {preview.changed}` to see all.")


def preview_dict(preview: Preview) -> dict:
    """Everything, for programs (not size-limited)."""
    zone = preview.zone or ZoneInfo("UTC")
    return {
        "changed": preview.changed,
        "base": preview.base,
        "head": preview.head,
        "now": local_iso(preview.now, zone),
        "errors": preview.errors,
        "warnings": preview.warnings,
        "notices": preview.notices,
        "config_findings": [{**f.as_dict(), "level": f.level} for f in preview.config_findings],
        "posts": [
            {
                "status": item.change.status,
                "file": item.change.path,
                "old_file": item.change.old_path,
                "id": item.post.id if item.post else None,
                "title": item.post.title if item.post else None,
                "publish_at": local_iso(item.post.publish_at, zone) if item.post and item.post.publish_at else None,
                "findings": [{**f.as_dict(), "level": f.level} for f in item.findings],
                "renderings": [rendering_dict(r) for r in item.renderings],
            }
            for item in preview.posts
        ],
        "removed": [{"file": r.change.path, "id": r.post.id if r.post else None} for r in preview.removed],
        "other_files": [{"status": c.status, "file": c.path} for c in preview.other_files],
        "profiles": [{"file": item.change.path, "changes": [{"field": key, "before": was, "after": will}
                                                            for key, was, will in item.fields]}
                     for item in preview.profiles],
        "cadence": preview.comparison.as_dict(zone) if preview.comparison else None,
        "costs": [{"channel": cost.channel, "network": cost.network, **cost.estimate.as_dict()}
                  for cost in preview.costs],
    }
