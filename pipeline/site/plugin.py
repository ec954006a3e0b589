"""The mkdocs plugin `social-calendar`: the content calendar's pages and feeds, built in memory.

    plugins:
      - search
      - social-calendar:
          content_root: .      # the folder holding content/ (relative to mkdocs.yml)
          now: ""              # pretend time (YYYY-MM-DD HH:MM local), default the clock

Nothing it generates is written to docs/: pages and feeds are mkdocs `File`s with
their content in memory, so `mkdocs serve` rebuilds them when a post changes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from pipeline.content.linkcards import load_link_cards
from pipeline.content.profiles import load_profiles
from pipeline.content.workspace import Workspace
from pipeline.errors import UsageError
from pipeline.render.render import Renderer
from pipeline.site.calendar import Calendar, LinkCardData, build_calendar, card_key
from pipeline.site.feeds import feeds_in_background
from pipeline.site.gitlog import last_changes
from pipeline.site.pages import SitePages, feed_uri, media_files

log = logging.getLogger(f"mkdocs.plugins.{__name__}")

ASSETS = Path(__file__).parent / "assets"
STYLESHEET = "assets/social-calendar.css"
_SEARCH_DIALOG = 'data-md-component="search" role="dialog"'


class CalendarConfig(base.Config):
    """The plugin's options in mkdocs.yml."""

    content_root = c.Type(str, default=".")
    """The folder holding content/ (and state/, templates/), relative to mkdocs.yml."""
    now = c.Type(str, default="")
    """Pretend it is this time (`YYYY-MM-DD HH:MM` local, or with an offset); empty: the clock."""
    prefix = c.Type(str, default="calendar")
    """The folder of the generated pages on the site."""
    agenda_days = c.Type(int, default=14)
    listed = c.Type(int, default=30)
    """How many upcoming and recent posts a channel page lists."""
    git = c.Type(bool, default=True)
    """Show each post's last change from `git log`."""


class CalendarPlugin(BasePlugin[CalendarConfig]):
    """Generates the calendar, agenda, post, channel, tag and cadence pages, and the ICS feeds."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.html: dict[str, str] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.root = (Path(config.config_file_path or ".").parent / self.config.content_root).resolve()
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        return config

    def on_serve(self, server, /, *, config: MkDocsConfig, builder):
        for folder in ("content", "templates", "state"):
            if (self.root / folder).is_dir():
                server.watch(str(self.root / folder))
        return server

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        calendar = self.calendar()
        media = media_files(self.root, calendar.content.usable_posts(), calendar.images())
        pages = SitePages(
            calendar, Renderer(self.root, calendar.config), prefix=self.config.prefix,
            use_directory_urls=config.use_directory_urls, agenda_days=self.config.agenda_days,
            listed=self.config.listed,
            media={path: f"{self.config.prefix}/{path}" for path in media})
        site_url = (config.site_url or "").rstrip("/")

        def post_url(view) -> str:
            return f"{site_url}/{pages.url(pages.post_uri(view))}" if site_url else pages.url(pages.post_uri(view))

        feed_files = feeds_in_background(calendar, post_url, name=config.site_name)
        self.html = {}
        for page in pages.all():
            # The page's Markdown is only its front matter: its body is HTML already, put in
            # place in on_page_content, which spares Markdown parsing the HTML of 10,000 pages.
            self.html[page.src_uri] = page.html
            self._add(files, File.generated(
                config, page.src_uri, content=page.front_matter,
                inclusion=InclusionLevel.UNDEFINED if page.in_nav else InclusionLevel.NOT_IN_NAV))
        for path, source in media.items():
            self._add(files, File.generated(config, f"{self.config.prefix}/{path}", abs_src_path=str(source)))
        self._add(files, File.generated(config, STYLESHEET, abs_src_path=str(ASSETS / "social-calendar.css")))
        for channel, data in feed_files().items():
            self._add(files, File.generated(config, feed_uri(channel), content=data))
        return files

    def on_page_content(self, html: str, /, *, page, config: MkDocsConfig, files: Files) -> str:
        return self.html.get(page.file.src_uri, html)

    def on_post_page(self, output: str, /, *, page, config: MkDocsConfig) -> str:
        # The theme's search dialog has no accessible name (axe-core: aria-dialog-name).
        return output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG + ' aria-label="Search"', 1)

    def calendar(self) -> Calendar:
        """Load the content, the ledger and git, once per build."""
        try:
            workspace = Workspace(self.root, now_text=self.config.now or None)
        except UsageError as exc:
            raise PluginError(f"social-calendar: option now: {exc}") from None
        if workspace.config is None:
            problems = "; ".join(f"{f.file}:{f.line}: {f.message}" for f in workspace.config_findings[:5])
            raise PluginError(f"social-calendar: content/channels.yml under {self.root} cannot be used: {problems}")
        content = workspace.content
        broken = content.broken_files
        if broken:
            log.info("social-calendar: %d post file(s) with errors are left out (run `social validate`)",
                     len(broken))
        for warning in workspace.ledger.warnings:
            log.info("social-calendar: %s", warning)
        changes = last_changes(self.root) if self.config.git else {}
        profiles, problems = load_profiles(self.root)
        stored, images, card_problems = load_link_cards(self.root)
        for what, found in (("content/profiles/", problems), ("content/linkcards.yml", card_problems)):
            if found:
                log.info("social-calendar: %d problem(s) in %s (run `social validate`)", len(found), what)
        link_cards = {card_key(url): LinkCardData(url, card.title, card.description, images.get(url))
                      for url, card in stored.items()}
        return build_calendar(content, workspace.ledger.latest(), workspace.now, changes, profiles=profiles,
                              link_cards=link_cards)

    @staticmethod
    def _add(files: Files, file: File) -> None:
        if files.get_file_from_path(file.src_uri) is not None:
            raise PluginError(f"social-calendar: docs/{file.src_uri} is in the way of a generated page; "
                              "rename it or set the plugin's `prefix` option")
        files.append(file)
