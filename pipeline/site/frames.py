"""The theme's page around a generated page, rendered once per folder and filled in for each page.

The theme's main template (Material's) costs milliseconds a page: for 10,000 post pages, more than
the rest of the build. Generated pages out of the nav differ in it only by their title, canonical
URL and content when they share a folder and their page options (no active nav item, no previous
or next page, the same relative links to everything else). So the theme renders a page once with
marks in place of these three values (a `Frame`), and each page of the group is the frame with its
own values put where the marks came out, changed as the theme changed the mark there (escaped, tags
stripped). A mark that came out in any other way leaves its group to the theme.

It is checked, not assumed: the first pages of each group are rendered by the theme too, and a
group whose filled page differs from the theme's is rendered by the theme throughout. A theme or
plugin that prints anything else of the page (its URL, its edit link) thus costs speed, never a
wrong page.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

log = logging.getLogger(f"mkdocs.plugins.{__name__}")

#: the template name under which pages go to `ThemeFrames.render` (set as the page's `template` meta)
FRAME_TEMPLATE = "social-calendar-frame.html"
#: how many pages of each group are also rendered by the theme, to check the frame
CHECKED = 2

# A mark: letters only at its ends (no filter changes them), and between them tags, entities, quotes
# and spaces, so each filter a theme applies leaves a different trace.
_PROBE = "<i>a</i> &amp; &lt;b&gt; 'q\"  z"
_MARK = re.compile(r"SCFRAMEMARK(\w+?)BEGIN(.*?)SCFRAMEMARKEND", re.DOTALL)
_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda value: value,
    "escaped": lambda value: str(escape(value)),
    "striptags": lambda value: Markup(value).striptags(),
    "striptags-escaped": lambda value: str(escape(Markup(value).striptags())),
}
FIELDS = ("title", "content", "canonical_url")


def _probes(page) -> dict[str, str]:
    """What stands in for each field between the ends of its mark: content keeps its `<h1`, if any."""
    heading = "<h1>" if "<h1" in (page.content or "") else ""
    return {"title": _PROBE, "content": _PROBE + heading, "canonical_url": _PROBE}


@dataclass(frozen=True)
class Frame:
    """A theme's page with holes: literal text and (field, transform) slots, alternating."""

    parts: tuple[str | tuple[str, str], ...]

    def fill(self, values: dict[str, str]) -> str:
        return "".join(part if isinstance(part, str) else _TRANSFORMS[part[1]](values[part[0]])
                       for part in self.parts)


def parse_frame(output: str, probes: dict[str, str]) -> Frame | None:
    """The frame in a theme's output for a page holding marks (`probes`: field -> what its mark held);
    None when a mark came out changed in a way this module does not know (cut short, filtered otherwise)."""
    parts: list[str | tuple[str, str]] = []
    start = 0
    for found in _MARK.finditer(output):
        field, inner = found.group(1), found.group(2)
        if field not in probes:
            return None
        transform = next((name for name, change in _TRANSFORMS.items() if change(probes[field]) == inner), None)
        if transform is None:
            return None
        parts += [output[start:found.start()], (field, transform)]
        start = found.end()
    parts.append(output[start:])
    if any(isinstance(part, str) and "SCFRAMEMARK" in part for part in parts):
        return None
    return Frame(tuple(parts))


class ThemeFrames:
    """Renders the pages sent to `FRAME_TEMPLATE`: from their group's frame once it is checked, else by
    the theme's `template`."""

    def __init__(self, template: Callable[[dict], str]) -> None:
        self.template = template
        self.frames: dict[tuple, Frame | None] = {}  # group -> its frame; None: the theme renders the group
        self.checked: dict[tuple, int] = {}  # group -> pages checked so far
        self.filled = 0  # pages that came from a frame (for the tests and the debug log)

    def render(self, context: dict) -> str:
        page = context["page"]
        values = {"title": page.meta.get("title"), "content": page.content,
                  "canonical_url": page.canonical_url}
        group = self.group(page)
        if group is None or not all(isinstance(value, str) for value in values.values()):
            return self.template(context)
        if group not in self.frames:
            self.frames[group] = self._frame(page, context)
            self.checked[group] = 0
        frame = self.frames[group]
        if frame is None:
            return self.template(context)
        if self.checked[group] < CHECKED:
            self.checked[group] += 1
            output = self.template(context)
            if frame.fill(values) != output:
                log.debug("social-calendar: the theme's page differs from its frame in %s: the theme renders "
                          "the group", page.file.src_uri)
                self.frames[group] = None
            return output
        self.filled += 1
        return frame.fill(values)

    @staticmethod
    def group(page) -> tuple | None:
        """Pages whose theme output differs only by the marked fields share a group; None: no group."""
        if page.parent is not None or page.previous_page is not None or page.next_page is not None:
            return None
        options = sorted((key, repr(value)) for key, value in page.meta.items() if key != "title")
        # Material adds a heading of the title when the content has no <h1>.
        return (posixpath.dirname(page.file.dest_uri), tuple(options), page.is_homepage,
                "<h1" in (page.content or ""), bool(page.edit_url))

    def _frame(self, page, context: dict) -> Frame | None:
        probes = _probes(page)
        saved = page.meta.get("title"), page.content, page.canonical_url
        page.meta["title"], page.content, page.canonical_url = (
            f"SCFRAMEMARK{field}BEGIN{probes[field]}SCFRAMEMARKEND" for field in FIELDS)
        try:
            return parse_frame(self.template(context), probes)
        finally:
            page.meta["title"], page.content, page.canonical_url = saved
