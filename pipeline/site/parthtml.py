"""A rendered part as HTML, as its network shows it.

Everything is escaped; only links whose target is http(s) become `<a href>`, anything
else (a `javascript:` URL included) stays text. What a network turns into links
(`Look.marks`), how much of a link it shows (`Look.link_chars`), its own markup
(Discord's Markdown, Slack's mrkdwn, read back through the network's `TextStyle`) and
where it folds a long text (`Look.fold`) come from the network's declarations.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Collection
from functools import cache

from markupsafe import Markup, escape

from pipeline.networks.look import Fold
from pipeline.site.calendar import web_url
from pipeline.text.facets import LINK, MENTION, TAG, Facet, detect_facets
from pipeline.text.markdown import TextStyle
from pipeline.text.units import graphemes

ALL_MARKS = frozenset({LINK, TAG, MENTION})
ELLIPSIS = "…"
#: @name and @name@server: the mentions of Mastodon, X, Threads and Telegram (Bluesky's are domains,
#: which the facet detector finds)
_MENTION = re.compile(r"(?<![\w@/.])@[A-Za-z0-9_]{1,30}(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?(?![\w@])")
_SCHEME = re.compile(r"^https?://(?:www\.)?", re.IGNORECASE)


def text_html(text: str, facets: tuple[Facet, ...] | None = None, *,
              marks: Collection[str] = ALL_MARKS, link_chars: int | None = None) -> Markup:
    """`text` as HTML. Facets (UTF-8 byte offsets, as Bluesky's) default to those found in it.

    Only facets of the types in `marks` are shown as links; a link shows at most
    `link_chars` characters (scheme dropped, "…" after). Line breaks become `<br>`.
    """
    if facets is None:
        facets = marks_in(text)
    data = text.encode("utf-8")
    pieces: list[str] = []
    position = 0
    for facet in sorted(facets):
        if facet.byte_start < position or facet.type not in marks:
            continue  # never overlap
        pieces.append(_plain(data[position:facet.byte_start]))
        shown_text = data[facet.byte_start:facet.byte_end].decode("utf-8", errors="replace")
        href = web_url(facet.value) if facet.type == LINK else None
        if href:
            shown = _plain(shorten(shown_text, link_chars).encode("utf-8"))
            pieces.append(f'<a href="{escape(href)}" rel="nofollow noopener">{shown}</a>')
        elif facet.type in (TAG, MENTION):
            pieces.append(f'<span class="sc-{facet.type}">{_plain(shown_text.encode("utf-8"))}</span>')
        else:
            pieces.append(_plain(shown_text.encode("utf-8")))
        position = facet.byte_end
    pieces.append(_plain(data[position:]))
    return Markup("".join(pieces))


def marks_in(text: str) -> tuple[Facet, ...]:
    """Links, hashtags and mentions as most networks find them: Bluesky's rules, and @name mentions."""
    found = list(detect_facets(text))
    if "@" in text:
        taken = [(f.byte_start, f.byte_end) for f in found]
        for match in _MENTION.finditer(text):
            start = len(text[:match.start()].encode("utf-8"))
            end = start + len(match[0].encode("utf-8"))
            if not any(start < t_end and t_start < end for t_start, t_end in taken):
                found.append(Facet(start, end, MENTION, match[0][1:]))
    return tuple(sorted(found))


def shorten(url: str, link_chars: int | None) -> str:
    """A link as a network shows it: without its scheme and at most `link_chars` characters, then "…"."""
    if link_chars is None or not _SCHEME.match(url):
        return url
    bare = _SCHEME.sub("", url)
    clusters = graphemes(bare)
    return bare if len(clusters) <= link_chars else "".join(clusters[:link_chars]) + ELLIPSIS


def fold_at(text: str, fold: Fold | None) -> int | None:
    """Where the network folds `text` behind "see more" (an index into it), or None when all shows.

    A line holds `characters / lines` characters; a line break starts a new one. The cut
    goes back to the last space before it, so no word or link is split.
    """
    if fold is None:
        return None
    lines = fold.lines or math.inf
    width = fold.characters / fold.lines if fold.lines else math.inf
    used, shown, budget = 0.0, 0, fold.characters
    position = 0
    for line in text.split("\n"):
        length = len(graphemes(line)) if not line.isascii() else len(line)
        rows = max(1, math.ceil(length / width)) if width != math.inf else 1
        if used + rows > lines or shown + length > budget:
            room = min(budget - shown, (lines - used) * width if width != math.inf else budget)
            return _cut(text, position, line, int(max(0, room)))
        used += rows
        shown += length
        position += len(line) + 1
    return None


def _cut(text: str, position: int, line: str, room: int) -> int | None:
    clusters = graphemes(line)
    if not text[position:].strip():
        return None
    limit = position + len("".join(clusters[:room]))
    space = max(text.rfind(" ", position, limit + 1), text.rfind("\n", 0, limit + 1))
    cut = space if space > position or room == 0 else limit
    return cut if text[cut:].strip() else None


def split_facets(facets: tuple[Facet, ...], at_byte: int) -> tuple[tuple[Facet, ...], tuple[Facet, ...]]:
    """The facets before a byte offset, and those after it shifted to start there."""
    before = tuple(f for f in facets if f.byte_end <= at_byte)
    after = tuple(Facet(f.byte_start - at_byte, f.byte_end - at_byte, f.type, f.value)
                  for f in facets if f.byte_start >= at_byte)
    return before, after


# -- a network's own markup (Discord's Markdown, Slack's mrkdwn) ----------------------------


def shows_markup(style: TextStyle) -> bool:
    """Whether the network shows markup, so the text's markers are to be drawn, not printed."""
    return bool(style.strong or style.emphasis or style.code)


def markup_html(text: str, style: TextStyle, *, marks: Collection[str] = ALL_MARKS,
                link_chars: int | None = None) -> Markup:
    """`text` written in `style` (bold, italics, code and links in its own syntax) as HTML."""
    patterns = _patterns(style)
    unescape = style.escape("<&>") != "<&>"

    def plain(segment: str) -> str:
        segment = html.unescape(segment) if unescape else segment
        return str(text_html(segment, marks=marks, link_chars=link_chars))

    def walk(segment: str) -> str:
        pieces, position = [], 0
        while True:
            best = None
            for kind, pattern in patterns:
                match = pattern.search(segment, position)
                if match and (best is None or match.start() < best[1].start()):
                    best = (kind, match)
            if best is None:
                pieces.append(plain(segment[position:]))
                return "".join(pieces)
            kind, match = best
            pieces.append(plain(segment[position:match.start()]))
            if kind == "code":
                code = html.unescape(match["inner"]) if unescape else match["inner"]
                pieces.append(f"<code>{escape(code)}</code>")
            elif kind == "link":
                target = match["href"] or match.groupdict().get("bare") or ""
                href = web_url(target)
                label = match["label"] or shorten(target, link_chars)
                label = html.unescape(label) if unescape else label
                pieces.append(f'<a href="{escape(href)}" rel="nofollow noopener">{escape(label)}</a>' if href
                              else plain(match[0]))
            else:
                pieces.append(f"<{kind}>{walk(match['inner'])}</{kind}>")
            position = match.end()

    return Markup(walk(text))


@cache
def _patterns(style: TextStyle) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The style's markers as expressions, in the order they bind: code, links, bold, italics."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    if style.code:
        patterns.append(("code", _marker(style.code)))
    template = style.link("\x00", "https://\x01")
    if template.startswith(("[", "<")):
        link = re.escape(template).replace("\x00", r"(?P<label>[^\n\]|>]+?)")
        link = link.replace(re.escape("https://\x01"), r"(?P<href>https?://[^\s|<>()\[\]]+)")
        if template.startswith("<"):  # Slack writes a bare <url> too
            link = rf"(?:{link}|<(?P<bare>https?://[^\s|<>]+)>)"
        patterns.append(("link", re.compile(link)))
    if style.strong:
        patterns.append(("strong", _marker(style.strong)))
    if style.emphasis and style.emphasis != style.strong:
        patterns.append(("em", _marker(style.emphasis)))
    return tuple(patterns)


def _marker(marker: str) -> re.Pattern[str]:
    quoted = re.escape(marker)
    return re.compile(rf"{quoted}(?P<inner>[^\s{quoted}](?:[^\n]*?[^\s{quoted}])?){quoted}")


def _plain(chunk: bytes) -> str:
    return str(escape(chunk.decode("utf-8", errors="replace"))).replace("\n", "<br>")
