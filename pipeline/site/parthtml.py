"""A rendered part as HTML: escaped text, http(s) links as links, hashtags and mentions marked."""

from __future__ import annotations

from markupsafe import Markup, escape

from pipeline.site.calendar import web_url
from pipeline.text.facets import LINK, MENTION, TAG, Facet, detect_facets


def text_html(text: str, facets: tuple[Facet, ...] | None = None) -> Markup:
    """`text` as HTML. Facets (UTF-8 byte offsets, as Bluesky's) default to those found in it.

    Everything is escaped; only links whose target is http(s) become `<a href>`,
    anything else (a `javascript:` URL included) stays text. Line breaks become `<br>`.
    """
    if facets is None:
        facets = detect_facets(text)
    data = text.encode("utf-8")
    pieces: list[str] = []
    position = 0
    for facet in sorted(facets):
        if facet.byte_start < position:
            continue  # never overlap
        pieces.append(_plain(data[position:facet.byte_start]))
        shown = _plain(data[facet.byte_start:facet.byte_end])
        href = web_url(facet.value) if facet.type == LINK else None
        if href:
            pieces.append(f'<a href="{escape(href)}" rel="nofollow noopener">{shown}</a>')
        elif facet.type == TAG:
            pieces.append(f'<span class="sc-tag">{shown}</span>')
        elif facet.type == MENTION:
            pieces.append(f'<span class="sc-mention">{shown}</span>')
        else:
            pieces.append(shown)
        position = facet.byte_end
    pieces.append(_plain(data[position:]))
    return Markup("".join(pieces))


def _plain(chunk: bytes) -> str:
    return str(escape(chunk.decode("utf-8", errors="replace"))).replace("\n", "<br>")
