"""The site of a repository of several brands: one calendar per brand, an overview, a brand switcher.

Each brand's calendar is built exactly as the calendar of a repository of one brand,
under `calendar/<brand>/` (feeds included). The overview at `calendar/index.md` shows
every brand's next posts side by side; the brand switcher is the navigation: one
section per brand, put after the overview's entry in mkdocs.yml's `nav`.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from markupsafe import escape
from mkdocs.utils import get_relative_url

from pipeline.site.calendar import PostView, Shown
from pipeline.site.pages import GeneratedPage, SitePages, compact, page_url

#: the pages of a brand's section in the navigation, as in the calendar of one brand
SECTION = (("This month", "index.md"), ("Agenda", "agenda.md"), ("Channels", "channels/index.md"),
           ("Tags", "tags/index.md"), ("Cadence", "cadence.md"), ("Growth", "growth.md"))
_ATTENTION = {Shown.FAILED, Shown.UNCERTAIN, Shown.MISSED}


@dataclass
class BrandCalendar:
    """One brand's pages, and what the overview says of it."""

    name: str
    title: str
    pages: SitePages

    def upcoming(self, count: int) -> list[PostView]:
        cal = self.pages.cal
        return [view for view in cal.timed() if view.post.publish_at >= cal.now][:count]

    def attention(self) -> list[PostView]:
        return [view for view in self.pages.cal.posts if view.kind in _ATTENTION]


def brand_nav(nav: list, prefix: str, brands: list[tuple[str, str]]) -> list:
    """`nav` (mkdocs.yml's) with a section per (name, title) brand after the entry of
    `<prefix>/index.md`; without that entry, a Calendar section holding both at the end."""
    # escaped: the theme prints navigation titles into its HTML as they are
    sections = [{str(escape(title)): [{label: f"{prefix}/{name}/{page}"} for label, page in SECTION]}
                for name, title in brands]
    overview = f"{prefix}/index.md"

    def place(items: list) -> bool:
        for index, item in enumerate(items):
            value = next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item
            if value == overview:
                items[index + 1:index + 1] = sections
                return True
            if isinstance(value, list) and place(value):
                return True
        return False

    nav = list(nav)
    if not place(nav):
        nav.append({"Calendar": [{"All brands": overview}, *sections]})
    return nav


def overview_page(brands: list[BrandCalendar], src_uri: str, *, use_directory_urls: bool,
                  listed: int = 5) -> GeneratedPage:
    """The page of every brand: links to its pages, what needs a person, its next `listed` posts."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("pipeline.site", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    base = page_url(src_uri, use_directory_urls)

    def href(target: str) -> str:
        return get_relative_url(page_url(target, use_directory_urls) if target.endswith(".md") else target, base)

    html = env.get_template("brands.j2").render(brands=brands, href=href, listed=listed)
    return GeneratedPage(src_uri, "All brands", compact(html), in_nav=True, hide=("toc",))
